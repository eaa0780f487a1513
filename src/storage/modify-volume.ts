import { dryRunOperation, invalidParameter, quoted } from '../core/errors.js';
import { applyFilters, type Filter } from '../core/tags.js';
import { byIdsOrAll } from './by-ids.js';
import type { StorageDeps } from './deps.js';
import { validatePerformance, volumeThrottle } from './volume-performance.js';
import { assertVolumeId, volumeIncorrectState, volumeNotFound } from './errors.js';
import {
  GIB,
  SIZE_LIMITS_GIB,
  VOLUME_TYPES,
  type Volume,
  type VolumeModification,
  type VolumeType,
} from './volume.js';

export interface ModifyVolumeInput {
  readonly volumeId: string;
  readonly sizeGiB?: number | undefined;
  readonly volumeType?: string | undefined;
  readonly iops?: number | undefined;
  readonly throughput?: number | undefined;
  readonly dryRun?: boolean | undefined;
}

function target(v: Volume, input: ModifyVolumeInput) {
  const type = (input.volumeType || v.volumeType) as VolumeType;
  if (!(VOLUME_TYPES as readonly string[]).includes(type)) {
    throw invalidParameter(
      `Invalid value ${quoted(type)} for VolumeType; use one of ${VOLUME_TYPES.join(', ')}`,
    );
  }
  const size = input.sizeGiB || v.sizeGiB;
  if (size < v.sizeGiB) {
    throw invalidParameter(
      `New size cannot be smaller than existing size: ${v.id} is ${v.sizeGiB} GiB; volumes only grow`,
    );
  }
  const limits = SIZE_LIMITS_GIB[type];
  if (!Number.isInteger(size) || size < limits.min || size > limits.max) {
    throw invalidParameter(
      `Volume of ${size} GiB is out of range for ${type}: use ${limits.min} to ${limits.max} GiB`,
    );
  }
  // A new type starts from its own defaults: gp3's throughput means nothing on io1.
  const sameType = type === v.volumeType;
  const iops = input.iops || (sameType ? v.iops : undefined);
  const throughput = input.throughput || (sameType ? v.throughput : undefined);
  validatePerformance({ volumeType: type, sizeGiB: size, iops, throughput });
  if (
    size === v.sizeGiB &&
    type === v.volumeType &&
    iops === v.iops &&
    throughput === v.throughput
  ) {
    throw invalidParameter(
      `Modification of ${v.id} asks for nothing new; pass a larger --size, or another type, IOPS or throughput`,
      'InvalidParameterCombination',
    );
  }
  return { size, type, iops, throughput };
}

/**
 * ModifyVolume: grows a volume (never shrinks), online when its guest runs (QMP block_resize:
 * the guest sees the new size at once), with qemu-img resize otherwise; a new type, IOPS or
 * throughput changes the disk's I/O limits in the running guest at once. The modification is `completed` when the call answers.
 */
export async function modifyVolume(deps: StorageDeps, input: ModifyVolumeInput): Promise<Volume> {
  assertVolumeId(input.volumeId);
  const first = deps.volumes.get(input.volumeId);
  if (!first) throw volumeNotFound(input.volumeId);
  target(first, input);
  if (input.dryRun) throw dryRunOperation();
  const instanceId = first.attachment?.instanceId;
  const underInstance = <T>(fn: () => Promise<T>): Promise<T> =>
    instanceId ? deps.locks.run(instanceId, fn) : fn();
  return underInstance(() =>
    deps.locks.run(input.volumeId, async () => {
      const v = deps.volumes.get(input.volumeId);
      if (!v?.path) throw volumeNotFound(input.volumeId);
      if (v.state !== 'available' && v.state !== 'in-use') {
        throw volumeIncorrectState(
          `The volume '${v.id}' is '${v.state}'; try again once it settles`,
        );
      }
      const t = target(v, input);
      const a = v.attachment;
      if (a && a.state !== 'attached') {
        throw volumeIncorrectState(`The volume '${v.id}' is ${a.state}; try again once it settles`);
      }
      const i = a ? deps.instances.get(a.instanceId) : undefined;
      const modification: VolumeModification = {
        state: 'modifying',
        originalSizeGiB: v.sizeGiB,
        targetSizeGiB: t.size,
        originalVolumeType: v.volumeType,
        targetVolumeType: t.type,
        originalIops: v.iops,
        targetIops: t.iops,
        originalThroughput: v.throughput,
        targetThroughput: t.throughput,
        progress: 0,
        startTime: deps.clock.now(),
      };
      deps.volumes.put({ ...v, modification });
      // A QEMU that has the disk open: changes go to it, not to the file under it.
      const live =
        i?.runtime && (i.state === 'running' || i.state === 'pending' || i.state === 'stopping')
          ? i.runtime
          : undefined;
      try {
        if (t.size > v.sizeGiB) {
          if (live) {
            await deps.guestDisks.resize(
              live,
              { volumeId: v.id, root: v.root === true },
              t.size * GIB,
            );
          } else {
            await deps.files.resize(v.path, t.size * GIB);
          }
        }
        // The new type, IOPS, throughput or size holds for the running guest at once.
        if (live) {
          await deps.guestDisks.setThrottle(
            live,
            { volumeId: v.id, root: v.root === true },
            volumeThrottle({
              volumeType: t.type,
              sizeGiB: t.size,
              iops: t.iops,
              throughput: t.throughput,
            }),
          );
        }
      } catch (e) {
        deps.volumes.put({
          ...v,
          modification: {
            ...modification,
            state: 'failed',
            statusMessage: String(e),
            endTime: deps.clock.now(),
          },
        });
        throw e;
      }
      const done: Volume = {
        ...v,
        sizeGiB: t.size,
        volumeType: t.type,
        iops: t.iops,
        throughput: t.throughput,
        modification: {
          ...modification,
          state: 'completed',
          progress: 100,
          endTime: deps.clock.now(),
        },
      };
      deps.volumes.put(done);
      deps.logger.info('volume modified', { volumeId: v.id, sizeGiB: t.size, type: t.type });
      return done;
    }),
  );
}

const MODIFICATION_FILTERS = {
  fields: {
    'modification-state': (v: Volume) => (v.modification ? [v.modification.state] : []),
    'original-size': (v: Volume) =>
      v.modification ? [String(v.modification.originalSizeGiB)] : [],
    'original-volume-type': (v: Volume) =>
      v.modification ? [v.modification.originalVolumeType] : [],
    'start-time': (v: Volume) => (v.modification ? [v.modification.startTime.toISOString()] : []),
    'target-size': (v: Volume) => (v.modification ? [String(v.modification.targetSizeGiB)] : []),
    'target-volume-type': (v: Volume) => (v.modification ? [v.modification.targetVolumeType] : []),
    'volume-id': (v: Volume) => [v.id],
  },
};

/** DescribeVolumesModifications: the latest modification of each volume that has one. */
export function describeVolumesModifications(
  deps: Pick<StorageDeps, 'volumes'>,
  ids: readonly string[],
  filters: readonly Filter[],
): Volume[] {
  ids.forEach(assertVolumeId);
  return applyFilters(
    byIdsOrAll(ids, deps.volumes, volumeNotFound).filter((v) => v.modification),
    filters,
    MODIFICATION_FILTERS,
  );
}
