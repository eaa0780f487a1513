import { describe, expect, it } from 'vitest';
import { reconcileAll } from '../../../src/compute/instance-reconciler.js';
import { runInstances } from '../../../src/compute/run-instances.js';
import { attachVolume } from '../../../src/storage/attachments.js';
import { recoverVolumes } from '../../../src/storage/recovery.js';
import {
  copySnapshot,
  createSnapshot,
  deleteSnapshot,
  describeSnapshots,
} from '../../../src/storage/snapshots.js';
import { createVolume, deleteVolume } from '../../../src/storage/volumes.js';
import { fakeComputeDeps, type FakeComputeDeps } from '../../fakes/compute-deps.js';

const ZONE = 'kumo-local-1a';

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'no error',
    (e: unknown) => (e as { code?: string }).code ?? 'no code',
  );

async function launched(d: FakeComputeDeps) {
  const [i] = await runInstances(d, { minCount: 1, maxCount: 1 });
  await reconcileAll(d);
  return d.instances.get(i!.id)!;
}

describe('snapshots', () => {
  it('of a detached volume: a flat copy, completed, then a volume from it', async () => {
    const d = fakeComputeDeps();
    const v = await createVolume(d.storage, { sizeGiB: 2, availabilityZone: ZONE });
    const s = await createSnapshot(d.storage, {
      volumeId: v.id,
      description: 'nightly',
      tagSpecifications: [{ resourceType: 'snapshot', tags: [{ key: 'k', value: 'v' }] }],
    });
    expect(s).toMatchObject({ state: 'completed', progress: '100%', volumeSizeGiB: 2 });
    expect(d.storage.files.files.get(s.path!)?.copyOf).toBe(v.path);
    expect(describeSnapshots(d.storage, [], [{ name: 'tag:k', values: ['v'] }])).toEqual([s]);
    expect(describeSnapshots(d.storage, [], [{ name: 'volume-id', values: [v.id] }])).toEqual([s]);

    const w = await createVolume(d.storage, { snapshotId: s.id, availabilityZone: ZONE });
    expect(w).toMatchObject({ sizeGiB: 2, snapshotId: s.id, state: 'available' });
    expect(d.storage.files.files.get(w.path!)?.backing).toBe(s.path);
    expect(
      await codeOf(
        createVolume(d.storage, { snapshotId: s.id, sizeGiB: 1, availabilityZone: ZONE }),
      ),
    ).toBe('InvalidParameterValue');

    // In use by w: refused; once w is gone, deleted with its file.
    expect(await codeOf(deleteSnapshot(d.storage, s.id))).toBe('InvalidSnapshot.InUse');
    await deleteVolume(d.storage, w.id);
    await deleteSnapshot(d.storage, s.id);
    expect(d.storage.files.files.has(s.path!)).toBe(false);
    expect(await codeOf(deleteSnapshot(d.storage, s.id))).toBe('InvalidSnapshot.NotFound');
  });

  it('of a volume attached to a running guest: a live backup, not a file copy', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await createVolume(d.storage, { sizeGiB: 1, availabilityZone: ZONE });
    await attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdf' });
    const s = await createSnapshot(d.storage, { volumeId: v.id });
    expect(d.storage.guestDisks.backups).toEqual([[i.id, v.id, s.path]]);
    expect(d.storage.files.files.get(s.path!)?.copyOf).toBeUndefined();
    const root = d.rootDisks.disks(i.id).find((x) => x.root)!;
    const r = await createSnapshot(d.storage, { volumeId: root.volumeId });
    expect(d.storage.guestDisks.backups.at(-1)).toEqual([i.id, root.volumeId, r.path]);
  });

  it('a failed copy leaves no snapshot row or file', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await createVolume(d.storage, { sizeGiB: 1, availabilityZone: ZONE });
    d.storage.files.failNext = new Error('qemu-img convert killed');
    await expect(createSnapshot(d.storage, { volumeId: v.id })).rejects.toThrow('convert');
    await attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdf' });
    d.storage.guestDisks.failNextBackup = new Error('QMP blockdev-backup failed');
    await expect(createSnapshot(d.storage, { volumeId: v.id })).rejects.toThrow('blockdev-backup');
    expect(d.storage.snapshots.list()).toEqual([]);
    expect([...d.storage.files.files.keys()].filter((p) => p.includes('snap-'))).toEqual([]);
  });

  it('copies, refuses bad input with EC2 codes, and start-up drops pending ones', async () => {
    const d = fakeComputeDeps();
    const v = await createVolume(d.storage, { sizeGiB: 1, availabilityZone: ZONE });
    const s = await createSnapshot(d.storage, { volumeId: v.id });
    const c = await copySnapshot(d.storage, { sourceSnapshotId: s.id });
    expect(c).toMatchObject({ state: 'completed', sourceSnapshotId: s.id, volumeId: v.id });
    expect(c.id).not.toBe(s.id);
    expect(d.storage.files.files.get(c.path!)?.copyOf).toBe(s.path);
    expect(await codeOf(createSnapshot(d.storage, { volumeId: 'vol-0123456789abcdef0' }))).toBe(
      'InvalidVolume.NotFound',
    );
    expect(await codeOf(createSnapshot(d.storage, { volumeId: v.id, dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(await codeOf(copySnapshot(d.storage, { sourceSnapshotId: 'snap-x' }))).toBe(
      'InvalidSnapshotID.Malformed',
    );
    d.storage.files.free = 1024 ** 3;
    expect(await codeOf(createSnapshot(d.storage, { volumeId: v.id }))).toBe(
      'InsufficientVolumeCapacity',
    );
    d.storage.snapshots.put({ ...c, state: 'pending', progress: '40%' });
    await recoverVolumes(d.storage);
    expect(d.storage.snapshots.get(c.id)).toBeUndefined();
    expect(d.storage.files.files.has(c.path!)).toBe(false);
    expect(d.storage.snapshots.get(s.id)?.state).toBe('completed');
  });
});

describe('dependants', () => {
  it('names the volumes an image must stay for, root volumes kept after terminate included', async () => {
    const { imagesInUse, volumesUsingImage } = await import('../../../src/storage/dependants.js');
    const d = fakeComputeDeps();
    const i = await launched(d);
    const root = d.rootDisks.disks(i.id).find((x) => x.root)!;
    expect(volumesUsingImage(d.storage, i.imageId)).toEqual([root.volumeId]);
    expect(imagesInUse(d.storage)).toEqual(new Map([[i.imageId, [root.volumeId]]]));
    expect(volumesUsingImage(d.storage, 'ami-0000000000000000f')).toEqual([]);
  });
});
