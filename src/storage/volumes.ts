import { dryRunOperation, invalidParameter, quoted } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { withRollback } from '../core/rollback.js';
import { applyFilters, type Filter, type Tag } from '../core/tags.js';
import { validateTagSpecifications, type TagSpecification } from '../compute/tag-specifications.js';
import { byIdsOrAll } from './by-ids.js';
import type { StorageDeps } from './deps.js';
import { validatePerformance } from './volume-performance.js';
import type { Snapshot } from './snapshot.js';
import {
  assertSnapshotId,
  assertVolumeId,
  snapshotNotFound,
  insufficientVolumeCapacity,
  volumeIncorrectState,
  volumeInUse,
  volumeNotFound,
} from './errors.js';
import {
  DEFAULT_VOLUME_TYPE,
  GIB,
  SIZE_LIMITS_GIB,
  VOLUME_TYPES,
  type Volume,
  type VolumeType,
} from './volume.js';

export interface CreateVolumeInput {
  readonly sizeGiB?: number | undefined;
  readonly snapshotId?: string | undefined;
  readonly volumeType?: string | undefined;
  readonly availabilityZone?: string | undefined;
  readonly iops?: number | undefined;
  readonly throughput?: number | undefined;
  readonly tagSpecifications?: readonly TagSpecification[] | undefined;
  readonly dryRun?: boolean | undefined;
}

function volumeType(name: string | undefined): VolumeType {
  const t = name || DEFAULT_VOLUME_TYPE;
  if (!(VOLUME_TYPES as readonly string[]).includes(t)) {
    throw invalidParameter(
      `Invalid value ${quoted(t)} for VolumeType; use one of ${VOLUME_TYPES.join(', ')}`,
    );
  }
  return t as VolumeType;
}

function checkZone(deps: StorageDeps, zone: string | undefined): string {
  const own = deps.settings.availabilityZone;
  if (!zone) {
    throw invalidParameter(
      `The request must contain the parameter AvailabilityZone (this host has ${own})`,
      'MissingParameter',
    );
  }
  if (zone !== own) {
    throw invalidParameter(
      `Invalid availability zone: [${zone.slice(0, 64)}]; this host has one zone, ${own}`,
    );
  }
  return own;
}

/** Refuses when making `bytes` more would leave less than the host's reserve free. */
export async function assertSpace(deps: StorageDeps, bytes: number, what: string): Promise<void> {
  const free = await deps.files.freeBytes();
  const reserve = deps.settings.reserveBytes;
  if (free - bytes < reserve) {
    const mib = (n: number) => `${Math.floor(n / 1024 ** 2)} MiB`;
    throw insufficientVolumeCapacity(
      `Not enough free disk space for ${what}: it needs ${mib(bytes)}, ${mib(free)} are free and ` +
        `${mib(reserve)} are kept for the host. Delete unused volumes or snapshots, or make room ` +
        'on the state directory.',
    );
  }
}

/**
 * CreateVolume: a blank thin qcow2 of --size GiB. The row is recorded as `creating` before the
 * file is made (start-up recovery removes what a killed kumod left), and the file is removed if
 * the row cannot become `available`: nothing half-made stays.
 */
export async function createVolume(deps: StorageDeps, input: CreateVolumeInput): Promise<Volume> {
  const zone = checkZone(deps, input.availabilityZone);
  const tags: Tag[] = validateTagSpecifications(input.tagSpecifications ?? [], ['volume']);
  const { type, size, snapshot } = planVolume(deps, input);
  // The file is thin, but its metadata and the first writes need room: a floor, not the size.
  await assertSpace(deps, 0, `a ${size} GiB volume`);
  if (input.dryRun) throw dryRunOperation();
  const volume: Volume = {
    id: newId('vol'),
    sizeGiB: size,
    volumeType: type,
    iops: input.iops || undefined,
    throughput: input.throughput || undefined,
    availabilityZone: zone,
    state: 'creating',
    createTime: deps.clock.now(),
    snapshotId: snapshot?.id,
    tags,
  };
  deps.volumes.put(volume);
  return withRollback(deps.logger, async (rollback) => {
    rollback.add(`row of ${volume.id}`, () => Promise.resolve(deps.volumes.delete(volume.id)));
    const path = await makeVolumeFile(deps, volume.id, size, snapshot);
    rollback.add(`file of ${volume.id}`, () => deps.files.remove(path));
    const made: Volume = { ...volume, path, state: 'available' };
    deps.volumes.put(made);
    deps.logger.info('volume created', { volumeId: volume.id, sizeGiB: size });
    return made;
  });
}

/** A new volume's file: a copy-on-write overlay on its snapshot (O(1)), or blank and thin. */
export function makeVolumeFile(
  deps: StorageDeps,
  volumeId: string,
  sizeGiB: number,
  snapshot: Snapshot | undefined,
): Promise<string> {
  return snapshot?.path
    ? deps.files.createOverlay(volumeId, snapshot.path, sizeGiB * GIB)
    : deps.files.createBlank(volumeId, sizeGiB * GIB);
}

