import { describe, expect, it } from 'vitest';
import { reconcileAll } from '../../../src/compute/instance-reconciler.js';
import {
  startInstances,
  stopInstances,
  terminateInstances,
} from '../../../src/compute/instance-lifecycle.js';
import { runInstances } from '../../../src/compute/run-instances.js';
import { attachVolume, detachVolume } from '../../../src/storage/attachments.js';
import { recoverVolumes } from '../../../src/storage/recovery.js';
import { createVolume, deleteVolume, describeVolumes } from '../../../src/storage/volumes.js';
import { fakeComputeDeps, type FakeComputeDeps } from '../../fakes/compute-deps.js';

const ZONE = 'kumo-local-1a';

async function launched(d: FakeComputeDeps) {
  const [i] = await runInstances(d, { minCount: 1, maxCount: 1 });
  await reconcileAll(d);
  return d.instances.get(i!.id)!;
}

const blank = (d: FakeComputeDeps, size = 1) =>
  createVolume(d.storage, { sizeGiB: size, availabilityZone: ZONE });

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'no error',
    (e: unknown) => (e as { code?: string }).code ?? 'no code',
  );

describe('root volumes', () => {
  it('every instance boots from a root volume, listed with DeleteOnTermination', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const [root] = describeVolumes(
      d.storage,
      [],
      [{ name: 'attachment.instance-id', values: [i.id] }],
    );
    expect(root).toMatchObject({
      state: 'in-use',
      root: true,
      imageId: i.imageId,
      attachment: {
        instanceId: i.id,
        device: '/dev/vda',
        state: 'attached',
        deleteOnTermination: true,
      },
    });
    expect(i.rootDisk).toBe(root!.path);
    expect(d.storage.files.files.get(root!.path!)?.backing).toBe('/img/disk.qcow2');
    expect(d.rootDisks.disks(i.id).map((x) => x.volumeId)).toEqual([root!.id]);
  });

  it('terminate deletes DeleteOnTermination volumes and frees the others', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const data = await blank(d);
    await attachVolume(d.storage, { volumeId: data.id, instanceId: i.id, device: '/dev/sdf' });
    await terminateInstances(d, [i.id]);
    await reconcileAll(d);
    expect(d.instances.get(i.id)?.state).toBe('terminated');
    const left = describeVolumes(d.storage, [], []);
    expect(left.map((v) => [v.id, v.state, v.attachment])).toEqual([
      [data.id, 'available', undefined],
    ]);
    expect([...d.storage.files.files.keys()]).toEqual([data.path]);
  });

  it('an undone launch leaves no root volume row or file', async () => {
    const d = fakeComputeDeps();
    d.hypervisor.failNextStart = new Error('qemu failed');
    await expect(runInstances(d, { minCount: 1, maxCount: 1 })).rejects.toThrow('qemu failed');
    expect(d.storage.volumes.list()).toEqual([]);
    expect(d.storage.files.files.size).toBe(0);
  });
});

