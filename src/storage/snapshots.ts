import { dryRunOperation, invalidParameter } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { applyFilters, type Filter } from '../core/tags.js';
import { validateTagSpecifications, type TagSpecification } from '../compute/tag-specifications.js';
import { byIdsOrAll } from './by-ids.js';
import type { StorageDeps } from './deps.js';
import {
  assertSnapshotId,
  assertVolumeId,
  snapshotInUse,
  snapshotNotFound,
  volumeIncorrectState,
  volumeNotFound,
} from './errors.js';
import type { Snapshot } from './snapshot.js';
import { GIB, type Volume } from './volume.js';
import { assertSpace } from './volumes.js';

export interface CreateSnapshotInput {
  readonly volumeId: string;
  readonly description?: string | undefined;
  readonly tagSpecifications?: readonly TagSpecification[] | undefined;
  readonly dryRun?: boolean | undefined;
}

const MAX_DESCRIPTION = 255;

function checkDescription(description: string | undefined): string {
  const d = description ?? '';
  if (d.length > MAX_DESCRIPTION)
    throw invalidParameter(`The description is ${d.length} characters; at most 255 are allowed`);
  return d;
}

/** The bytes a full copy of the volume may take: its own file plus what it is backed by. */
async function copyBytes(deps: StorageDeps, v: Volume): Promise<number> {
  let bytes = v.path ? await deps.files.allocatedBytes(v.path) : 0;
  if (v.imageId) bytes += deps.images.get(v.imageId)?.sizeBytes ?? 0;
  const from = v.snapshotId ? deps.snapshots.get(v.snapshotId) : undefined;
  if (from?.path) bytes += await deps.files.allocatedBytes(from.path);
  return bytes;
}

/**
 * Records a pending snapshot, runs `copy` to make its file, and completes it; on failure the
 * file and the row go (nothing half-made), and the error is passed on.
 */
async function makeSnapshot(
  deps: StorageDeps,
  pending: Snapshot,
  copy: (onProgress: (percent: number) => void) => Promise<string>,
): Promise<Snapshot> {
  deps.snapshots.put(pending);
  let path: string | undefined;
  try {
    path = await copy((percent) => {
      const now = deps.snapshots.get(pending.id);
      if (now) deps.snapshots.put({ ...now, progress: `${Math.floor(percent)}%` });
    });
    const done: Snapshot = { ...pending, path, state: 'completed', progress: '100%' };
    deps.snapshots.put(done);
    deps.logger.info('snapshot completed', { snapshotId: pending.id, volumeId: pending.volumeId });
    return done;
  } catch (e) {
    deps.snapshots.delete(pending.id);
    await deps.files
      .remove(path ?? deps.files.snapshotPath(pending.id))
      .catch((u: unknown) =>
        deps.logger.error('could not remove a failed snapshot file', { error: String(u) }),
      );
    throw e;
  }
}

/**
 * CreateSnapshot: a self-contained copy of the volume at this moment. Of a volume attached to a
 * running guest: QMP blockdev-backup (sync=full), crash-consistent at the job's start, the guest
 * not paused (decision 0015); otherwise qemu-img convert. The call returns when the snapshot is
 * complete (EC2 returns at `pending`; kumo's copies take seconds).
 */
export async function createSnapshot(
  deps: StorageDeps,
  input: CreateSnapshotInput,
): Promise<Snapshot> {
  assertVolumeId(input.volumeId);
  const description = checkDescription(input.description);
  const tags = validateTagSpecifications(input.tagSpecifications ?? [], ['snapshot']);
  const first = deps.volumes.get(input.volumeId);
  if (!first) throw volumeNotFound(input.volumeId);
  // An attached volume's instance is locked too (before the volume, as attach does): a stop
  // cannot kill the QEMU that a live backup runs in.
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
      const a = v.attachment;
      const i = a ? deps.instances.get(a.instanceId) : undefined;
      const live = i?.state === 'running' && i.runtime !== undefined;
      if (a && a.state !== 'attached') {
        throw volumeIncorrectState(`The volume '${v.id}' is ${a.state}; try again once it settles`);
      }
      if (i && !live && i.state !== 'stopped') {
        throw volumeIncorrectState(
          `The instance '${i.id}' of volume '${v.id}' is ${i.state}; snapshot it running or stopped`,
        );
      }
      await assertSpace(deps, await copyBytes(deps, v), `a snapshot of ${v.id}`);
      if (input.dryRun) throw dryRunOperation();
      const pending: Snapshot = {
        id: newId('snap'),
        volumeId: v.id,
        volumeSizeGiB: v.sizeGiB,
        state: 'pending',
        progress: '0%',
        startTime: deps.clock.now(),
        description,
        tags,
      };
      const source = v.path;
      return makeSnapshot(deps, pending, async (onProgress) => {
        if (live && i.runtime) {
          const target = await deps.files.createSnapshotTarget(pending.id, v.sizeGiB * GIB);
          await deps.guestDisks.backup(
            i.runtime,
            { volumeId: v.id, root: v.root === true },
            target,
            onProgress,
          );
          return target;
        }
        return deps.files.copyFlat(source, pending.id);
      });
    }),
  );
}