/**
 * Checks what a new volume asks for (type, size against the type and the snapshot, IOPS and
 * throughput) and returns its type, size and snapshot; throws EC2's error otherwise.
 */
export function planVolume(
  deps: Pick<StorageDeps, 'snapshots'>,
  input: Pick<CreateVolumeInput, 'sizeGiB' | 'snapshotId' | 'volumeType' | 'iops' | 'throughput'>,
): { type: VolumeType; size: number; snapshot: Snapshot | undefined } {
  const type = volumeType(input.volumeType);
  const snapshot = input.snapshotId ? snapshotOf(deps, input.snapshotId) : undefined;
  const size = input.sizeGiB || snapshot?.volumeSizeGiB || 0;
  const limits = SIZE_LIMITS_GIB[type];
  if (!size) {
    throw invalidParameter(
      'The request must contain the parameter size or snapshotId (pass --size GiB)',
      'MissingParameter',
    );
  }
  if (!Number.isInteger(size) || size < limits.min || size > limits.max) {
    throw invalidParameter(
      `Volume of ${size} GiB is out of range for ${type}: use ${limits.min} to ${limits.max} GiB`,
    );
  }
  if (snapshot && size < snapshot.volumeSizeGiB) {
    throw invalidParameter(
      `The volume size (${size} GiB) cannot be smaller than the snapshot size ` +
        `(${snapshot.volumeSizeGiB} GiB); pass --size ${snapshot.volumeSizeGiB} or more`,
    );
  }
  validatePerformance({
    volumeType: type,
    sizeGiB: size,
    iops: input.iops || undefined,
    throughput: input.throughput || undefined,
  });
  return { type, size, snapshot };
}

function snapshotOf(deps: Pick<StorageDeps, 'snapshots'>, id: string): Snapshot {
  assertSnapshotId(id);
  const s = deps.snapshots.get(id);
  if (!s) throw snapshotNotFound(id);
  if (s.state !== 'completed' || !s.path) {
    throw volumeIncorrectState(`The snapshot '${id}' is ${s.state}; wait until it is completed`);
  }
  return s;
}

const iso = (d: Date | undefined): string[] => (d ? [d.toISOString()] : []);

/** EC2's DescribeVolumes filters. */
const VOLUME_FILTERS = {
  fields: {
    'attachment.attach-time': (v: Volume) => iso(v.attachment?.attachTime),
    'attachment.delete-on-termination': (v: Volume) =>
      v.attachment ? [String(v.attachment.deleteOnTermination)] : [],
    'attachment.device': (v: Volume) => (v.attachment ? [v.attachment.device] : []),
    'attachment.instance-id': (v: Volume) => (v.attachment ? [v.attachment.instanceId] : []),
    'attachment.status': (v: Volume) => (v.attachment ? [v.attachment.state] : []),
    'availability-zone': (v: Volume) => [v.availabilityZone],
    'create-time': (v: Volume) => iso(v.createTime),
    encrypted: () => ['false'],
    'multi-attach-enabled': () => ['false'],
    size: (v: Volume) => [String(v.sizeGiB)],
    'snapshot-id': (v: Volume) => (v.snapshotId ? [v.snapshotId] : []),
    status: (v: Volume) => [v.state],
    'volume-id': (v: Volume) => [v.id],
    'volume-type': (v: Volume) => [v.volumeType],
  },
  tags: (v: Volume) => v.tags,
};

/** DescribeVolumes: by id (each must exist, as in EC2) and filters, oldest first. */
export function describeVolumes(
  deps: Pick<StorageDeps, 'volumes'>,
  ids: readonly string[],
  filters: readonly Filter[],
): Volume[] {
  ids.forEach(assertVolumeId);
  return applyFilters(byIdsOrAll(ids, deps.volumes, volumeNotFound), filters, VOLUME_FILTERS);
}

/** DeleteVolume: only a volume that is not attached (VolumeInUse otherwise), file and row. */
export async function deleteVolume(
  deps: StorageDeps,
  id: string,
  options: { dryRun?: boolean | undefined } = {},
): Promise<void> {
  assertVolumeId(id);
  await deps.locks.run(id, async () => {
    const v = deps.volumes.get(id);
    if (!v) throw volumeNotFound(id);
    if (v.attachment) {
      throw volumeInUse(
        `Volume ${id} is currently attached to ${v.attachment.instanceId}; detach it first ` +
          '(kumo detach-volume), or terminate the instance',
      );
    }
    if (v.state !== 'available' && v.state !== 'error') {
      throw volumeIncorrectState(`The volume '${id}' is '${v.state}' and cannot be deleted now`);
    }
    if (options.dryRun) throw dryRunOperation();
    deps.volumes.put({ ...v, state: 'deleting' });
    if (v.path) await deps.files.remove(v.path);
    deps.volumes.delete(id);
    deps.logger.info('volume deleted', { volumeId: id });
  });
}
