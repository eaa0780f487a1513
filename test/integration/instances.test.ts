import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, KumodHarness } from './harness/kumod-harness.js';
import { isRoot } from './harness/netns.js';

/**
 * The walking skeleton end to end: a real kumod in a throwaway netns boots real kumo-tiny guests
 * under TCG; we reach them over SSH by public IP and drive the whole lifecycle through the CLI.
 * Two guests are shared by the tests in this file (booting is the expensive part).
 */
const run = isRoot() ? describe : describe.skip;
const BOOT_MS = 240_000;

interface Inst {
  InstanceId: string;
  State: { Name: string; Code: number };
  StateReason?: { Code: string; Message: string };
  PublicIpAddress?: string;
  PrivateIpAddress?: string;
  DefaultUser?: string;
}

run('kumod with real guests', () => {
  let h: KumodHarness;
  let key: string;
  let rsaKey: string;
  let a: Inst;
  let b: Inst;

  const describeOne = async (id: string): Promise<Inst> =>
    (await h.json('describe-instances', '--instance-ids', id)).Reservations[0].Instances[0] as Inst;
  const waitState = async (id: string, state: string) => {
    const r = await h.kumo('wait', `instance-${state}`, '--instance-ids', id, '--timeout', '300');
    expect(r.exitCode, r.stderr).toBe(0);
    return describeOne(id);
  };
  const ssh = (keyFile: string, i: Inst, cmd: string, untilMs = BOOT_MS) =>
    h.ssh(keyFile, i.DefaultUser ?? 'root', i.PublicIpAddress as string, cmd, untilMs);

  beforeAll(async () => {
    h = await KumodHarness.start();
    key = join(h.dir, 'me.pem');
    const created = await h.kumo(
      'create-key-pair',
      '--key-name',
      'me',
      '--query',
      'KeyMaterial',
      '--output',
      'text',
    );
    expect(created.exitCode, created.stderr).toBe(0);
    writeFileSync(key, created.stdout, { mode: 0o600 });
    rsaKey = join(h.dir, 'rsa.pem');
    const rsa = await h.kumo(
      'create-key-pair',
      '--key-name',
      'rsa',
      '--key-type',
      'rsa',
      '--query',
      'KeyMaterial',
      '--output',
      'text',
    );
    expect(rsa.exitCode, rsa.stderr).toBe(0);
    writeFileSync(rsaKey, rsa.stdout, { mode: 0o600 });

    const userData = join(h.dir, 'hello.sh');
    writeFileSync(
      userData,
      '#!/bin/sh\necho "hello from $(wget -qO- http://169.254.169.254/latest/meta-data/instance-id)" > /root/hello.txt\n',
    );
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
    );
    expect(res.Instances).toHaveLength(2);
    [a, b] = res.Instances as [Inst, Inst];
    expect(a.State.Name).toBe('pending');
    a = await waitState(a.InstanceId, 'running');
    b = await waitState(b.InstanceId, 'running');
  }, 600_000);

  afterAll(async () => {
    if (process.env.KUMO_TEST_VERBOSE) process.stderr.write(h?.log() ?? '');
    await h?.close();
  }, 120_000);

  it('boots both guests, runs their user-data and lets the key in over SSH by public IP', async () => {
    for (const i of [a, b]) {
      expect(i.PublicIpAddress).toMatch(/^100\.80\.0\.\d+$/);
      expect(i.PrivateIpAddress).toMatch(/^172\.31\.\d+\.\d+$/);
      const r = await ssh(
        key,
        i,
        'while [ ! -s /root/hello.txt ]; do sleep 1; done; cat /root/hello.txt; uname -r',
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`hello from ${i.InstanceId}`);
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
    const real = await ssh(
      key,
      a,
      'dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key | grep ^ssh-ed25519',
    );
    const [type, blob] = real.stdout.trim().split(' ');
    expect(known).toContain(`${a.InstanceId} ${type} ${blob}\n`);
  });

  it('kumo ssh refuses a host whose key does not match the pinned one', async () => {
    const file = join(h.dir, '.config/kumo/known_hosts');
    const before = readFileSync(file, 'utf8');
    const forged = 'AAAAC3NzaC1lZDI1NTE5AAAAIBqk0T2YdTq1wN3xgJ4lP8rO2+Yx0g1Qz3mJb0aHcXyZ';
    writeFileSync(file, `${b.InstanceId} ssh-ed25519 ${forged}\n`);
    try {
      const r = await h.kumo('ssh', b.InstanceId, '-i', key, '--', 'true');
      expect(r.exitCode).toBe(255);
      expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      writeFileSync(file, before);
    }
  });

  it('does not let another key in', async () => {
    const r = await ssh(rsaKey, a, 'true', 0);
    expect(r.exitCode).not.toBe(0);
  });

  it('serves IMDSv2 session tokens to the guest and refuses a bad token', async () => {
    const script = [
      "req='PUT /latest/api/token HTTP/1.0\\r\\nX-aws-ec2-metadata-token-ttl-seconds: 60\\r\\n\\r\\n'",
      't=$(printf "$req" | nc -w 5 169.254.169.254 80 | tail -n 1)',
      'url=http://169.254.169.254/latest/meta-data/instance-id',
      'echo "v2=$(wget -qO- --header "X-aws-ec2-metadata-token: $t" $url)"',
      'wget -qO- --header "X-aws-ec2-metadata-token: x$t" $url; echo "bad=$?"',
    ].join('\n');
    const r = await ssh(key, a, script, 0);
    expect(r.stdout).toContain(`v2=${a.InstanceId}`);
    expect(r.stdout).toMatch(/bad=[1-9]/);
  });

  it('shows the serial console, limits the VM with cgroups and runs QEMU unprivileged', async () => {
    const out = await h.json('get-console-output', '--instance-id', a.InstanceId);
    expect(out.Output).toContain('kumo-tiny: ready');
    const [pid] = h.qemuPids();
    expect(pid).toBeDefined();
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    expect(uid).not.toBe('0');
    const v1 = `/sys/fs/cgroup/cpu/${h.prefix}/${a.InstanceId}/cpu.cfs_quota_us`;
    const v2 = `/sys/fs/cgroup/${h.prefix}/${a.InstanceId}/cpu.max`;
    const quota = existsSync(v1)
      ? readFileSync(v1, 'utf8').trim()
      : readFileSync(v2, 'utf8').split(' ')[0];
    expect(quota).toBe('200000');
  });

  it('reports TCG on this host, with the reason; its socket is 0660 for group kumo', async () => {
    const sock = statSync(h.socket);
    expect(sock.mode & 0o777).toBe(0o660);
    const kumoGid = Number((await execa('getent', ['group', 'kumo'])).stdout.split(':')[2]);
    expect(sock.gid).toBe(kumoGid);
    const host = await h.json('describe-host');
    expect(['kvm', 'tcg']).toContain(host.Accelerator);
    expect(host.AcceleratorReason).toBeTruthy();
    expect(host.AllocatedVcpus).toBeGreaterThanOrEqual(4);
  });

  it('refuses bad input with EC2 error codes and creates nothing', async () => {
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

  it('reboots a guest and it comes back', async () => {
    const bootId = (await ssh(key, b, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
    const r = await h.kumo('reboot-instances', '--instance-ids', b.InstanceId);
    expect(r.exitCode, r.stderr).toBe(0);
    const deadline = Date.now() + BOOT_MS;
    let now = bootId;
    while (now === bootId && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 3000));
      now = (await ssh(key, b, 'cat /proc/sys/kernel/random/boot_id', 0)).stdout.trim() || bootId;
    }
    expect(now).not.toBe(bootId);
    expect((await describeOne(b.InstanceId)).State.Name).toBe('running');
  });

  it('stops and starts: the guest boots again with its disk, and user-data ran only once', async () => {
    await ssh(key, a, 'echo kept > /root/state.txt; sync');
    const stop = await h.json('stop-instances', '--instance-ids', a.InstanceId);
    expect(stop.StoppingInstances[0].CurrentState.Name).toBe('stopping');
    const stopped = await waitState(a.InstanceId, 'stopped');
    expect(stopped.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
    const start = await h.json('start-instances', '--instance-ids', a.InstanceId);
    expect(start.StartingInstances[0].PreviousState.Name).toBe('stopped');
    a = await waitState(a.InstanceId, 'running');
    const r = await ssh(key, a, 'cat /root/state.txt; ls /var/lib/kumo-init/ | wc -l');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept');
  });

  it('keeps guests running across a kumod restart and adopts them', async () => {
    const pidsBefore = h.qemuPids().sort();
    await h.stopDaemon('SIGKILL');
    await h.startDaemon();
    expect(h.qemuPids().sort()).toEqual(pidsBefore);
    expect((await describeOne(a.InstanceId)).State.Name).toBe('running');
    const r = await ssh(key, a, 'cat /root/state.txt', 60_000);
    expect(r.stdout).toContain('kept');
  });

  it('after a host reboot, starts the instances that were running again, disks kept', async () => {
    const bootId = (await ssh(key, a, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
    await h.simulateHostReboot();
    expect(h.qemuPids()).toEqual([]);
    await h.startDaemon();
    a = await waitState(a.InstanceId, 'running');
    b = await waitState(b.InstanceId, 'running');
    const r = await ssh(key, a, 'cat /root/state.txt; cat /proc/sys/kernel/random/boot_id');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept');
    expect(r.stdout).not.toContain(bootId);
    expect((await ssh(key, b, 'true')).exitCode).toBe(0);
  });

  it('a poweroff inside the guest ends as stopped (InstanceInitiatedShutdown)', async () => {
    await ssh(key, b, 'poweroff', 0);
    const s = await waitState(b.InstanceId, 'stopped');
    expect(s.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');
  });

  it('a QEMU crash ends as stopped with a reason that says so', async () => {
    await h.kumo('start-instances', '--instance-ids', b.InstanceId);
    b = await waitState(b.InstanceId, 'running');
    const pids = h.qemuPids();
    const victim = pids.find((p) =>
      readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(b.InstanceId),
    );
    expect(victim).toBeDefined();
    process.kill(victim as number, 'SIGKILL');
    const s = await waitState(b.InstanceId, 'stopped');
    expect(s.StateReason?.Message).toMatch(/QEMU process exited unexpectedly/);
  });

  it('changes the instance type while stopped', async () => {
    const r = await h.kumo(
      'modify-instance-attribute',
      '--instance-id',
      b.InstanceId,
      '--instance-type',
      't3.small',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await describeOne(b.InstanceId)).InstanceId).toBe(b.InstanceId);
    const t = await h.json(
      'describe-instances',
      '--instance-ids',
      b.InstanceId,
      '--query',
      'Reservations[0].Instances[0].InstanceType',
    );
    expect(t).toBe('t3.small');
  });

  it('terminates: nothing is left behind, and a terminated instance cannot start', async () => {
    const r = await h.json('terminate-instances', '--instance-ids', a.InstanceId, b.InstanceId);
    expect(r.TerminatingInstances).toHaveLength(2);
    await waitState(a.InstanceId, 'terminated');
    await waitState(b.InstanceId, 'terminated');
    expect(h.qemuPids()).toEqual([]);
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
    for (const ns of await h.vpcNamespaces()) {
      const links = await execa('ip', ['-n', ns, '-o', 'link', 'show']);
      expect(links.stdout).not.toMatch(/tap[0-9a-f]{12}/);
    }
  });
});
