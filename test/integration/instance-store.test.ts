import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * Instance store on a real guest: a c5d.large gets its scaled-down tmpfs store as a second virtio
 * disk named ephemeral0; what it writes there survives a reboot, is gone after stop/start and
 * terminate, and filling it completely leaves QEMU (charged for every page) alive.
 *
 * One guest is shared; each test first puts it in the state it needs.
 */
const BOOT_MS = 240_000;
/** 50 GB (c5d.large) x 0.004 = 2e8 bytes = 190 MiB: big enough to matter, quick to fill. */
const SCALE = '0.004';
const STORE_MIB = 190;
const MIB = 1024 * 1024;
/** kumod's figures for the memory cgroup beyond RAM and store (src/daemon/main.ts). */
const QEMU_OVERHEAD_MIB = 256;
const TCG_CACHE_MIB = 128;
const GUEST_RAM_MIB = 4096;

interface Inst {
  InstanceId: string;
  State: { Name: string };
  PublicIpAddress?: string;
}

integrationSuite('instance store (tmpfs)', () => {
  let h: KumodHarness;
  let key: string;
  let id: string;

  const describe = async (): Promise<Inst> =>
    (await h.json('describe-instances', '--instance-ids', id)).Reservations[0].Instances[0] as Inst;
  const waitState = async (state: string): Promise<Inst> => {
    const r = await h.kumo('wait', `instance-${state}`, '--instance-ids', id, '--timeout', '300');
    expect(r.exitCode, `${id} never became ${state}: ${r.stderr}`).toBe(0);
    return describe();
  };
  const inGuest = async (cmd: string, untilMs = BOOT_MS): Promise<string> => {
    const i = await describe();
    const r = await h.ssh(key, 'root', i.PublicIpAddress as string, cmd, untilMs);
    expect(r.exitCode, `in ${id}: ${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const bootId = async (): Promise<string> =>
    (await inGuest('cat /proc/sys/kernel/random/boot_id')).trim();

  /** The guest's disk whose virtio serial is ephemeral0 (e.g. vdb). */
  const storeDisk = async (): Promise<string> => {
    const out = await inGuest(
      'for d in /sys/block/vd*; do echo "$(basename $d) $(cat $d/serial) $(cat $d/size)"; done',
    );
    const line = out.split('\n').find((l) => l.split(' ')[1] === 'ephemeral0');
    expect(line, `no disk with serial ephemeral0 in the guest:\n${out}`).toBeDefined();
    const [name, , sectors] = (line as string).split(' ');
    expect(Number(sectors) * 512).toBe(STORE_MIB * MIB);
    return name as string;
  };

  const storeDir = (): string => join(h.stateDir, 'instances', id, 'instance-store');
  const storeMounted = (): boolean =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === storeDir());
  const memoryCgroup = (): string => join('/sys/fs/cgroup/memory', h.prefix, id);
  const cgroupValue = (file: string): number =>
    Number(readFileSync(join(memoryCgroup(), file), 'utf8').trim());

  async function running(): Promise<void> {
    const now = await describe();
    if (now.State.Name === 'running') return;
    if (now.State.Name === 'stopping') await waitState('stopped');
    if (now.State.Name !== 'pending') {
      const r = await h.kumo('start-instances', '--instance-ids', id);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    await waitState('running');
    await inGuest('true');
  }

  beforeAll(async () => {
    h = await KumodHarness.start(['--instance-store-scale', SCALE, '--cpu-overcommit', '8']);
    key = join(h.dir, 'me.pem');
    const k = await h.kumo(
      'create-key-pair',
      '--key-name',
      'me',
      '--query',
      'KeyMaterial',
      '--output',
      'text',
    );
    expect(k.exitCode, k.stderr).toBe(0);
    writeFileSync(key, k.stdout, { mode: 0o600 });
    const res = await h.json(
      'run-instances',
      '--instance-type',
      'c5d.large',
      '--key-name',
      'me',
      // The default group admits no SSH from outside (as in EC2): the tests reach the guest by SSH.
      '--security-group-ids',
      ...(await h.sshGroups()),
    );
    id = res.Instances[0].InstanceId as string;
    await waitState('running');
  }, 600_000);

  afterAll(async () => {
    if (process.env.KUMO_TEST_VERBOSE) process.stderr.write(h?.log() ?? '');
    await h?.close();
  }, 120_000);

  it('describe-instance-types gives EC2 sizes and the size kumod really gives', async () => {
    const out = await h.json('describe-instance-types', '--instance-types', 'c5d.large');
    expect(out.InstanceTypes[0].InstanceStorageSupported).toBe(true);
    expect(out.InstanceTypes[0].InstanceStorageInfo).toMatchObject({
      TotalSizeInGB: 50,
      TotalSizeInMiB: STORE_MIB,
      Disks: [{ SizeInGB: 50, Count: 1, Type: 'ssd', SizeInMiB: STORE_MIB }],
    });
  });

  it('the guest sees the store as a disk named ephemeral0 of the scaled size, on its own tmpfs', async () => {
    await running();
    await storeDisk();
    expect(storeMounted()).toBe(true);
    // RAM, store, QEMU's overhead and the TCG cache: a full store can never push QEMU over.
    expect(cgroupValue('memory.limit_in_bytes')).toBe(
      (GUEST_RAM_MIB + STORE_MIB + QEMU_OVERHEAD_MIB + TCG_CACHE_MIB) * MIB,
    );
  });

  it('keeps what the guest wrote across a reboot', async () => {
    await running();
    const disk = await storeDisk();
    const marker = `kept-${Date.now()}`;
    await inGuest(`echo ${marker} | dd of=/dev/${disk} bs=512 count=1 conv=sync && sync`);
    const before = await bootId();
    const r = await h.kumo('reboot-instances', '--instance-ids', id);
    expect(r.exitCode, r.stderr).toBe(0);
    await eventually(
      'the guest to come back from the reboot',
      async () => {
        const i = await describe();
        const s = await h.ssh(
          key,
          'root',
          i.PublicIpAddress as string,
          'cat /proc/sys/kernel/random/boot_id',
        );
        return s.exitCode === 0 && s.stdout.trim() !== before ? true : undefined;
      },
      { timeoutMs: BOOT_MS, intervalMs: 2000 },
    );
    expect(
      await inGuest(`dd if=/dev/${disk} bs=512 count=1 2>/dev/null | head -c ${marker.length}`),
    ).toBe(marker);
  });

  it('wipes the store at stop (unmounted while stopped) and gives an empty one at start', async () => {
    await running();
    const disk = await storeDisk();
    await inGuest(`echo wiped-or-not | dd of=/dev/${disk} bs=512 count=1 conv=sync && sync`);
    expect(storeMounted()).toBe(true);
    const r = await h.kumo('stop-instances', '--instance-ids', id);
    expect(r.exitCode, r.stderr).toBe(0);
    await waitState('stopped');
    expect(storeMounted()).toBe(false);
    expect(existsSync(storeDir())).toBe(false);
    await running();
    const again = await storeDisk();
    // Never written since the start: the first sector has no byte other than zero.
    const nonZero = await inGuest(
      `dd if=/dev/${again} bs=512 count=1 2>/dev/null | tr -d '\\000' | wc -c`,
    );
    expect(nonZero.trim()).toBe('0');
  });

  it('filling the store completely leaves QEMU running, charged for every page', async () => {
    await running();
    const disk = await storeDisk();
    const pid = h.qemuPid(id);
    expect(pid).toBeDefined();
    const before = cgroupValue('memory.usage_in_bytes');
    // dd stops at the end of the disk ("No space left"): every block of the store is written.
    await inGuest(`dd if=/dev/zero of=/dev/${disk} bs=1M 2>&1; sync; echo done`, BOOT_MS);
    const after = cgroupValue('memory.usage_in_bytes');
    expect(after - before, 'tmpfs pages are charged to QEMU').toBeGreaterThan(
      0.9 * STORE_MIB * MIB,
    );
    expect(after).toBeLessThan(cgroupValue('memory.limit_in_bytes'));
    expect(h.qemuPid(id)).toBe(pid);
    expect((await describe()).State.Name).toBe('running');
    expect(await inGuest('echo alive')).toContain('alive');
  });

  it('terminate removes the store and its mount', async () => {
    await running();
    const r = await h.kumo('terminate-instances', '--instance-ids', id);
    expect(r.exitCode, r.stderr).toBe(0);
    await waitState('terminated');
    expect(storeMounted()).toBe(false);
    expect(existsSync(storeDir())).toBe(false);
  });
});