describe('create, describe, delete', () => {
  it('creates a blank volume, available, tagged, filtered and deleted', async () => {
    const d = fakeComputeDeps();
    const v = await createVolume(d.storage, {
      sizeGiB: 4,
      availabilityZone: ZONE,
      volumeType: 'io2',
      iops: 3000,
      tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'team', value: 'db' }] }],
    });
    expect(v).toMatchObject({ state: 'available', sizeGiB: 4, volumeType: 'io2', iops: 3000 });
    expect(d.storage.files.files.get(v.path!)?.sizeBytes).toBe(4 * 1024 ** 3);
    expect(describeVolumes(d.storage, [], [{ name: 'tag:team', values: ['db'] }])).toEqual([v]);
    expect(describeVolumes(d.storage, [], [{ name: 'status', values: ['in-use'] }])).toEqual([]);
    await deleteVolume(d.storage, v.id);
    expect(d.storage.volumes.list()).toEqual([]);
    expect(d.storage.files.files.size).toBe(0);
  });

  it('refuses bad input with EC2 codes and makes nothing', async () => {
    const d = fakeComputeDeps();
    const cv = (input: Parameters<typeof createVolume>[1]) =>
      codeOf(createVolume(d.storage, input));
    expect(await cv({ availabilityZone: ZONE })).toBe('MissingParameter');
    expect(await cv({ sizeGiB: 1 })).toBe('MissingParameter');
    expect(await cv({ sizeGiB: 1, availabilityZone: 'us-east-1a' })).toBe('InvalidParameterValue');
    expect(await cv({ sizeGiB: 1, availabilityZone: ZONE, volumeType: 'fast' })).toBe(
      'InvalidParameterValue',
    );
    expect(await cv({ sizeGiB: 20000, availabilityZone: ZONE })).toBe('InvalidParameterValue');
    expect(await cv({ sizeGiB: 10, availabilityZone: ZONE, volumeType: 'st1' })).toBe(
      'InvalidParameterValue',
    );
    expect(await cv({ snapshotId: 'snap-0123456789abcdef0', availabilityZone: ZONE })).toBe(
      'InvalidSnapshot.NotFound',
    );
    expect(await cv({ sizeGiB: 1, availabilityZone: ZONE, dryRun: true })).toBe('DryRunOperation');
    d.storage.files.free = 512 * 1024 ** 2;
    expect(await cv({ sizeGiB: 1, availabilityZone: ZONE })).toBe('InsufficientVolumeCapacity');
    expect(d.storage.volumes.list()).toEqual([]);
    expect(await codeOf(deleteVolume(d.storage, 'vol-nope'))).toBe('InvalidVolumeID.Malformed');
    expect(await codeOf(deleteVolume(d.storage, 'vol-0123456789abcdef0'))).toBe(
      'InvalidVolume.NotFound',
    );
    expect(() => describeVolumes(d.storage, ['vol-0123456789abcdef0'], [])).toThrow(
      expect.objectContaining({ code: 'InvalidVolume.NotFound' }),
    );
    expect(() => describeVolumes(d.storage, [], [{ name: 'colour', values: ['x'] }])).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue' }),
    );
  });

  it('a failed file creation leaves no row', async () => {
    const d = fakeComputeDeps();
    d.storage.files.failNext = new Error('disk full');
    await expect(blank(d)).rejects.toThrow('disk full');
    expect(d.storage.volumes.list()).toEqual([]);
  });
});

describe('attach and detach', () => {
  it('hot-plugs into a running guest and unplugs on detach', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await blank(d);
    const a = await attachVolume(d.storage, {
      volumeId: v.id,
      instanceId: i.id,
      device: '/dev/sdf',
    });
    expect(a).toMatchObject({ state: 'attached', instanceId: i.id, device: '/dev/sdf' });
    expect(d.storage.guestDisks.plugged.get(i.id)).toEqual(new Set([v.id]));
    expect(describeVolumes(d.storage, [v.id], [])[0]).toMatchObject({
      state: 'in-use',
      attachment: { state: 'attached', deleteOnTermination: false },
    });
    const gone = await detachVolume(d.storage, { volumeId: v.id });
    expect(gone.state).toBe('detached');
    expect(d.storage.guestDisks.plugged.get(i.id)).toEqual(new Set());
    expect(describeVolumes(d.storage, [v.id], [])[0]).toMatchObject({ state: 'available' });
  });

  it('attaches to a stopped instance; its next start has the disk', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    await stopInstances(d, [i.id], true);
    await reconcileAll(d);
    const v = await blank(d);
    await attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdg' });
    expect(d.storage.guestDisks.plugged.size).toBe(0);
    await startInstances(d, [i.id]);
    const vm = [...d.hypervisor.vms.values()].at(-1)!;
    expect(vm.spec.dataDisks).toEqual([
      {
        volumeId: v.id,
        serial: v.id.replace('-', ''),
        path: v.path,
        // gp3's baseline: 3,000 IOPS and 125 MiB/s, each I/O up to 256 KiB one operation.
        throttle: { iops: 3000, bps: 125 * 1024 ** 2, iopsSize: 256 * 1024 },
      },
    ]);
  });

  it('refuses a second attach, a taken device, the root volume, bad states and ids', async () => {
    const d = fakeComputeDeps();
    const a = await launched(d);
    const b = await launched(d);
    const v = await blank(d);
    const w = await blank(d);
    const attach = (volumeId: string, instanceId: string, device = '/dev/sdf') =>
      codeOf(attachVolume(d.storage, { volumeId, instanceId, device }));
    expect(await attach(v.id, a.id, '/dev/vdz')).toBe('InvalidParameterValue');
    expect(await attach(v.id, a.id, '/dev/sdf')).toBe('no error');
    expect(await attach(v.id, b.id, '/dev/sdf')).toBe('VolumeInUse');
    expect(await attach(w.id, a.id, '/dev/sdf')).toBe('InvalidParameterValue');
    expect(await attach(w.id, 'i-0123456789abcdef0')).toBe('InvalidInstanceID.NotFound');
    expect(await attach('vol-0123456789abcdef0', a.id)).toBe('InvalidVolume.NotFound');
    expect(
      await codeOf(
        attachVolume(d.storage, {
          volumeId: w.id,
          instanceId: a.id,
          device: '/dev/sdg',
          dryRun: true,
        }),
      ),
    ).toBe('DryRunOperation');
    const root = d.rootDisks.disks(a.id).find((x) => x.root)!;
    expect(await codeOf(detachVolume(d.storage, { volumeId: root.volumeId }))).toBe(
      'OperationNotPermitted',
    );
    expect(await codeOf(detachVolume(d.storage, { volumeId: w.id }))).toBe('IncorrectState');
    expect(await codeOf(detachVolume(d.storage, { volumeId: v.id, instanceId: b.id }))).toBe(
      'InvalidAttachment.NotFound',
    );
    expect(await codeOf(deleteVolume(d.storage, v.id))).toBe('VolumeInUse');
    await terminateInstances(d, [b.id]);
    expect(await attach(w.id, b.id, '/dev/sdh')).toBe('IncorrectInstanceState');
  });

  it('a guest that holds the disk keeps it attached, with a message', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await blank(d);
    await attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdf' });
    d.storage.guestDisks.holdOn.add(v.id);
    await expect(detachVolume(d.storage, { volumeId: v.id })).rejects.toMatchObject({
      code: 'IncorrectState',
      message: expect.stringContaining('did not release'),
    });
    expect(d.storage.volumes.get(v.id)?.attachment?.state).toBe('attached');
  });

  it('a failed hot-plug leaves the volume available', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await blank(d);
    d.storage.guestDisks.failNextPlug = new Error('QMP device_add failed');
    await expect(
      attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdf' }),
    ).rejects.toThrow('device_add');
    expect(d.storage.volumes.get(v.id)?.state).toBe('available');
    expect(d.storage.volumes.get(v.id)?.attachment).toBeUndefined();
  });
});

