import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * EBS volumes on real guests: two kumo-tiny guests (one launch, shared by the tests). Volumes
 * are hot-plugged over QMP and seen in the guest by their serial (the volume id without its
 * dash); bytes written through one guest are read through the other. Each test makes the
 * volumes it uses; only the last test changes the guests (stop/start, restart, terminate).
 */
const BOOT_MS = 240_000;

interface Inst {
  InstanceId: string;
  State: { Name: string };
  PublicIpAddress?: string;
  BlockDeviceMappings?: {
    DeviceName: string;
    Ebs: { VolumeId: string; Status: string; DeleteOnTermination: boolean };
  }[];
}

interface Vol {
  VolumeId: string;
  State: string;
  Size: number;
  Attachments?: { InstanceId: string; State: string; Device: string }[];
}

integrationSuite('EBS volumes on real guests', () => {
  let h: KumodHarness;
  let key: string;
  let a: Inst;
  let b: Inst;

  const describeOne = async (id: string): Promise<Inst> =>
    (await h.json('describe-instances', '--instance-ids', id)).Reservations[0].Instances[0] as Inst;
  const volume = async (id: string): Promise<Vol> =>
    (await h.json('describe-volumes', '--volume-ids', id)).Volumes[0] as Vol;
  const waitState = async (id: string, state: string) => {
    const r = await h.kumo('wait', `instance-${state}`, '--instance-ids', id, '--timeout', '300');
    expect(r.exitCode, `${id} never became ${state}: ${r.stderr}`).toBe(0);
    return describeOne(id);
  };
  const inGuest = async (i: Inst, cmd: string, untilMs = BOOT_MS): Promise<string> => {
    const r = await h.ssh(key, 'root', i.PublicIpAddress as string, cmd, untilMs);
    expect(r.exitCode, `in ${i.InstanceId}: ${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const serial = (volumeId: string) => volumeId.replace('-', '');
  /** The guest's vdX whose serial names the volume, or '' when it has none. */
  const diskOf = async (i: Inst, volumeId: string): Promise<string> =>
    (
      await inGuest(
        i,
        `for d in /sys/block/vd*; do [ "$(cat $d/serial 2>/dev/null)" = ${serial(volumeId)} ] && echo \${d##*/}; done; true`,
      )
    ).trim();
  const appears = (i: Inst, volumeId: string) =>
    eventually(
      `${volumeId} to appear in ${i.InstanceId}`,
      async () => (await diskOf(i, volumeId)) || undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 1000,
      },
    );
  const createVolume = async (sizeGiB = 1): Promise<string> => {
    const v = await h.json(
      'create-volume',
      '--size',
      String(sizeGiB),
      '--availability-zone',
      'kumo-local-1a',
      '--tag-specifications',
      'ResourceType=volume,Tags=[{Key=suite,Value=volumes}]',
    );
    expect(v.State).toBe('available');
    return v.VolumeId as string;
  };
  const attach = async (volumeId: string, i: Inst, device = '/dev/sdf') => {
    const r = await h.json(
      'attach-volume',
      '--volume-id',
      volumeId,
      '--instance-id',
      i.InstanceId,
      '--device',
      device,
    );
    expect(r).toMatchObject({ State: 'attached', InstanceId: i.InstanceId, Device: device });
  };
  const detach = async (volumeId: string) => {
    const r = await h.json('detach-volume', '--volume-id', volumeId);
    expect(r.State).toBe('detached');
    expect((await volume(volumeId)).State).toBe('available');
  };
  const failsWith = async (code: string, ...args: string[]) => {
    const r = await h.kumo(...args);
    expect(r.exitCode, r.stdout).toBe(254);
    expect(r.stderr).toContain(`(${code})`);
  };

  beforeAll(async () => {
    h = await KumodHarness.start();
    // QEMU runs as kumo-qemu and opens a hot-plugged volume by path: as under /var/lib, the
    // directories above the state directory must be searchable (mkdtemp makes 0700).
    chmodSync(h.dir, 0o711);
    const file = join(h.dir, 'me.pem');
    const r = await h.kumo(
      'create-key-pair',
      '--key-name',
      'me',
      '--key-type',
      'ed25519',
      '--query',
      'KeyMaterial',
      '--output',
      'text',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    writeFileSync(file, r.stdout, { mode: 0o600 });
    key = file;
    // The root volumes are grown to 2 GiB (the image is smaller): the guests see it. Each gets a
    // data volume made with the launch (gp2, deleted with the instance).
    const res = await h.json(
      'run-instances',
      '--key-name',
      'me',
      '--count',
      '2',
      '--block-device-mappings',
      'DeviceName=/dev/vda,Ebs={VolumeSize=2}',
      'DeviceName=/dev/sdb,Ebs={VolumeSize=1,VolumeType=gp2,DeleteOnTermination=true}',
      // The default group admits no SSH from outside (as in EC2): the tests reach guests by SSH.
      '--security-group-ids',
      ...(await h.sshGroups()),
    );
    [a, b] = res.Instances as [Inst, Inst];
    a = await waitState(a.InstanceId, 'running');
    b = await waitState(b.InstanceId, 'running');
    await inGuest(a, 'true');
    await inGuest(b, 'true');
  }, 600_000);

  afterAll(async () => {
    if (process.env.KUMO_TEST_VERBOSE) process.stderr.write(h?.log() ?? '');
    await h?.close();
  }, 120_000);

  it('boots every instance from a root volume, listed by describe-volumes', async () => {
    const i = await describeOne(a.InstanceId);
    const [root] = i.BlockDeviceMappings ?? [];
    expect(root).toMatchObject({
      DeviceName: '/dev/vda',
      Ebs: { Status: 'attached', DeleteOnTermination: true },
    });
    expect(root?.Ebs.VolumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(await inGuest(a, 'cat /sys/block/vda/size')).toBe(String((2 * 1024 ** 3) / 512));
    const listed = await h.json(
      'describe-volumes',
      '--filters',
      `Name=attachment.instance-id,Values=${a.InstanceId}`,
    );
    expect(listed.Volumes).toHaveLength(2);
    expect(listed.Volumes[0]).toMatchObject({
      VolumeId: root?.Ebs.VolumeId,
      Size: 2,
      State: 'in-use',
      Attachments: [{ InstanceId: a.InstanceId, State: 'attached', Device: '/dev/vda' }],
    });
    // The launch's data volume: in the mappings, listed as gp2 with its baseline, in the guest
    // from the first boot.
    const data = (i.BlockDeviceMappings ?? [])[1];
    expect(data).toMatchObject({ DeviceName: '/dev/sdb', Ebs: { DeleteOnTermination: true } });
    expect(listed.Volumes[1]).toMatchObject({
      VolumeId: data?.Ebs.VolumeId,
      Size: 1,
      VolumeType: 'gp2',
      Iops: 100,
      Attachments: [{ InstanceId: a.InstanceId, Device: '/dev/sdb' }],
    });
    const disk = await diskOf(a, data?.Ebs.VolumeId as string);
    expect(await inGuest(a, `cat /sys/block/${disk}/size`)).toBe(String(1024 ** 3 / 512));
  });

  it('moves a volume between running guests: same bytes, gone from the first', async () => {
    const vol = await createVolume();
    await attach(vol, a);
    const inA = await appears(a, vol);
    const payload = `kumo-volume-${vol}-${Date.now()}`;
    await inGuest(
      a,
      `printf '%s' '${payload}' | dd of=/dev/${inA} bs=512 conv=sync,fsync 2>/dev/null && sync`,
    );
    expect((await volume(vol)).Attachments?.[0]).toMatchObject({
      InstanceId: a.InstanceId,
      State: 'attached',
    });

    // Grown online: the running guest sees the new size at once.
    const mod = await h.json('modify-volume', '--volume-id', vol, '--size', '2');
    expect(mod.VolumeModification).toMatchObject({
      ModificationState: 'completed',
      OriginalSize: 1,
      TargetSize: 2,
    });
    await eventually(
      `${inA} in ${a.InstanceId} to grow`,
      async () =>
        (await inGuest(a, `cat /sys/block/${inA}/size`)).trim() === String((2 * 1024 ** 3) / 512)
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await failsWith('InvalidParameterValue', 'modify-volume', '--volume-id', vol, '--size', '1');

    await detach(vol);
    expect(await diskOf(a, vol)).toBe('');

    await attach(vol, b, '/dev/sdg');
    const inB = await appears(b, vol);
    const read = await inGuest(b, `dd if=/dev/${inB} bs=${payload.length} count=1 2>/dev/null`);
    expect(read).toBe(payload);
    await detach(vol);
    expect(await diskOf(b, vol)).toBe('');
    expect((await h.kumo('delete-volume', '--volume-id', vol)).exitCode).toBe(0);
    await failsWith('InvalidVolume.NotFound', 'describe-volumes', '--volume-ids', vol);
  });

  it('refuses a second attach, a taken device, deleting an attached volume, the root volume', async () => {
    const vol = await createVolume();
    const other = await createVolume();
    await attach(vol, a, '/dev/sdh');
    await appears(a, vol);
    await failsWith(
      'VolumeInUse',
      'attach-volume',
      '--volume-id',
      vol,
      '--instance-id',
      b.InstanceId,
      '--device',
      '/dev/sdh',
    );
    await failsWith(
      'InvalidParameterValue',
      'attach-volume',
      '--volume-id',
      other,
      '--instance-id',
      a.InstanceId,
      '--device',
      '/dev/sdh',
    );
    await failsWith(
      'InvalidParameterValue',
      'attach-volume',
      '--volume-id',
      other,
      '--instance-id',
      a.InstanceId,
      '--device',
      'sdz',
    );
    await failsWith('VolumeInUse', 'delete-volume', '--volume-id', vol);
    const root = (await describeOne(a.InstanceId)).BlockDeviceMappings?.[0]?.Ebs.VolumeId as string;
    await failsWith('OperationNotPermitted', 'detach-volume', '--volume-id', root);
    await failsWith('IncorrectState', 'detach-volume', '--volume-id', other);
    await failsWith(
      'InvalidVolume.NotFound',
      'attach-volume',
      '--volume-id',
      'vol-0123456789abcdef0',
      '--instance-id',
      a.InstanceId,
      '--device',
      '/dev/sdi',
    );
    await failsWith('DryRunOperation', 'delete-volume', '--volume-id', other, '--dry-run');
    await detach(vol);
    for (const v of [vol, other])
      expect((await h.kumo('delete-volume', '--volume-id', v)).exitCode).toBe(0);
  });

  it('snapshots a volume while a guest writes to it; a volume from it mounts in another guest', async () => {
    const vol = await createVolume();
    await attach(vol, a, '/dev/sdj');
    const disk = await appears(a, vol);
    await inGuest(
      a,
      `mke2fs -q /dev/${disk} && mkdir -p /mnt/w && mount /dev/${disk} /mnt/w && echo base > /mnt/w/base && sync`,
    );
    // A writer that keeps renaming a fresh counter file into place, syncing each time.
    await inGuest(
      a,
      "setsid sh -c 'echo $$ > /tmp/writer.pid; i=0; while :; do i=$((i+1)); echo $i > /mnt/w/c.tmp; mv /mnt/w/c.tmp /mnt/w/counter; sync; done' </dev/null >/dev/null 2>&1 &",
    );
    const counter = async (i: Inst, dir: string) =>
      Number((await inGuest(i, `cat ${dir}/counter`)).trim());
    await eventually(
      'the writer to run',
      async () => ((await counter(a, '/mnt/w')) > 5 ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    );
    const snap = await h.json('create-snapshot', '--volume-id', vol, '--description', 'live');
    expect(snap).toMatchObject({
      State: 'completed',
      Progress: '100%',
      VolumeId: vol,
      VolumeSize: 1,
    });
    const after = await counter(a, '/mnt/w');
    await inGuest(a, 'kill $(cat /tmp/writer.pid); sleep 0.5; umount /mnt/w');
    expect(
      (await h.json('describe-snapshots', '--filters', `Name=volume-id,Values=${vol}`)).Snapshots,
    ).toHaveLength(1);

    const fromSnap = (
      await h.json(
        'create-volume',
        '--snapshot-id',
        snap.SnapshotId,
        '--availability-zone',
        'kumo-local-1a',
      )
    ).VolumeId as string;
    expect(await volume(fromSnap)).toMatchObject({ Size: 1, SnapshotId: snap.SnapshotId });
    await failsWith('InvalidSnapshot.InUse', 'delete-snapshot', '--snapshot-id', snap.SnapshotId);
    await attach(fromSnap, b, '/dev/sdj');
    const inB = await appears(b, fromSnap);
    await inGuest(b, `mkdir -p /mnt/s && mount -o ro /dev/${inB} /mnt/s`);
    expect((await inGuest(b, 'cat /mnt/s/base')).trim()).toBe('base');
    // The point in time lies inside the writer's run: a whole counter, not after what A saw later.
    const seen = await counter(b, '/mnt/s');
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(after);
    await inGuest(b, 'umount /mnt/s');
    await detach(fromSnap);
    await detach(vol);
    for (const v of [fromSnap, vol])
      expect((await h.kumo('delete-volume', '--volume-id', v)).exitCode).toBe(0);
    expect((await h.kumo('delete-snapshot', '--snapshot-id', snap.SnapshotId)).exitCode).toBe(0);
    expect(existsSync(join(h.stateDir, 'volumes', `${snap.SnapshotId}.qcow2`))).toBe(false);
  });

  it('holds a volume to its type: io1 at 100 IOPS is slow, raising --iops speeds it at once', async () => {
    const created = await h.json(
      'create-volume',
      '--size',
      '20',
      '--volume-type',
      'io1',
      '--iops',
      '100',
      '--availability-zone',
      'kumo-local-1a',
    );
    const id = created.VolumeId as string;
    expect(created).toMatchObject({ VolumeType: 'io1', Iops: 100 });
    await attach(id, a, '/dev/sdh');
    const dev = await appears(a, id);
    // 200 direct 4 KiB reads, each its own I/O; the guest's uptime clock times them.
    const readSeconds = async (): Promise<number> => {
      const out = await inGuest(
        a,
        `s=$(cut -d' ' -f1 /proc/uptime); dd if=/dev/${dev} of=/dev/null bs=4k count=200 iflag=direct 2>/dev/null; e=$(cut -d' ' -f1 /proc/uptime); echo $s $e`,
      );
      const [start, end] = out.trim().split(' ').map(Number) as [number, number];
      return end - start;
    };
    // At 100 IOPS, 200 reads cannot take less than ~2 s whatever the host's disk does.
    const throttled = await readSeconds();
    expect(throttled).toBeGreaterThan(1.7);
    const modified = await h.json('modify-volume', '--volume-id', id, '--iops', '1000');
    expect(modified.VolumeModification).toMatchObject({ TargetIops: 1000 });
    // Same reads, same guest, no re-attach: the new limit holds at once.
    const raised = await readSeconds();
    expect(raised).toBeLessThan(throttled / 2);
    expect((await h.json('describe-volumes', '--volume-ids', id)).Volumes[0]).toMatchObject({
      Iops: 1000,
    });
    await failsWith('InvalidParameterValue', 'modify-volume', '--volume-id', id, '--iops', '1001');
    await failsWith(
      'InvalidParameterCombination',
      'create-volume',
      '--size',
      '1',
      '--volume-type',
      'gp2',
      '--iops',
      '300',
      '--availability-zone',
      'kumo-local-1a',
    );
    await detach(id);
    expect((await h.kumo('delete-volume', '--volume-id', id)).exitCode).toBe(0);
  });

  it('keeps attached volumes across stop/start and a kumod restart; terminate honours DeleteOnTermination', async () => {
    const vol = await createVolume(2);
    const r = await h.kumo('stop-instances', '--instance-ids', b.InstanceId);
    expect(r.exitCode, r.stderr).toBe(0);
    await waitState(b.InstanceId, 'stopped');
    // Attached while stopped: the next start has it.
    await attach(vol, b, '/dev/sdf');
    expect((await h.kumo('start-instances', '--instance-ids', b.InstanceId)).exitCode).toBe(0);
    b = await waitState(b.InstanceId, 'running');
    const disk = await appears(b, vol);
    expect(await inGuest(b, `cat /sys/block/${disk}/size`)).toBe(String((2 * 1024 ** 3) / 512));
    await inGuest(b, `printf kept | dd of=/dev/${disk} conv=fsync 2>/dev/null`);

    // kumod restarts; the guest keeps the disk and kumod still knows it.
    await h.restartDaemon();
    expect((await volume(vol)).Attachments?.[0]).toMatchObject({
      InstanceId: b.InstanceId,
      State: 'attached',
    });
    expect(await inGuest(b, `dd if=/dev/${disk} bs=4 count=1 2>/dev/null`)).toBe('kept');

    const mappings = (await describeOne(b.InstanceId)).BlockDeviceMappings ?? [];
    expect(mappings.map((m) => [m.DeviceName, m.Ebs.DeleteOnTermination])).toEqual([
      ['/dev/vda', true],
      ['/dev/sdb', true],
      ['/dev/sdf', false],
    ]);
    const launchVol = mappings[1]?.Ebs.VolumeId as string;
    const rootVol = mappings[0]?.Ebs.VolumeId as string;
    // Keep the data volume at terminate (its default), but say so explicitly, and check the change.
    const keep = await h.kumo(
      'modify-instance-attribute',
      '--instance-id',
      b.InstanceId,
      '--block-device-mappings',
      'DeviceName=/dev/sdf,Ebs={DeleteOnTermination=false}',
    );
    expect(keep.exitCode, keep.stderr).toBe(0);
    await failsWith(
      'InvalidParameterValue',
      'modify-instance-attribute',
      '--instance-id',
      b.InstanceId,
      '--block-device-mappings',
      'DeviceName=/dev/sdq,Ebs={DeleteOnTermination=true}',
    );
    const rootFile = join(h.stateDir, 'volumes', `${rootVol}.qcow2`);
    expect(existsSync(rootFile)).toBe(true);
    expect((await h.kumo('terminate-instances', '--instance-ids', b.InstanceId)).exitCode).toBe(0);
    await waitState(b.InstanceId, 'terminated');
    // The root volume (DeleteOnTermination) is gone with its file; the data volume is free.
    await failsWith('InvalidVolume.NotFound', 'describe-volumes', '--volume-ids', rootVol);
    expect(existsSync(rootFile)).toBe(false);
    // So is the launch's data volume, made with DeleteOnTermination=true.
    await failsWith('InvalidVolume.NotFound', 'describe-volumes', '--volume-ids', launchVol);
    expect(await volume(vol)).toMatchObject({ State: 'available' });
    expect((await volume(vol)).Attachments ?? []).toEqual([]);
    expect(existsSync(join(h.stateDir, 'volumes', `${vol}.qcow2`))).toBe(true);
  });
});
