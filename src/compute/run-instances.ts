import { launchNetwork, type NetworkInterfaceInput } from './launch-network.js';
import { launchMetadataOptions } from './metadata-options.js';
import { parseCloudInitSeed, type CloudInitSeed } from './nocloud-seed.js';
import { createHash } from 'node:crypto';
import { assertId, newId } from '../core/ids.js';
import {
  quoted,
  dryRunOperation,
  idempotentMismatch,
  incorrectState,
  insufficientCapacity,
  invalidParameter,
  notFound,
} from '../core/errors.js';
import type { Tag } from '../core/tags.js';
import { assertFits, demand, times, usage } from './capacity.js';
import type { ComputeDeps } from './deps.js';
import { DEFAULT_IMAGE_NAME, imageState, type Image } from './image.js';
import { launch } from './instance-launcher.js';
import { REASONS, type Instance } from './instance.js';
import { DEFAULT_INSTANCE_TYPE, findInstanceType, type InstanceType } from './instance-types.js';
import { validateTagSpecifications, type TagSpecification } from './tag-specifications.js';
import { launchVolumeSpecs, type BlockDeviceMappingInput } from './block-device-mappings.js';

export const MAX_USER_DATA_BYTES = 16 * 1024;
const MAX_COUNT = 100;

type LaunchMetadataOptionsInput = Parameters<typeof launchMetadataOptions>[0];

export interface RunInstancesInput {
  readonly imageId?: string | undefined;
  readonly instanceType?: string | undefined;
  readonly keyName?: string | undefined;
  readonly minCount: number;
  readonly maxCount: number;
  readonly userData?: Uint8Array | undefined;
  readonly clientToken?: string | undefined;
  readonly tagSpecifications?: readonly TagSpecification[] | undefined;
  readonly subnetId?: string | undefined;
  /** Security groups by id, and by name (default VPC only); none: the VPC's default group. */
  readonly securityGroupIds?: readonly string[] | undefined;
  readonly securityGroups?: readonly string[] | undefined;
  readonly blockDeviceMappings?: readonly BlockDeviceMappingInput[] | undefined;
  /** A fixed private address in the subnet (one instance only). */
  readonly privateIpAddress?: string | undefined;
  /** EC2's --network-interfaces: one, at DeviceIndex 0, instead of the instance-level options. */
  readonly networkInterfaces?: readonly NetworkInterfaceInput[] | undefined;
  /** The metadata service's options (EC2's MetadataOptions); unset: EC2's defaults. */
  readonly metadataOptions?: LaunchMetadataOptionsInput | undefined;
  /** kumo extension: `nocloud` attaches a NoCloud seed at every start; unset or `none`: none. */
  readonly cloudInitSeed?: string | undefined;
  /** Validate only: answers DryRunOperation when the launch would have been accepted. */
  readonly dryRun?: boolean | undefined;
}

