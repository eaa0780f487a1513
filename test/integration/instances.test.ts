import { execa } from 'execa';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, isLiveProcess, KumodHarness } from './harness/kumod-harness.js';
import { integrationSuite, QEMU_USER } from './harness/prerequisites.js';

/**
 * The walking skeleton end to end: a real kumod in a throwaway netns boots real kumo-tiny guests
 * under TCG; we reach them over SSH by public IP and drive the whole lifecycle through the CLI.
 *
 * Booting is the expensive part, so two guests, `a` and `b`, are launched once (`--count 2`: launch
 * indexes 0 and 1) and shared. No test relies on what an earlier one did: each first puts the
 * guests it uses in the state it needs (`running`, `stopped`), and a test that changes a guest's
 * state says so in a "Leaves:" line (kumod always ends up running with the harness' flags). Only
 * the terminate test ends the guests; a test run after it would launch a new pair.
 */
const BOOT_MS = 240_000;
/** kumod's own figures (src/daemon/main.ts) for the memory cgroup: RAM + overhead + TCG cache. */
const QEMU_OVERHEAD_MIB = 256;
const TCG_CACHE_MIB = 128;
const MIB = 1024 * 1024;
/** kumod's log line when a guest did not reset after Ctrl-Alt-Del (qemu-hypervisor.ts). */
const HARD_RESET_LOG = 'guest ignored the soft reboot; resetting it';
/** What busybox init prints on the console when it reboots cleanly (the soft path). */
const SOFT_REBOOT_CONSOLE = 'Requesting system reboot';
/** User-data that greets with its instance id and counts its runs (it must run once). */
const USER_DATA = [
  '#!/bin/sh',
  'echo "hello from $(wget -qO- http://169.254.169.254/latest/meta-data/instance-id)" > /root/hello.txt',
  'echo ran >> /root/user-data-runs',
  '',
].join('\n');
/**
 * In the guest: waits until the boot script and the user-data runner have finished, so that a
 * user-data run that should not happen would already have happened. ([r] keeps pgrep from
 * matching this very command line.)
 */
const AFTER_BOOT_SCRIPTS =
  "while pgrep -f '/etc/init.d/[r]cS|/usr/lib/kumo/[r]un-user-data' >/dev/null; do sleep 0.2; done";

/**
 * What `--accel auto` must choose here, from the host's own facts (not from kumod): TCG on a PVM
 * host (kvm_pvm loaded, no vmx/svm: /dev/kvm opens but stock kernels never boot), as on the
 * machines kumo is tested on; TCG without /dev/kvm or without vmx/svm; KVM only on real KVM.
 */
function acceleratorThisHostSupports(): { accel: 'kvm' | 'tcg'; reason: RegExp } {
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  const virt = /\b(vmx|svm)\b/.test(flags);
  if (existsSync('/sys/module/kvm_pvm') && !virt) return { accel: 'tcg', reason: /PVM.*TCG/ };
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', reason: /\/dev\/kvm is missing/ };
  if (!virt) return { accel: 'tcg', reason: /no vmx\/svm/ };
  return { accel: 'kvm', reason: /using KVM/ };
}

interface Inst {
  InstanceId: string;
  State: { Name: string; Code: number };
  StateReason?: { Code: string; Message: string };
  PublicIpAddress?: string;
  PrivateIpAddress?: string;
  DefaultUser?: string;
  AmiLaunchIndex?: number;
  InstanceType: string;
  MemoryMib?: number;
  Accelerator?: string;
}

