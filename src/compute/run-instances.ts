import { createHash } from 'node:crypto';
import { assertId, newId } from '../core/ids.js';
import {
  idempotentMismatch,
  insufficientCapacity,
  invalidParameter,
  notFound,
} from '../core/errors.js';
import type { Tag } from '../core/tags.js';
import { assertFits, usage } from './capacity.js';
import type { ComputeDeps } from './deps.js';
import { DEFAULT_IMAGE_NAME, type Image } from './image.js';
import { bringDown, bringUp } from './instance-launcher.js';
import { REASONS, type Instance } from './instance.js';
import { DEFAULT_INSTANCE_TYPE, findInstanceType, type InstanceType } from './instance-types.js';
import { validateTagSpecifications, type TagSpecification } from './tag-specifications.js';

export const MAX_USER_DATA_BYTES = 16 * 1024;
const MAX_COUNT = 100;

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
}

/** Launches instances with EC2 semantics; a failed launch leaves nothing behind. */
export async function runInstances(
  deps: ComputeDeps,
  input: RunInstancesInput,
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
  const token = input.clientToken || undefined;
  if (token !== undefined && (token.length > 64 || !/^[\x20-\x7e]+$/.test(token))) {
    throw invalidParameter('ClientToken must be 1 to 64 printable ASCII characters');
  }
  const fingerprint = launchFingerprint(image, type, input, userData, tags);

  return deps.locks.run('capacity', async () => {
    if (token !== undefined) {
      const previous = deps.instances.findByClientToken(token);
      if (previous.length > 0) {
        if (previous.some((i) => i.launchFingerprint !== fingerprint)) {
          throw idempotentMismatch(
            `Client token "${token}" was already used with different parameters. ` +
              'Use a new token for a different request.',
          );
        }
        return previous.sort((a, b) => a.launchIndex - b.launchIndex);
      }
    }
    const count = howManyFit(deps, type, min, max);
    const reservationId = newId('r');
    const ids = Array.from({ length: count }, () => newId('i'));
    const now = deps.clock.now();
    const created = deps.uow.run(() => {
      const networks = deps.network.allocate(ids, input.subnetId);
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
        };
        deps.instances.put(instance);
        return instance;
      });
    });
    return launchAll(deps, created);
  });
}

async function launchAll(deps: ComputeDeps, created: Instance[]): Promise<Instance[]> {
  // Hold every instance's lock for the whole launch so the reconciler cannot pick up a
  // half-launched instance (or one being rolled back).
  return deps.locks.runAll(
    created.map((i) => i.id),
    async () => {
      const launched: Instance[] = [];
      try {
        for (const instance of created) {
          const up = await bringUp(deps, instance);
          deps.instances.put(up);
          launched.push(up);
        }
        return launched;
      } catch (error) {
        deps.logger.error('launch failed; rolling back the reservation', {
          reservationId: created[0]?.reservationId,
          error: String(error),
        });
        await rollBack(deps, created);
        throw error;
      }
    },
  );
}

/** Undoes a failed launch: no process, tap, lease, disk or row stays behind. */
async function rollBack(deps: ComputeDeps, created: readonly Instance[]): Promise<void> {
  for (const original of created) {
    const instance = deps.instances.get(original.id) ?? original;
    try {
      await bringDown(deps, instance);
      if (instance.rootDisk) await deps.rootDisks.remove(instance.rootDisk);
      await deps.hypervisor.removeArtifacts(instance.id);
    } catch (e) {
      deps.logger.error('rollback step failed', { instanceId: instance.id, error: String(e) });
    }
    deps.instances.delete(instance.id);
  }
  const vpcs = new Set(created.map((i) => i.network?.vpcId).filter((v): v is string => !!v));
  for (const vpcId of vpcs) await deps.network.sync(vpcId);
}

function resolveImage(deps: ComputeDeps, imageId: string | undefined): Image {
  if (!imageId) {
    const image = deps.images.findByName(DEFAULT_IMAGE_NAME);
    if (!image) {
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
  if (!image) {
    throw notFound(
      'InvalidAMIID.NotFound',
      `The image id '${imageId}' does not exist; list images with kumo describe-images`,
    );
  }
  return image;
}

function resolveType(name: string | undefined): InstanceType {
  const t = findInstanceType(name || DEFAULT_INSTANCE_TYPE);
  if (!t) {
    throw invalidParameter(
      `Invalid value '${name}' for InstanceType; list the types with kumo describe-instance-types`,
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
      `The key pair '${keyName}' does not exist; create it with kumo create-key-pair or import-key-pair`,
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
  const current = usage(deps.instances.list());
  for (let n = max; n >= min; n--) {
    const extra = { vcpus: type.vcpus * n, memoryMib: type.memoryMib * n };
    if (
      current.vcpus + extra.vcpus <= deps.capacity.vcpus &&
      current.memoryMib + extra.memoryMib <= deps.capacity.memoryMib
    ) {
      return n;
    }
  }
  assertFits(
    deps.capacity,
    current,
    { vcpus: type.vcpus * min, memoryMib: type.memoryMib * min },
    `${min} x ${type.name}`,
  );
  throw insufficientCapacity(`Not enough capacity for ${min} x ${type.name}`);
}

function launchFingerprint(
  image: Image,
  type: InstanceType,
  input: RunInstancesInput,
  userData: Uint8Array | undefined,
  tags: readonly Tag[],
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
    ]),
  );
  if (userData) h.update(userData);
  return h.digest('hex');
}