describe('start-up recovery', () => {
  it('undoes creating, finishes deleting, rolls interrupted attaches back', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const creating = await blank(d);
    const deleting = await blank(d);
    const attaching = await blank(d);
    d.storage.volumes.put({ ...creating, state: 'creating' });
    d.storage.volumes.put({ ...deleting, state: 'deleting' });
    d.storage.volumes.put({
      ...attaching,
      state: 'in-use',
      attachment: {
        instanceId: i.id,
        device: '/dev/sdf',
        state: 'attaching',
        attachTime: d.clock.now(),
        deleteOnTermination: false,
      },
    });
    await recoverVolumes(d.storage);
    expect(d.storage.volumes.get(creating.id)).toBeUndefined();
    expect(d.storage.volumes.get(deleting.id)).toBeUndefined();
    expect(d.storage.volumes.get(attaching.id)).toMatchObject({ state: 'available' });
    expect(d.storage.files.files.has(attaching.path!)).toBe(true);
    // The root volume is untouched.
    expect(d.rootDisks.disks(i.id)).toHaveLength(1);
  });
});

describe('block device mappings', () => {
  it('grow the root volume and keep it after terminate when asked', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, {
      minCount: 1,
      maxCount: 1,
      blockDeviceMappings: [
        { deviceName: '/dev/vda', ebs: { volumeSize: 3, deleteOnTermination: false } },
      ],
    });
    const root = d.rootDisks.disks(i!.id)[0]!;
    expect(root.deleteOnTermination).toBe(false);
    expect(d.storage.volumes.get(root.volumeId)?.sizeGiB).toBe(3);
    expect(d.storage.files.files.get(root.path)?.sizeBytes).toBe(3 * 1024 ** 3);
    await terminateInstances(d, [i!.id]);
    await reconcileAll(d);
    expect(d.storage.volumes.get(root.volumeId)).toMatchObject({ state: 'available' });
    expect(d.storage.files.files.has(root.path)).toBe(true);
  });

  it('makes data volumes with the launch: blank or from a snapshot, attached at first boot', async () => {
    const { createSnapshot } = await import('../../../src/storage/snapshots.js');
    const d = fakeComputeDeps();
    const source = await blank(d, 2);
    const snap = await createSnapshot(d.storage, { volumeId: source.id });
    const [i] = await runInstances(d, {
      minCount: 1,
      maxCount: 1,
      blockDeviceMappings: [
        { deviceName: '/dev/sdf', ebs: { volumeSize: 4, volumeType: 'io1', iops: 200 } },
        { deviceName: '/dev/sdg', ebs: { snapshotId: snap.id, deleteOnTermination: true } },
      ],
    });
    await reconcileAll(d);
    const disks = d.rootDisks.disks(i!.id);
    expect(disks.map((x) => [x.deviceName, x.deleteOnTermination])).toEqual([
      ['/dev/vda', true],
      ['/dev/sdf', false],
      ['/dev/sdg', true],
    ]);
    const [f, g] = [disks[1]!, disks[2]!];
    expect(d.storage.volumes.get(f.volumeId)).toMatchObject({
      sizeGiB: 4,
      volumeType: 'io1',
      iops: 200,
      state: 'in-use',
    });
    expect(d.storage.files.files.get(g.path)?.backing).toBe(snap.path);
    // The first boot has both, with their types' limits.
    const vm = [...d.hypervisor.vms.values()].at(-1)!;
    expect(vm.spec.dataDisks?.map((x) => [x.volumeId, x.throttle?.iops])).toEqual([
      [f.volumeId, 200],
      [g.volumeId, 3000],
    ]);
    await terminateInstances(d, [i!.id]);
    await reconcileAll(d);
    expect(d.storage.volumes.get(f.volumeId)).toMatchObject({ state: 'available' });
    expect(d.storage.volumes.get(g.volumeId)).toBeUndefined();
  });

  it('an undone launch takes its data volumes with it', async () => {
    const d = fakeComputeDeps();
    d.hypervisor.failNextStart = new Error('QEMU would not start');
    const r = await codeOf(
      runInstances(d, {
        minCount: 1,
        maxCount: 1,
        blockDeviceMappings: [{ deviceName: '/dev/sdf', ebs: { volumeSize: 1 } }],
      }),
    );
    expect(r).not.toBe('no error');
    expect(d.storage.volumes.list()).toEqual([]);
    expect(d.storage.files.files.size).toBe(0);
  });

  it('refuses bad devices, sizes, types and snapshots, a root smaller than the image, and duplicates', async () => {
    const d = fakeComputeDeps();
    const run = (blockDeviceMappings: Parameters<typeof runInstances>[1]['blockDeviceMappings']) =>
      codeOf(runInstances(d, { minCount: 1, maxCount: 1, blockDeviceMappings }));
    expect(await run([{ deviceName: '/dev/hda', ebs: { volumeSize: 1 } }])).toBe(
      'InvalidBlockDeviceMapping',
    );
    expect(await run([{ deviceName: '/dev/sdf' }])).toBe('InvalidBlockDeviceMapping');
    expect(await run([{ deviceName: '/dev/sdf', ebs: { volumeSize: 1, iops: 300 } }])).toBe(
      'InvalidParameterValue',
    );
    expect(await run([{ deviceName: '/dev/sdf', ebs: { volumeSize: 1, volumeType: 'st1' } }])).toBe(
      'InvalidParameterValue',
    );
    expect(
      await run([{ deviceName: '/dev/sdf', ebs: { snapshotId: 'snap-0123456789abcdef0' } }]),
    ).toBe('InvalidSnapshot.NotFound');
    expect(await run([{ deviceName: '/dev/vda', ebs: { volumeSize: 20000 } }])).toBe(
      'InvalidBlockDeviceMapping',
    );
    expect(
      await run([
        { deviceName: '/dev/vda', ebs: { volumeSize: 2 } },
        { deviceName: '/dev/vda', ebs: { volumeSize: 3 } },
      ]),
    ).toBe('InvalidBlockDeviceMapping');
    expect(d.instances.list()).toEqual([]);
    expect(d.storage.volumes.list()).toEqual([]);
  });
});