export interface LaunchOptions {
  /** Cancels the launch (client gone, daemon stopping): it is undone, as on any failure. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Launches instances with EC2 semantics; a failed launch leaves nothing behind. The capacity lock
 * covers only the decision and the rows it writes (synchronous, microseconds); QEMU start-up runs
 * outside it, so concurrent launches proceed in parallel.
 */
export async function runInstances(
  deps: ComputeDeps,
  input: RunInstancesInput,
  options: LaunchOptions = {},
): Promise<Instance[]> {
  const image = resolveImage(deps, input.imageId);
  const type = resolveType(input.instanceType);
  const key = resolveKey(deps, input.keyName);
  const { min, max } = validateCounts(input.minCount, input.maxCount);
  const userData = input.userData && input.userData.length > 0 ? input.userData : undefined;
  if (userData && userData.length > MAX_USER_DATA_BYTES) {
    throw invalidParameter(
      `User data is ${userData.length} bytes; the limit is ${MAX_USER_DATA_BYTES} bytes (16 KiB). ` +
        'Pass a smaller script, or have it download the rest.',
    );
  }
  const tags: Tag[] = validateTagSpecifications(input.tagSpecifications ?? [], ['instance']);
  const volumes = launchVolumeSpecs(image, input.blockDeviceMappings ?? []);
  deps.rootDisks.checkLaunchVolumes(volumes.data);
  const metadataOptions = launchMetadataOptions(input.metadataOptions);
  const seed = parseCloudInitSeed(input.cloudInitSeed);
  const token = input.clientToken || undefined;
  if (token !== undefined && (token.length > 64 || !/^[\x20-\x7e]+$/.test(token))) {
    throw invalidParameter('ClientToken must be 1 to 64 printable ASCII characters');
  }
  const net = launchNetwork(input);
  // Allocating nothing still checks the subnet, the groups and the address, before a dry run.
  deps.network.allocate([], net.subnetId, net.groups, net.placement);
  if (input.dryRun) throw dryRunOperation();
  const fingerprint = launchFingerprint(image, type, input, userData, tags, seed);

  const reservation = await deps.locks.run('capacity', () => {
    if (token !== undefined) {
      const previous = deps.instances.findByClientToken(token);
      if (previous.length > 0) {
        if (previous.some((i) => i.launchFingerprint !== fingerprint)) {
          throw idempotentMismatch(
            `Client token "${token}" was already used with different parameters. ` +
              'Use a new token for a different request.',
          );
        }
        return { retried: true, instances: previous.sort((a, b) => a.launchIndex - b.launchIndex) };
      }
    }
    const count = howManyFit(deps, type, min, max);
    const reservationId = newId('r');
    const ids = Array.from({ length: count }, () => newId('i'));
    const now = deps.clock.now();
    const instances = deps.uow.run(() => {
      const networks = deps.network.allocate(ids, net.subnetId, net.groups, net.placement);
      return ids.map((id, launchIndex): Instance => {
        const instance: Instance = {
          id,
          reservationId,
          imageId: image.id,
          instanceType: type.name,
          keyName: key?.name,
          publicKey: key?.publicKey,
          userData,
          state: 'pending',
          stateReason: REASONS.pending,
          stateTransitionReason: '',
          launchTime: now,
          tags,
          clientToken: token,
          launchFingerprint: fingerprint,
          launchIndex,
          network: networks[launchIndex],
          rootVolume: volumes.root,
          launchVolumes: volumes.data.length > 0 ? volumes.data : undefined,
          metadataOptions,
          cloudInitSeed: seed === 'nocloud' ? seed : undefined,
        };
        deps.instances.put(instance);
        return instance;
      });
    });
    return { retried: false, instances };
  });
  if (reservation.retried) return reservation.instances;
  deps.logger.info('launching', {
    reservationId: reservation.instances[0]?.reservationId,
    instanceIds: reservation.instances.map((i) => i.id),
  });
  return launchReservation(deps, reservation.instances, options.signal);
}

async function launchReservation(
  deps: ComputeDeps,
  created: readonly Instance[],
  signal: AbortSignal | undefined,
): Promise<Instance[]> {
  // Hold every instance's lock for the whole launch so the reconciler cannot pick up a
  // half-launched instance (or one being rolled back).
  return deps.locks.runAll(
    created.map((i) => i.id),
    async () => {
      try {
        return await launch(deps, created, signal);
      } catch (error) {
        deps.logger.error('launch failed; the reservation was undone', {
          reservationId: created[0]?.reservationId,
          error: String(error),
        });
        await forget(deps, created);
        throw error;
      }
    },
  );
}

/** Drops the rows and interfaces of a launch that was undone, then the VPC state that served them. */
async function forget(deps: ComputeDeps, created: readonly Instance[]): Promise<void> {
  deps.uow.run(() => {
    created.forEach((i) => deps.instances.delete(i.id));
    deps.network.release(created.map((i) => i.id));
  });
  const vpcs = new Set(created.map((i) => i.network?.vpcId).filter((v): v is string => !!v));
  for (const vpcId of vpcs) {
    await deps.network.sync(vpcId).catch((e: unknown) =>
      deps.logger.error('could not re-sync the VPC after an undone launch', {
        vpcId,
        error: String(e),
      }),
    );
  }
}

function resolveImage(deps: ComputeDeps, imageId: string | undefined): Image {
  if (!imageId) {
    const image = deps.images.findByName(DEFAULT_IMAGE_NAME);
    if (!image || imageState(image) !== 'available') {
      throw notFound(
        'InvalidAMIID.NotFound',
        `The default image ${DEFAULT_IMAGE_NAME} is not registered: build it with scripts/build-image ` +
          'and restart kumod, or pass --image-id',
      );
    }
    return image;
  }
  assertId('ami', imageId, 'InvalidAMIID.Malformed');
  const image = deps.images.get(imageId);
  if (!image || imageState(image) === 'deregistered') {
    throw notFound(
      'InvalidAMIID.NotFound',
      `The image id ${quoted(imageId)} does not exist; list images with kumo describe-images`,
    );
  }
  if (imageState(image) !== 'available') {
    throw incorrectState(
      `The image ${imageId} is ${imageState(image)}; launch it once it is available`,
      'InvalidAMIID.Unavailable',
    );
  }
  return image;
}

function resolveType(name: string | undefined): InstanceType {
  const t = findInstanceType(name || DEFAULT_INSTANCE_TYPE);
  if (!t) {
    throw invalidParameter(
      `Invalid value ${quoted(name ?? '')} for InstanceType; list the types with kumo describe-instance-types`,
    );
  }
  return t;
}

function resolveKey(deps: ComputeDeps, keyName: string | undefined) {
  if (!keyName) return undefined;
  const key = deps.keyPairs.findByName(keyName);
  if (!key) {
    throw notFound(
      'InvalidKeyPair.NotFound',
      `The key pair ${quoted(keyName)} does not exist; create it with kumo create-key-pair or import-key-pair`,
    );
  }
  return key;
}

function validateCounts(minCount: number, maxCount: number): { min: number; max: number } {
  const min = minCount || maxCount;
  const max = maxCount || minCount;
  if (!Number.isInteger(min) || min < 1) {
    throw invalidParameter(`MinCount must be at least 1 (got ${minCount}); pass --count 1 or more`);
  }
  if (max < min) {
    throw invalidParameter(`MaxCount (${max}) must not be below MinCount (${min})`);
  }
  if (max > MAX_COUNT) {
    throw invalidParameter(`MaxCount ${max} is above the limit of ${MAX_COUNT} per request`);
  }
  return { min, max };
}

/** EC2 launches as many as fit between MinCount and MaxCount. */
function howManyFit(deps: ComputeDeps, type: InstanceType, min: number, max: number): number {
  const store = deps.settings.instanceStore;
  const current = usage(deps.instances.list(), store);
  const one = demand(type, store);
  for (let n = max; n >= min; n--) {
    const extra = times(one, n);
    if (
      current.vcpus + extra.vcpus <= deps.capacity.vcpus &&
      current.memoryMib + extra.memoryMib <= deps.capacity.memoryMib
    ) {
      return n;
    }
  }
  assertFits(deps.capacity, current, times(one, min), `${min} x ${type.name}`);
  throw insufficientCapacity(`Not enough capacity for ${min} x ${type.name}`);
}

function launchFingerprint(
  image: Image,
  type: InstanceType,
  input: RunInstancesInput,
  userData: Uint8Array | undefined,
  tags: readonly Tag[],
  seed: CloudInitSeed,
): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([
      image.id,
      type.name,
      input.keyName ?? '',
      input.minCount,
      input.maxCount,
      input.subnetId ?? '',
      tags,
      input.securityGroupIds ?? [],
      input.securityGroups ?? [],
      input.blockDeviceMappings ?? [],
      input.privateIpAddress ?? '',
      input.networkInterfaces ?? [],
      ...(input.metadataOptions ? [input.metadataOptions] : []),
      // Only when asked for, so fingerprints of launches without a seed stay as they were.
      ...(seed !== 'none' ? [{ cloudInitSeed: seed }] : []),
    ]),
  );
  if (userData) h.update(userData);
  return h.digest('hex');
}