integrationSuite('kumod with real guests', () => {
  let h: KumodHarness;
  let key: string;
  let rsaKey: string;
  let a: Inst;
  let b: Inst;

  const describeOne = async (id: string): Promise<Inst> =>
    (await h.json('describe-instances', '--instance-ids', id)).Reservations[0].Instances[0] as Inst;
  const waitState = async (id: string, state: string) => {
    const r = await h.kumo('wait', `instance-${state}`, '--instance-ids', id, '--timeout', '300');
    expect(r.exitCode, `${id} never became ${state}: ${r.stderr}`).toBe(0);
    return describeOne(id);
  };
  const ssh = (keyFile: string, i: Inst, cmd: string, untilMs = BOOT_MS) =>
    h.ssh(keyFile, i.DefaultUser ?? 'root', i.PublicIpAddress as string, cmd, untilMs);
  /** Runs a command as root in the guest (retrying until SSH answers); fails the test if it fails. */
  const inGuest = async (i: Inst, cmd: string, untilMs = BOOT_MS): Promise<string> => {
    const r = await ssh(key, i, cmd, untilMs);
    expect(r.exitCode, `in ${i.InstanceId}: ${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const bootId = async (i: Inst) =>
    (await inGuest(i, 'cat /proc/sys/kernel/random/boot_id')).trim();
  /** Waits until the guest answers SSH from a boot other than `previous`; returns the new boot id. */
  const rebootedFrom = (i: Inst, previous: string) =>
    eventually(
      `${i.InstanceId} to come back from a reboot`,
      async () => {
        const r = await ssh(key, i, 'cat /proc/sys/kernel/random/boot_id', 0);
        const now = r.stdout.trim();
        return r.exitCode === 0 && now !== previous ? now : undefined;
      },
      { timeoutMs: BOOT_MS, intervalMs: 2000 },
    );
  const consoleOf = async (i: Inst): Promise<string> =>
    (await h.json('get-console-output', '--instance-id', i.InstanceId)).Output ?? '';
  const occurrences = (text: string, needle: string) => text.split(needle).length - 1;
  const qemuPidOf = (i: Inst): number => {
    const pid = h.qemuPid(i.InstanceId);
    expect(pid, `no QEMU runs for ${i.InstanceId}`).toBeDefined();
    return pid as number;
  };
  const qemuCmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  /** The instance's tap, as its QEMU was told (`ifname=`). */
  const tapOf = (i: Inst): string => {
    const netdev = qemuCmdline(qemuPidOf(i)).find((arg) => arg.startsWith('tap,'));
    return /ifname=([^,]+)/.exec(netdev ?? '')?.[1] as string;
  };
  const tapsInVpcs = async (): Promise<string[]> => {
    const taps: string[] = [];
    for (const ns of await h.vpcNamespaces()) {
      const links = await execa('ip', ['-n', ns, '-o', 'link', 'show']);
      taps.push(...(links.stdout.match(/\btap[0-9a-f]+\b/g) ?? []));
    }
    return taps;
  };

  /** The veth in kumod's namespace that links the (one) VPC namespace to the public bridge. */
  const vpcUplink = async (): Promise<string> => {
    const links = await execa('ip', ['-n', h.ns, '-o', 'link', 'show']);
    const names = links.stdout.match(/\bkv[0-9a-f]+\b/g) ?? [];
    expect(names, links.stdout).toHaveLength(1);
    return names[0] as string;
  };

  /**
   * Clean-up for tests that break a guest's network on purpose: if, whatever happened, the guest
   * does not answer, it is stopped hard and started, so that the next test finds it reachable.
   */
  const reachableOrRestarted = async (i: Inst): Promise<void> => {
    if ((await ssh(key, i, 'true', 20_000)).exitCode === 0) return;
    await h.kumo('stop-instances', '--force', '--instance-ids', i.InstanceId);
    await waitState(i.InstanceId, 'stopped');
    await h.kumo('start-instances', '--instance-ids', i.InstanceId);
    await inGuest(await waitState(i.InstanceId, 'running'), 'true');
  };

  /** Launches the shared pair (one call, `--count 2`) with the counting user-data. */
  async function launchPair(): Promise<void> {
    const userData = join(h.dir, 'user-data.sh');
    writeFileSync(userData, USER_DATA);
    const res = await h.json(
      'run-instances',
      '--instance-type',
      't3.micro',
      '--key-name',
      'me',
      '--count',
      '2',
      '--user-data',
      `file://${userData}`,
      '--tag-specifications',
      'ResourceType=instance,Tags=[{Key=suite,Value=it}]',
      // The default group admits no SSH from outside (as in EC2): the tests reach guests by SSH.
      '--security-group-ids',
      ...(await h.sshGroups()),
    );
    expect(res.Instances).toHaveLength(2);
    [a, b] = res.Instances as [Inst, Inst];
    expect(a.State.Name).toBe('pending');
    a = await waitState(a.InstanceId, 'running');
    b = await waitState(b.InstanceId, 'running');
  }

  /**
   * The given shared guests running and answering SSH: starts whichever is stopped (and waits for
   * its SSH); launches a new pair if either was terminated. Refreshes both `a` and `b`.
   */
  async function running(...guests: Inst[]): Promise<void> {
    const now = (
      await h.json('describe-instances', '--instance-ids', a.InstanceId, b.InstanceId)
    ).Reservations.flatMap((r: { Instances: Inst[] }) => r.Instances) as Inst[];
    if (now.some((i) => ['shutting-down', 'terminated'].includes(i.State.Name))) {
      await h.kumo('terminate-instances', '--instance-ids', a.InstanceId, b.InstanceId);
      await launchPair();
      return;
    }
    // Already running (the usual case): one describe call and nothing else.
    const current = new Map(now.map((i) => [i.InstanceId, i]));
    for (const i of now.filter((n) => guests.some((g) => g.InstanceId === n.InstanceId))) {
      if (i.State.Name === 'running') continue;
      if (i.State.Name === 'stopping') await waitState(i.InstanceId, 'stopped');
      if (i.State.Name !== 'pending') {
        const r = await h.kumo('start-instances', '--instance-ids', i.InstanceId);
        expect(r.exitCode, r.stderr).toBe(0);
      }
      // Addresses come back with the start: describe again once it runs.
      const up = await waitState(i.InstanceId, 'running');
      await inGuest(up, 'true');
      current.set(up.InstanceId, up);
    }
    [a, b] = [current.get(a.InstanceId) as Inst, current.get(b.InstanceId) as Inst];
  }

  /** The guest stopped (by a normal stop if it runs); returns its description. */
  async function stopped(i: Inst): Promise<Inst> {
    const now = await describeOne(i.InstanceId);
    if (now.State.Name === 'stopped') return now;
    if (now.State.Name !== 'stopping') {
      const r = await h.kumo('stop-instances', '--instance-ids', i.InstanceId);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    return waitState(i.InstanceId, 'stopped');
  }

  const createKey = async (name: string, type: 'ed25519' | 'rsa'): Promise<string> => {
    const file = join(h.dir, `${name}.pem`);
    const r = await h.kumo(
      'create-key-pair',
      '--key-name',
      name,
      '--key-type',
      type,
      '--query',
      'KeyMaterial',
      '--output',
      'text',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    writeFileSync(file, r.stdout, { mode: 0o600 });
    return file;
  };

  beforeAll(async () => {
    h = await KumodHarness.start();
    key = await createKey('me', 'ed25519');
    // A key pair kumod knows but that no instance was launched with.
    rsaKey = await createKey('rsa', 'rsa');
    await launchPair();
  }, 600_000);

  afterAll(async () => {
    if (process.env.KUMO_TEST_VERBOSE) process.stderr.write(h?.log() ?? '');
    await h?.close();
  }, 120_000);

  it('boots both guests, runs their user-data and lets the key in over SSH by public IP', async () => {
    await running(a, b);
    for (const i of [a, b]) {
      expect(i.PublicIpAddress).toMatch(/^100\.80\.0\.\d+$/);
      expect(i.PrivateIpAddress).toMatch(/^172\.31\.\d+\.\d+$/);
      const out = await inGuest(
        i,
        'while [ ! -s /root/hello.txt ]; do sleep 1; done; cat /root/hello.txt',
      );
      expect(out).toContain(`hello from ${i.InstanceId}`);
    }
    // kumo ssh resolves the instance to its address, user and key.
    // Two TCG guests share 2 cores: allow a slow banner a few retries.
    let k = await h.kumo('ssh', a.InstanceId, '-i', key, '--', 'cat', '/root/hello.txt');
    for (let n = 0; n < 5 && k.exitCode === 255; n++) {
      k = await h.kumo('ssh', a.InstanceId, '-i', key, '--', 'cat', '/root/hello.txt');
    }
    expect(k.exitCode, k.stderr).toBe(0);
    expect(k.stdout).toContain(a.InstanceId);
    // kumo ssh pinned the guest's real host key (from its console) before connecting.
    const known = readFileSync(join(h.dir, '.config/kumo/known_hosts'), 'utf8');
    const real = await inGuest(
      a,
      'dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key | grep ^ssh-ed25519',
    );
    const [type, blob] = real.trim().split(' ');
    expect(known).toContain(`${a.InstanceId} ${type} ${blob}\n`);
  });

  it('serves each guest its own ami-launch-index: 0 and 1 for a --count 2 launch', async () => {
    await running(a, b);
    const url = 'http://169.254.169.254/latest/meta-data/ami-launch-index';
    const served = new Map<string, string>();
    for (const i of [a, b]) served.set(i.InstanceId, (await inGuest(i, `wget -qO- ${url}`)).trim());
    // What each guest was served is what DescribeInstances says its index is.
    for (const i of [a, b]) {
      expect(served.get(i.InstanceId)).toBe(
        String((await describeOne(i.InstanceId)).AmiLaunchIndex),
      );
    }
    expect([...served.values()].sort()).toEqual(['0', '1']);
  });

  it('kumo ssh refuses a host whose key does not match the pinned one', async () => {
    await running(a);
    const file = join(h.dir, '.config/kumo/known_hosts');
    mkdirSync(join(h.dir, '.config/kumo'), { recursive: true });
    const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    const forged = 'AAAAC3NzaC1lZDI1NTE5AAAAIBqk0T2YdTq1wN3xgJ4lP8rO2+Yx0g1Qz3mJb0aHcXyZ';
    writeFileSync(file, `${a.InstanceId} ssh-ed25519 ${forged}\n`);
    try {
      const r = await h.kumo('ssh', a.InstanceId, '-i', key, '--', 'true');
      expect(r.exitCode).toBe(255);
      expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      if (before === undefined) rmSync(file, { force: true });
      else writeFileSync(file, before);
    }
  });

  it('lets only the launch key in: another key pair gets "Permission denied (publickey)"', async () => {
    await running(a);
    // The guest answers, and the launch key works: so a refusal below is about the key alone.
    await inGuest(a, 'true');
    const r = await ssh(rsaKey, a, 'true', 0);
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('serves IMDSv2 session tokens to the guest and refuses a bad token', async () => {
    await running(a);
    const script = [
      "req='PUT /latest/api/token HTTP/1.0\\r\\nX-aws-ec2-metadata-token-ttl-seconds: 60\\r\\n\\r\\n'",
      't=$(printf "$req" | nc -w 5 169.254.169.254 80 | tail -n 1)',
      'url=http://169.254.169.254/latest/meta-data/instance-id',
      'echo "v2=$(wget -qO- --header "X-aws-ec2-metadata-token: $t" $url)"',
      'wget -qO- --header "X-aws-ec2-metadata-token: x$t" $url; echo "bad=$?"',
    ].join('\n');
    const out = await inGuest(a, script);
    expect(out).toContain(`v2=${a.InstanceId}`);
    expect(out).toMatch(/bad=[1-9]/);
  });

  it("shows the guest's serial console, with its ready line", async () => {
    await running(a);
    expect(await consoleOf(a)).toContain(`kumo-tiny: ready instance-id=${a.InstanceId}`);
  });

  it('confines QEMU in its cgroup: CPU quota = vCPUs x 100 %, memory = RAM + overhead + TCG cache', async () => {
    await running(a);
    const pid = qemuPidOf(a);
    const group = `/${h.prefix}/${a.InstanceId}`;
    // Every QEMU thread (vCPUs included) is in the instance's group, for CPU and for memory.
    const v2 = !existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const lines = readFileSync(`/proc/${pid}/task/${task}/cgroup`, 'utf8').split('\n');
      const pathOf = (ctl: string) =>
        lines
          .find((l) => (v2 ? l.startsWith('0::') : l.split(':')[1]?.split(',').includes(ctl)))
          ?.split(':')[2];
      expect(pathOf('cpu'), `thread ${task}`).toBe(group);
      expect(pathOf('memory'), `thread ${task}`).toBe(group);
    }
    const type = (await h.json('describe-instance-types', '--instance-types', a.InstanceType))
      .InstanceTypes[0];
    const read = (f: string) => readFileSync(f, 'utf8').trim();
    const [quota, memory] = v2
      ? [
          read(`/sys/fs/cgroup${group}/cpu.max`).split(' ')[0],
          read(`/sys/fs/cgroup${group}/memory.max`),
        ]
      : [
          read(`/sys/fs/cgroup/cpu${group}/cpu.cfs_quota_us`),
          read(`/sys/fs/cgroup/memory${group}/memory.limit_in_bytes`),
        ];
    expect(Number(quota)).toBe(type.VCpuInfo.DefaultVCpus * 100_000);
    const ramMib = type.MemoryInfo.SizeInMiB as number;
    expect(Number(memory)).toBe((ramMib + QEMU_OVERHEAD_MIB + TCG_CACHE_MIB) * MIB);
    // The figures in the limit are what QEMU was really given: that much RAM and TCG cache.
    const argv = qemuCmdline(pid);
    expect(argv[argv.indexOf('-m') + 1]).toBe(`${ramMib}M`);
    expect(argv[argv.indexOf('-accel') + 1]).toContain(`tb-size=${TCG_CACHE_MIB}`);
  });

  it(`runs QEMU as ${QEMU_USER}, inside a seccomp filter (Seccomp: 2)`, async () => {
    await running(a);
    const [, , uid, gid] = (await execa('getent', ['passwd', QEMU_USER])).stdout.split(':');
    const status = readFileSync(`/proc/${qemuPidOf(a)}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(status)?.[1];
    // Real, effective, saved and filesystem ids: all of them dropped, none left at root.
    expect(field('Uid')?.split(/\s+/)).toEqual([uid, uid, uid, uid]);
    expect(field('Gid')?.split(/\s+/)).toEqual([gid, gid, gid, gid]);
    expect(field('Seccomp')).toBe('2');
  });

  it('serves its API on a socket of mode 0660, group kumo', async () => {
    const sock = statSync(h.socket);
    expect(sock.mode & 0o777).toBe(0o660);
    const kumoGid = Number((await execa('getent', ['group', 'kumo'])).stdout.split(':')[2]);
    expect(sock.gid).toBe(kumoGid);
  });

  it('reports TCG on a PVM host like this one, saying why (its KVM boots no stock kernel)', async () => {
    await running(a);
    const expected = acceleratorThisHostSupports();
    // The machines kumo is built and tested on are PVM guests (docs/host-facts.md): there /dev/kvm
    // opens, but standard guest kernels never boot on it, so `auto` must choose TCG and say so.
    const host = await h.json('describe-host');
    expect(host.AcceleratorRequested).toBe('auto');
    expect(host.Accelerator).toBe(expected.accel);
    expect(host.AcceleratorReason).toMatch(expected.reason);
    expect((await describeOne(a.InstanceId)).Accelerator).toBe(expected.accel);
    const argv = qemuCmdline(qemuPidOf(a));
    expect(argv[argv.indexOf('-accel') + 1]).toMatch(new RegExp(`^${expected.accel}\\b`));
  });

  it('describe-host counts the vCPUs and memory that the guests hold', async () => {
    await running(a);
    const all = (await h.json('describe-instances')).Reservations.flatMap(
      (r: { Instances: Inst[] }) => r.Instances,
    ) as Inst[];
    // Capacity is held from pending to shutting-down; only a stopped or terminated guest frees it.
    const holding = all.filter((i) => !['stopped', 'terminated'].includes(i.State.Name));
    const types = await h.json(
      'describe-instance-types',
      '--instance-types',
      ...new Set(holding.map((i) => i.InstanceType)),
    );
    const shape = (i: Inst) =>
      types.InstanceTypes.find((t: { InstanceType: string }) => t.InstanceType === i.InstanceType);
    const sum = (f: (i: Inst) => number) => holding.reduce((n, i) => n + f(i), 0);
    const host = await h.json('describe-host');
    expect(host.RunningInstances).toBe(all.filter((i) => i.State.Name === 'running').length);
    expect(host.AllocatedVcpus).toBe(sum((i) => shape(i).VCpuInfo.DefaultVCpus));
    expect(host.AllocatedMemoryMib).toBe(sum((i) => shape(i).MemoryInfo.SizeInMiB));
    expect(host.AllocatedVcpus).toBeGreaterThan(0);
  });

  it('refuses bad input with EC2 error codes and creates nothing', async () => {
    await running(a);
    const before = (await h.json('describe-instances')).Reservations.length;
    const cases: [string[], string][] = [
      [['run-instances', '--image-id', 'ami-00000000000000000'], 'InvalidAMIID.NotFound'],
      [['run-instances', '--image-id', 'bogus'], 'InvalidAMIID.Malformed'],
      [['run-instances', '--instance-type', 'x9.mega'], 'InvalidParameterValue'],
      [['run-instances', '--key-name', 'nobody'], 'InvalidKeyPair.NotFound'],
      [['run-instances', '--count', '0'], 'InvalidParameterValue'],
      [['run-instances', '--count', '90'], 'InsufficientInstanceCapacity'],
      [
        ['describe-instances', '--instance-ids', 'i-00000000000000000'],
        'InvalidInstanceID.NotFound',
      ],
      [['stop-instances', '--instance-ids', 'i-123'], 'InvalidInstanceID.Malformed'],
      [
        ['modify-instance-attribute', '--instance-id', a.InstanceId, '--instance-type', 't3.small'],
        'IncorrectInstanceState',
      ],
    ];
    for (const [args, code] of cases) {
      const r = await h.kumo(...args);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toContain(`(${code})`);
    }
    const big = join(h.dir, 'big.sh');
    writeFileSync(big, '#!/bin/sh\n' + '#'.repeat(17 * 1024));
    const r = await h.kumo('run-instances', '--user-data', `file://${big}`);
    expect(r.stderr).toContain('(InvalidParameterValue)');
    expect(r.stderr).toMatch(/16 KiB/);
    expect((await h.json('describe-instances')).Reservations.length).toBe(before);
  });

  it("reboots a guest softly: Ctrl-Alt-Del, which the guest's init honours, no hard reset", async () => {
    await running(b);
    const before = await bootId(b);
    const pid = qemuPidOf(b);
    const cleanReboots = occurrences(await consoleOf(b), SOFT_REBOOT_CONSOLE);
    const r = await h.kumo('reboot-instances', '--instance-ids', b.InstanceId);
    expect(r.exitCode, r.stderr).toBe(0);
    await rebootedFrom(b, before);
    expect((await describeOne(b.InstanceId)).State.Name).toBe('running');
    // The guest went down through its init (a clean reboot), and kumod did not have to reset it.
    expect(occurrences(await consoleOf(b), SOFT_REBOOT_CONSOLE)).toBe(cleanReboots + 1);
    expect(h.logEvents().filter((e) => e.msg === HARD_RESET_LOG && e.pid === pid)).toEqual([]);
  });

  it('falls back to a hard reset when the guest ignores Ctrl-Alt-Del for --reboot-timeout', async () => {
    await running(b);
    // Leaves: both running, b's inittab as built, kumod with the harness' flags.
    await inGuest(b, 'cp /etc/inittab /root/inittab.orig');
    try {
      await h.restartDaemon(['--reboot-timeout', '3']);
      // busybox init runs the ::ctrlaltdel: entry on Ctrl-Alt-Del; without it, it does nothing.
      await inGuest(b, 'grep -v ctrlaltdel /root/inittab.orig > /etc/inittab; sync; kill -HUP 1');
      await eventually('init to re-read /etc/inittab', async () =>
        (await inGuest(b, 'logread')).includes('reloading /etc/inittab'),
      );
      const before = await bootId(b);
      const pid = qemuPidOf(b);
      const cleanReboots = occurrences(await consoleOf(b), SOFT_REBOOT_CONSOLE);
      const r = await h.kumo('reboot-instances', '--instance-ids', b.InstanceId);
      expect(r.exitCode, r.stderr).toBe(0);
      await rebootedFrom(b, before);
      expect(h.logEvents().filter((e) => e.msg === HARD_RESET_LOG && e.pid === pid)).toHaveLength(
        1,
      );
      // A reset, not a clean reboot: init never got to reboot the guest itself.
      expect(occurrences(await consoleOf(b), SOFT_REBOOT_CONSOLE)).toBe(cleanReboots);
      expect((await describeOne(b.InstanceId)).State.Name).toBe('running');
    } finally {
      try {
        await inGuest(b, 'cat /root/inittab.orig > /etc/inittab; sync; kill -HUP 1');
      } finally {
        await h.restartDaemon();
      }
    }
  });

  it('stops and starts: the guest boots again with its disk, and its user-data still ran once', async () => {
    await running(a);
    await inGuest(a, 'echo kept > /root/state.txt; sync');
    const stop = await h.json('stop-instances', '--instance-ids', a.InstanceId);
    expect(stop.StoppingInstances[0].CurrentState.Name).toBe('stopping');
    const down = await waitState(a.InstanceId, 'stopped');
    expect(down.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
    const start = await h.json('start-instances', '--instance-ids', a.InstanceId);
    expect(start.StartingInstances[0].PreviousState.Name).toBe('stopped');
    a = await waitState(a.InstanceId, 'running');
    const out = await inGuest(
      a,
      `${AFTER_BOOT_SCRIPTS}; cat /root/state.txt; wc -l < /root/user-data-runs`,
    );
    const [kept, runs] = out.trim().split('\n');
    expect(kept).toBe('kept');
    expect(Number(runs)).toBe(1);
  });

  it('a StartInstances whose QEMU cannot start leaves the instance stopped (Server.InternalError) and nothing running; it starts once fixed', async () => {
    await running(b);
    const tap = tapOf(b);
    await stopped(b);
    // The root disk is the root volume's file (named by its volume id).
    const rootVolume = await h.json<string>(
      'describe-volumes',
      '--filters',
      `Name=attachment.instance-id,Values=${b.InstanceId}`,
      '--query',
      'Volumes[0].VolumeId',
    );
    const disk = join(h.stateDir, 'volumes', `${rootVolume}.qcow2`);
    expect(existsSync(disk), disk).toBe(true);
    // QEMU cannot open a root disk that is not there: it exits at once.
    renameSync(disk, `${disk}.away`);
    try {
      const r = await h.kumo('start-instances', '--instance-ids', b.InstanceId);
      expect(r.exitCode, r.stdout).toBe(254);
      const after = await describeOne(b.InstanceId);
      expect(after.State.Name).toBe('stopped');
      expect(after.StateReason?.Code).toBe('Server.InternalError');
      expect(after.StateReason?.Message).toMatch(/failed to start/);
      expect(h.qemuProcessesOf(b.InstanceId)).toEqual([]);
      expect(h.instanceCgroups(b.InstanceId)).toEqual([]);
      expect(await tapsInVpcs()).not.toContain(tap);
    } finally {
      renameSync(`${disk}.away`, disk);
    }
    const r = await h.kumo('start-instances', '--instance-ids', b.InstanceId);
    expect(r.exitCode, r.stderr).toBe(0);
    b = await waitState(b.InstanceId, 'running');
    await inGuest(b, 'true');
  });

  it('keeps guests running across a kumod restart (SIGKILL) and adopts them', async () => {
    await running(a, b);
    const pidsBefore = h.qemuPids().sort();
    await h.stopDaemon('SIGKILL');
    await h.startDaemon();
    expect(h.qemuPids().sort()).toEqual(pidsBefore);
    for (const i of [a, b]) expect((await describeOne(i.InstanceId)).State.Name).toBe('running');
    await inGuest(a, 'true', 60_000);
    // Adopted, not restarted: the very same processes still run the guests.
    expect(h.qemuPids().sort()).toEqual(pidsBefore);
  });

  it("heals the host after a restart: its VPC's lost uplink, a tap off its bridge and the subnet's dead dnsmasq", async () => {
    await running(a);
    const tap = tapOf(a);
    const [vpc] = await h.vpcNamespaces();
    const uplink = await vpcUplink();
    const dnsmasq = h.dnsmasqPids();
    expect(dnsmasq).toHaveLength(1);
    await h.stopDaemon('SIGTERM');
    try {
      // While kumod is down the guest is cut off three ways: no way out of the VPC namespace,
      // its port unplugged from the subnet bridge, and no DHCP server.
      await execa('ip', ['-n', h.ns, 'link', 'del', uplink]);
      await execa('ip', ['-n', vpc as string, 'link', 'set', tap, 'nomaster', 'down']);
      process.kill(dnsmasq[0] as number, 'SIGKILL');
      await eventually('dnsmasq to die', () => !isLiveProcess(dnsmasq[0] as number));
      expect((await ssh(key, a, 'true', 0)).exitCode).toBe(255);
      await h.startDaemon();
      await inGuest(a, 'true', 60_000);
      expect(await vpcUplink()).toBe(uplink);
      const [port] = JSON.parse(
        (await execa('ip', ['-j', '-n', vpc as string, 'link', 'show', 'dev', tap])).stdout,
      );
      expect(port.master).toMatch(/^br/);
      expect(port.flags).toContain('UP');
      const healed = h.dnsmasqPids();
      expect(healed).toHaveLength(1);
      expect(healed).not.toEqual(dnsmasq);
      // The new dnsmasq serves the guest's DHCP (a fresh lease, applied by no script).
      await inGuest(a, 'udhcpc -n -q -t 5 -T 2 -i eth0 -s /bin/true', 60_000);
    } finally {
      if (!h.daemonRunning) await h.startDaemon();
      await reachableOrRestarted(a);
    }
  });

  it('a poweroff inside the guest ends as stopped (InstanceInitiatedShutdown)', async () => {
    await running(b);
    // Leaves: b stopped.
    await ssh(key, b, 'poweroff', 0);
    const s = await waitState(b.InstanceId, 'stopped');
    expect(s.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');
  });

  it('after a host reboot, starts the instances that were running again (disks kept), not the stopped ones', async () => {
    await running(a);
    await stopped(b);
    // Leaves: a running, b stopped.
    await inGuest(a, 'echo before-host-reboot > /root/host-reboot.txt; sync');
    const before = await bootId(a);
    await h.simulateHostReboot();
    expect(h.qemuPids()).toEqual([]);
    await h.startDaemon();
    a = await waitState(a.InstanceId, 'running');
    const out = await inGuest(a, 'cat /root/host-reboot.txt; cat /proc/sys/kernel/random/boot_id');
    expect(out).toContain('before-host-reboot');
    expect(out).not.toContain(before);
    expect((await describeOne(b.InstanceId)).State.Name).toBe('stopped');
    expect(h.qemuProcessesOf(b.InstanceId)).toEqual([]);
  });

  it('DescribeKeyPairs and DeleteKeyPair through the CLI: the key the guest got, then gone', async () => {
    await running(a);
    const created = await h.json(
      'create-key-pair',
      '--key-name',
      'doomed',
      '--key-type',
      'ed25519',
    );
    const [me] = (await h.json('describe-key-pairs', '--key-names', 'me', '--include-public-key'))
      .KeyPairs;
    // The public key kumod describes is the one the guest authorised (through the metadata).
    expect(await inGuest(a, 'cat /root/.ssh/authorized_keys')).toContain(me.PublicKey.trim());
    const all = await h.json('describe-key-pairs');
    expect(all.KeyPairs.map((k: any) => k.KeyName).sort()).toEqual(['doomed', 'me', 'rsa']);
    const [doomed] = (await h.json('describe-key-pairs', '--filters', 'Name=key-name,Values=doom*'))
      .KeyPairs;
    expect(doomed).toMatchObject({
      KeyName: 'doomed',
      KeyPairId: created.KeyPairId,
      KeyFingerprint: created.KeyFingerprint,
      KeyType: 'ed25519',
    });
    expect(doomed.PublicKey).toBeUndefined();

    const deleted = await h.json('delete-key-pair', '--key-name', 'doomed');
    expect(deleted).toMatchObject({ Return: true, KeyPairId: created.KeyPairId });
    const gone = await h.kumo('describe-key-pairs', '--key-names', 'doomed');
    expect(gone.stderr).toContain('(InvalidKeyPair.NotFound)');
    expect((await h.json('describe-key-pairs')).KeyPairs.map((k: any) => k.KeyName).sort()).toEqual(
      ['me', 'rsa'],
    );
    // As on EC2, deleting a key that is not there succeeds.
    const again = await h.kumo('delete-key-pair', '--key-name', 'doomed');
    expect(again.exitCode, again.stderr).toBe(0);
  });

  it('a QEMU crash ends as stopped with a reason that says so', async () => {
    await running(a);
    // Leaves: a stopped.
    process.kill(qemuPidOf(a), 'SIGKILL');
    const s = await waitState(a.InstanceId, 'stopped');
    expect(s.StateReason?.Code).toBe('Server.InternalError');
    expect(s.StateReason?.Message).toMatch(/QEMU process exited unexpectedly/);
  });

  it('changes the instance type while stopped', async () => {
    await stopped(b);
    // Leaves: b stopped, its type t3.small.
    const r = await h.kumo(
      'modify-instance-attribute',
      '--instance-id',
      b.InstanceId,
      '--instance-type',
      't3.small',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await describeOne(b.InstanceId)).InstanceType).toBe('t3.small');
  });

  it('terminates: nothing is left behind, and a terminated instance cannot start', async () => {
    // Leaves: both terminated (a later test would launch a new pair).
    const r = await h.json('terminate-instances', '--instance-ids', a.InstanceId, b.InstanceId);
    expect(r.TerminatingInstances).toHaveLength(2);
    await waitState(a.InstanceId, 'terminated');
    await waitState(b.InstanceId, 'terminated');
    expect(h.qemuPids()).toEqual([]);
    for (const i of [a, b]) expect(h.qemuProcessesOf(i.InstanceId)).toEqual([]);
    for (const ctl of ['cpu', 'memory', '']) {
      const parent = join('/sys/fs/cgroup', ctl, h.prefix);
      expect(
        existsSync(parent) ? readdirSync(parent).filter((n) => n.startsWith('i-')) : [],
      ).toEqual([]);
    }
    const vols = join(h.stateDir, 'volumes');
    expect(existsSync(vols) ? readdirSync(vols) : []).toEqual([]);
    const start = await h.kumo('start-instances', '--instance-ids', a.InstanceId);
    expect(start.stderr).toContain('(IncorrectInstanceState)');
    expect(await tapsInVpcs()).toEqual([]);
  });
});