/** CopySnapshot: a new, independent snapshot with the same contents. */
export async function copySnapshot(
  deps: StorageDeps,
  input: {
    sourceSnapshotId: string;
    description?: string | undefined;
    tagSpecifications?: readonly TagSpecification[] | undefined;
    dryRun?: boolean | undefined;
  },
): Promise<Snapshot> {
  assertSnapshotId(input.sourceSnapshotId);
  const description = checkDescription(input.description);
  const tags = validateTagSpecifications(input.tagSpecifications ?? [], ['snapshot']);
  return deps.locks.run(input.sourceSnapshotId, async () => {
    const s = deps.snapshots.get(input.sourceSnapshotId);
    if (!s) throw snapshotNotFound(input.sourceSnapshotId);
    if (s.state !== 'completed' || !s.path) {
      throw invalidParameter(
        `The snapshot '${s.id}' is ${s.state}; only completed snapshots can be copied`,
        'IncorrectState',
      );
    }
    await assertSpace(deps, await deps.files.allocatedBytes(s.path), `a copy of ${s.id}`);
    if (input.dryRun) throw dryRunOperation();
    const source = s.path;
    const id = newId('snap');
    return makeSnapshot(
      deps,
      {
        id,
        volumeId: s.volumeId,
        volumeSizeGiB: s.volumeSizeGiB,
        state: 'pending',
        progress: '0%',
        startTime: deps.clock.now(),
        description: description || `Copied from ${s.id}`,
        sourceSnapshotId: s.id,
        tags,
      },
      () => deps.files.copyFlat(source, id),
    );
  });
}

const SNAPSHOT_FILTERS = {
  fields: {
    description: (s: Snapshot) => [s.description],
    'owner-id': () => ['kumo'],
    progress: (s: Snapshot) => [s.progress],
    'snapshot-id': (s: Snapshot) => [s.id],
    'start-time': (s: Snapshot) => [s.startTime.toISOString()],
    status: (s: Snapshot) => [s.state],
    'volume-id': (s: Snapshot) => [s.volumeId],
    'volume-size': (s: Snapshot) => [String(s.volumeSizeGiB)],
    encrypted: () => ['false'],
  },
  tags: (s: Snapshot) => s.tags,
};

/** DescribeSnapshots: by id (each must exist) and filters, oldest first. */
export function describeSnapshots(
  deps: Pick<StorageDeps, 'snapshots'>,
  ids: readonly string[],
  filters: readonly Filter[],
): Snapshot[] {
  ids.forEach(assertSnapshotId);
  return applyFilters(byIdsOrAll(ids, deps.snapshots, snapshotNotFound), filters, SNAPSHOT_FILTERS);
}

/** Volumes made from the snapshot that still exist (their files are overlays on it). */
export const volumesUsingSnapshot = (deps: Pick<StorageDeps, 'volumes'>, id: string): string[] =>
  deps.volumes
    .list()
    .filter((v) => v.snapshotId === id)
    .map((v) => v.id);

/** DeleteSnapshot: refused while a volume (or an image) needs it. */
export async function deleteSnapshot(
  deps: StorageDeps,
  id: string,
  options: { dryRun?: boolean | undefined } = {},
): Promise<void> {
  assertSnapshotId(id);
  await deps.locks.run(id, async () => {
    const s = deps.snapshots.get(id);
    if (!s) throw snapshotNotFound(id);
    const users = [...volumesUsingSnapshot(deps, id), ...(deps.imagesUsingSnapshot?.(id) ?? [])];
    if (users.length > 0) {
      throw snapshotInUse(
        `The snapshot ${id} is currently in use by ${users.slice(0, 3).join(', ')}; delete ` +
          'those first',
      );
    }
    if (s.state === 'pending') {
      throw invalidParameter(`The snapshot '${id}' is still pending`, 'IncorrectState');
    }
    if (options.dryRun) throw dryRunOperation();
    if (s.path) await deps.files.remove(s.path);
    deps.snapshots.delete(id);
    deps.logger.info('snapshot deleted', { snapshotId: id });
  });
}