describe('modify-volume', () => {
  it('grows online when the guest runs, offline otherwise; never shrinks', async () => {
    const { modifyVolume, describeVolumesModifications } =
      await import('../../../src/storage/modify-volume.js');
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await blank(d);
    await attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdf' });
    const grown = await modifyVolume(d.storage, { volumeId: v.id, sizeGiB: 3 });
    expect(grown).toMatchObject({
      sizeGiB: 3,
      modification: { state: 'completed', originalSizeGiB: 1, targetSizeGiB: 3, progress: 100 },
    });
    expect(d.storage.guestDisks.resizes).toEqual([[i.id, v.id, 3 * 1024 ** 3]]);
    const root = d.rootDisks.disks(i.id)[0]!;
    await modifyVolume(d.storage, { volumeId: root.volumeId, sizeGiB: 5 });
    expect(d.storage.guestDisks.resizes.at(-1)).toEqual([i.id, root.volumeId, 5 * 1024 ** 3]);

    const w = await blank(d);
    await modifyVolume(d.storage, { volumeId: w.id, sizeGiB: 2, volumeType: 'gp2' });
    expect(d.storage.files.files.get(w.path!)?.sizeBytes).toBe(2 * 1024 ** 3);
    expect(d.storage.volumes.get(w.id)?.volumeType).toBe('gp2');
    expect(await codeOf(modifyVolume(d.storage, { volumeId: w.id, sizeGiB: 1 }))).toBe(
      'InvalidParameterValue',
    );
    expect(await codeOf(modifyVolume(d.storage, { volumeId: w.id }))).toBe(
      'InvalidParameterCombination',
    );
    expect(
      describeVolumesModifications(d.storage, [], [{ name: 'target-size', values: ['2'] }]).map(
        (x) => x.id,
      ),
    ).toEqual([w.id]);
  });

  it('a new type or IOPS changes the I/O limits of the running guest at once', async () => {
    const { modifyVolume } = await import('../../../src/storage/modify-volume.js');
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await createVolume(d.storage, {
      sizeGiB: 10,
      availabilityZone: ZONE,
      volumeType: 'io1',
      iops: 100,
    });
    await attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdf' });
    expect(d.storage.guestDisks.throttles.get(v.id)).toMatchObject({ iops: 100 });
    await modifyVolume(d.storage, { volumeId: v.id, iops: 500 });
    expect(d.storage.guestDisks.throttles.get(v.id)).toMatchObject({ iops: 500 });
    // gp3 from io1: gp3's own defaults, not io1's IOPS.
    const gp3 = await modifyVolume(d.storage, { volumeId: v.id, volumeType: 'gp3' });
    expect(gp3).toMatchObject({ volumeType: 'gp3', iops: undefined });
    expect(d.storage.guestDisks.throttles.get(v.id)).toMatchObject({
      iops: 3000,
      bps: 125 * 1024 ** 2,
    });
    // Out of gp3's ratio (500 IOPS per GiB): refused, the limits stay.
    expect(await codeOf(modifyVolume(d.storage, { volumeId: v.id, iops: 6000 }))).toBe(
      'InvalidParameterValue',
    );
    expect(d.storage.guestDisks.throttles.get(v.id)).toMatchObject({ iops: 3000 });
  });
});

