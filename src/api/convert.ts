import { bootOf, imageState, type Image as DomainImage } from '../compute/image.js';
import { volumeSizeGib } from '../compute/images.js';
import type { InstanceType } from '../compute/instance-types.js';
import { instanceStoreMib, type InstanceStorePolicy } from '../compute/instance-store.js';
import type { KeyPair } from '../compute/key-pair.js';
import type { StateChange } from '../compute/instance-lifecycle.js';
import type { TagSpecification } from '../compute/tag-specifications.js';
import { OWNER_ID } from '../core/ids.js';
import type { Filter, Tag } from '../core/tags.js';
import type {
  Filter as PFilter,
  Tag as PTag,
  TagSpecification as PTagSpec,
} from '../gen/kumo/v1/common.js';
import type { Image } from '../gen/kumo/v1/images.js';
import type { InstanceTypeInfo } from '../gen/kumo/v1/instance_types.js';
import type { Instance, InstanceStateChange, Reservation } from '../gen/kumo/v1/instances.js';
import type { KeyPairInfo } from '../gen/kumo/v1/key_pairs.js';
import { ROOT_DEVICE_NAME, stateOf } from './instance-view.js';

/** Proto <-> domain conversion. Kept apart from handlers so both stay small. */

export const toFilters = (fs: readonly PFilter[]): Filter[] =>
  fs.map((f) => ({ name: f.name, values: f.values }));
export const toTagSpecs = (ts: readonly PTagSpec[]): TagSpecification[] =>
  ts.map((t) => ({
    resourceType: t.resourceType,
    tags: t.tags.map((x) => ({ key: x.key, value: x.value })),
  }));
export const tags = (ts: readonly Tag[]): PTag[] => ts.map((t) => ({ key: t.key, value: t.value }));

/** Instances grouped into reservations in launch order, as DescribeInstances returns them. */
export function toReservations(
  instances: Instance[],
  reservationOf: (id: string) => string,
): Reservation[] {
  const byId = new Map<string, Reservation>();
  for (const i of instances) {
    const rid = reservationOf(i.instanceId);
    let r = byId.get(rid);
    if (!r) {
      // EC2 lists no groups on reservations of VPC instances: they are on each instance.
      r = { reservationId: rid, ownerId: OWNER_ID, instances: [], groups: [] };
      byId.set(rid, r);
    }
    r.instances.push(i);
  }
  return [...byId.values()];
}

export const stateChangeToProto = (c: StateChange): InstanceStateChange => ({
  instanceId: c.instanceId,
  currentState: stateOf(c.current),
  previousState: stateOf(c.previous),
});

export const imageToProto = (i: DomainImage): Image => {
  const rootDeviceName = i.rootDeviceName ?? ROOT_DEVICE_NAME;
  return {
    imageId: i.id,
    name: i.name,
    description: i.description,
    architecture: i.architecture,
    state: imageState(i),
    rootDeviceName,
    rootDeviceType: 'ebs',
    virtualizationType: 'hvm',
    creationDate: i.createdAt.toISOString(),
    ownerId: OWNER_ID,
    platformDetails: 'Linux/UNIX',
    defaultUser: i.defaultUser,
    sizeInBytes: i.sizeBytes,
    tags: tags(i.tags ?? []),
    bootMode: bootOf(i) === 'kernel' ? '' : (i.bootMode ?? 'legacy-bios'),
    blockDeviceMappings: [
      {
        deviceName: rootDeviceName,
        ebs: {
          deleteOnTermination: true,
          snapshotId: '',
          volumeSize: volumeSizeGib(i),
          volumeType: 'gp3',
          encrypted: false,
        },
      },
    ],
    stateReason: undefined,
    imageLocation: i.imageLocation ?? '',
    imageType: 'machine',
    public: false,
    hypervisor: 'xen',
    enaSupport: true,
    usageOperation: 'RunInstances',
  };
};

export const instanceTypeToProto = (
  t: InstanceType,
  hypervisor: string,
  store: InstanceStorePolicy,
): InstanceTypeInfo => ({
  instanceType: t.name,
  vCpuInfo: { defaultVcpus: t.vcpus, defaultCores: t.vcpus, defaultThreadsPerCore: 1 },
  memoryInfo: { sizeInMib: t.memoryMib },
  instanceStorageSupported: t.instanceStoreGb > 0,
  instanceStorageInfo:
    t.instanceStoreGb > 0
      ? {
          totalSizeInGb: t.instanceStoreGb,
          disks: [
            {
              sizeInGb: t.instanceStoreGb,
              count: 1,
              type: 'ssd',
              sizeInMib: instanceStoreMib(t, store),
            },
          ],
          totalSizeInMib: instanceStoreMib(t, store),
          nvmeSupport: 'unsupported',
          encryptionSupport: 'unsupported',
        }
      : undefined,
  currentGeneration: true,
  hypervisor,
});

export const keyPairToProto = (k: KeyPair, includePublicKey: boolean): KeyPairInfo => ({
  keyPairId: k.id,
  keyName: k.name,
  keyFingerprint: k.fingerprint,
  keyType: k.type,
  publicKey: includePublicKey ? k.publicKey : '',
  createTime: k.createdAt.toISOString(),
  tags: tags(k.tags),
});