describe('DeleteOnTermination changes', () => {
  it('are made by device name, checked first, and honoured at terminate', async () => {
    const { setDeleteOnTermination } =
      await import('../../../src/storage/delete-on-termination.js');
    const d = fakeComputeDeps();
    const i = await launched(d);
    const v = await blank(d);
    await attachVolume(d.storage, { volumeId: v.id, instanceId: i.id, device: '/dev/sdf' });
    expect(
      await codeOf(
        setDeleteOnTermination(d.storage, i.id, [
          { deviceName: '/dev/sdf', deleteOnTermination: true },
          { deviceName: '/dev/sdz', deleteOnTermination: true },
        ]),
      ),
    ).toBe('InvalidParameterValue');
    expect(d.storage.volumes.get(v.id)?.attachment?.deleteOnTermination).toBe(false);
    await setDeleteOnTermination(d.storage, i.id, [
      { deviceName: '/dev/sdf', deleteOnTermination: true },
      { deviceName: '/dev/vda', deleteOnTermination: false },
    ]);
    const root = d.rootDisks.disks(i.id).find((x) => x.root)!;
    await terminateInstances(d, [i.id]);
    await reconcileAll(d);
    expect(d.storage.volumes.get(v.id)).toBeUndefined();
    expect(d.storage.volumes.get(root.volumeId)?.state).toBe('available');
  });
});
