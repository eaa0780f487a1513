import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import { inNs } from './harness/netns.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * Security groups judged by real traffic between real guests, the host and the outside, never by
 * reading rules back. Two guests, `a` and `b`, are launched once and shared; each test first puts
 * the groups and rules it needs in place (modify-instance-attribute --groups, authorize), so no
 * test depends on another's leftovers.
 */
const BOOT_MS = 240_000;
type Inst = any;

integrationSuite('security groups on real guests', () => {
  let h: KumodHarness;
  let key: string;
  let a: Inst;
  let b: Inst;
  let def: string;
  let ssh: string;
  let web: string;

  const inGuest = async (i: Inst, cmd: string, untilMs = 0): Promise<string> => {
    const r = await h.ssh(key, i.DefaultUser ?? 'root', i.PublicIpAddress, cmd, untilMs);
    expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** Whether a new SSH connection from the host gets in (one try, short timeout). */
  const sshGetsIn = async (i: Inst) =>
    (
      await h.ssh(key, i.DefaultUser ?? 'root', i.PublicIpAddress, 'true', 0, {
        connectTimeoutS: 3,
      })
    ).exitCode === 0;
  /** The guest's web page fetched from the host by public IP, or undefined if nothing answers. */
  const fromHost = async (i: Inst, port = 8080): Promise<string | undefined> => {
    // socat (a kumo package) speaks the HTTP/1.0 request; the body is the page's last line.
    const r = await inNs(
      h.ns,
      'socat',
      ['-T3', '-', `TCP:${i.PublicIpAddress}:${port},connect-timeout=3`],
      { input: 'GET / HTTP/1.0\r\n\r\n', timeout: 10_000 },
    );
    const body = String(r.stdout).trim().split('\n').at(-1)?.trim();
    return r.exitCode === 0 && body ? body : undefined;
  };
  /** b's web page fetched from a by private IP, or undefined. */
  const aToB = async (): Promise<string | undefined> => {
    const r = await h.ssh(
      key,
      a.DefaultUser ?? 'root',
      a.PublicIpAddress,
      // busybox nc, not wget: the image's static busybox wget crashes with -T.
      `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${b.PrivateIpAddress} 8080 | tail -n 1 || true`,
    );
    const out = String(r.stdout).trim();
    return out === '' ? undefined : out;
  };
  const setGroups = async (i: Inst, ...groups: string[]) => {
    const r = await h.kumo(
      'modify-instance-attribute',
      '--instance-id',
      i.InstanceId,
      '--groups',
      ...groups,
    );
    expect(r.exitCode, r.stderr).toBe(0);
  };
  const authorize = (group: string, ...rule: string[]) =>
    h.json('authorize-security-group-ingress', '--group-id', group, ...rule);
  const revoke = (group: string, ...rule: string[]) =>
    h.json('revoke-security-group-ingress', '--group-id', group, ...rule);
  const vpcNs = async () => (await h.vpcNamespaces())[0] as string;
  /** Echo requests b's kernel has received (/proc/net/snmp Icmp InEchos). */
  const echoesAtB = async () =>
    Number(
      (
        await inGuest(
          b,
          `awk '/^Icmp:/{if(!h){for(i=1;i<=NF;i++)n[$i]=i;h=1}else print $n["InEchos"]}' /proc/net/snmp`,
        )
      ).trim(),
    );

  beforeAll(async () => {
    h = await KumodHarness.start();
    key = join(h.dir, 'me.pem');
    const k = await h.kumo(
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
    writeFileSync(key, k.stdout, { mode: 0o600 });
    [def, ssh] = (await h.sshGroups()) as [string, string];
    web = (
      await h.json('create-security-group', '--group-name', 'web', '--description', 'web servers')
    ).GroupId;
    const res = await h.json(
      'run-instances',
      '--key-name',
      'me',
      '--count',
      '2',
      '--security-group-ids',
      ssh,
      web,
    );
    const ids = (res.Instances as Inst[]).map((i) => i.InstanceId as string);
    const describe = async () =>
      (await h.json('describe-instances', '--instance-ids', ...ids)).Reservations.flatMap(
        (r: { Instances: Inst[] }) => r.Instances,
      ) as Inst[];
    [a, b] = await eventually(
      'both guests running',
      async () => {
        const now = await describe();
        return now.every((i) => i.State.Name === 'running') ? now : undefined;
      },
      { timeoutMs: BOOT_MS },
    );
    // A web server on 8080 in each guest that names its guest.
    for (const i of [a, b]) {
      await inGuest(
        i,
        `mkdir -p /tmp/www && echo "web-${i.InstanceId}" > /tmp/www/index.html && httpd -p 8080 -h /tmp/www`,
        BOOT_MS,
      );
    }
  }, 600_000);

  afterAll(async () => {
    if (process.env.KUMO_TEST_VERBOSE) process.stderr.write(h?.log() ?? '');
    await h?.close();
  }, 120_000);

  it("shows each instance's groups in describe-instances and its metadata; a new group admits only what it allows", async () => {
    await setGroups(a, ssh, web);
    const d = (await h.json('describe-instances', '--instance-ids', a.InstanceId)).Reservations[0]
      .Instances[0];
    expect(d.SecurityGroups).toEqual([
      { GroupId: ssh, GroupName: 'ssh' },
      { GroupId: web, GroupName: 'web' },
    ]);
    expect(d.NetworkInterfaces[0].Groups).toEqual(d.SecurityGroups);
    expect(d.SourceDestCheck).toBe(true);
    expect(
      await inGuest(a, 'wget -qO- http://169.254.169.254/latest/meta-data/security-groups'),
    ).toBe('ssh\nweb');
    // SSH is allowed (the ssh group), the web server is not.
    expect(await fromHost(a)).toBeUndefined();
  });

  it('opens a port when a rule is added and closes it for new connections when the rule goes', async () => {
    await setGroups(a, ssh, web);
    expect(await fromHost(a)).toBeUndefined();
    await authorize(web, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    try {
      expect(await fromHost(a)).toBe(`web-${a.InstanceId}`);
    } finally {
      await revoke(web, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
    }
    expect(await fromHost(a)).toBeUndefined();
  });

  it('keeps an established TCP connection when its rule is removed, and refuses new ones', async () => {
    await setGroups(a, ssh, web);
    await inGuest(a, 'rm -f /tmp/in-session');
    const session = h.ssh(
      key,
      a.DefaultUser ?? 'root',
      a.PublicIpAddress,
      'touch /tmp/in-session; sleep 12; echo survived',
    );
    await eventually(
      'the long SSH session to start',
      async () =>
        (await inGuest(a, 'ls /tmp/in-session 2>/dev/null || true')).includes('in-session'),
      { timeoutMs: 20_000, intervalMs: 300 },
    );
    await revoke(ssh, '--protocol', 'tcp', '--port', '22', '--cidr', '0.0.0.0/0');
    try {
      expect(await sshGetsIn(a)).toBe(false);
      const done = await session;
      expect(done.stdout.trim()).toBe('survived');
      expect(done.exitCode).toBe(0);
    } finally {
      await authorize(ssh, '--protocol', 'tcp', '--port', '22', '--cidr', '0.0.0.0/0');
    }
    expect(await sshGetsIn(a)).toBe(true);
  });

  it('applies ICMP and UDP rules', async () => {
    await setGroups(a, ssh, web);
    const ping = () => h.sh('busybox', ['ping', '-c', '1', '-W', '2', a.PublicIpAddress]);
    expect((await ping()).exitCode).not.toBe(0);
    await authorize(web, '--protocol', 'icmp', '--port', '-1', '--cidr', '0.0.0.0/0');
    try {
      expect((await ping()).exitCode).toBe(0);
    } finally {
      await revoke(web, '--protocol', 'icmp', '--port', '-1', '--cidr', '0.0.0.0/0');
    }
    expect((await ping()).exitCode).not.toBe(0);

    // A datagram to a closed UDP port draws the guest's ICMP port-unreachable (a refusal) when
    // it arrives; when it is dropped nothing comes back (a timeout).
    const udp = async () =>
      String(
        (
          await h.sh('python3', [
            '-c',
            [
              'import socket',
              's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)',
              `s.connect(("${a.PublicIpAddress}", 9999))`,
              'try:',
              '  s.send(b"x"); s.recv(1)',
              'except ConnectionRefusedError: print("arrived")',
              'except socket.timeout: print("dropped")',
            ].join('\n'),
          ])
        ).stdout,
      ).trim();
    expect(await udp()).toBe('dropped');
    await authorize(web, '--protocol', 'udp', '--port', '9999', '--cidr', '0.0.0.0/0');
    try {
      expect(await udp()).toBe('arrived');
    } finally {
      await revoke(web, '--protocol', 'udp', '--port', '9999', '--cidr', '0.0.0.0/0');
    }
    expect(await udp()).toBe('dropped');
  });

  it("admits a referenced group's members, refuses others, and follows membership changes", async () => {
    const members = (
      await h.json('create-security-group', '--group-name', 'members', '--description', 'clients')
    ).GroupId;
    await setGroups(a, ssh, web);
    await setGroups(b, ssh, web);
    await authorize(web, '--protocol', 'tcp', '--port', '8080', '--source-group', members);
    try {
      expect(await aToB()).toBeUndefined();
      await setGroups(a, ssh, web, members);
      expect(await aToB()).toBe(`web-${b.InstanceId}`);
      // Still not from outside: the rule names members, not addresses.
      expect(await fromHost(b)).toBeUndefined();
      const del = await h.kumo('delete-security-group', '--group-id', members);
      expect(del.stderr).toContain('DependencyViolation');
      await setGroups(a, ssh, web);
      expect(await aToB()).toBeUndefined();
    } finally {
      await revoke(web, '--protocol', 'tcp', '--port', '8080', '--source-group', members);
      await setGroups(a, ssh, web);
    }
    await h.json('delete-security-group', '--group-id', members);
  });

  it('default group: members reach each other on any port; nothing else gets in', async () => {
    await setGroups(a, def, ssh);
    await setGroups(b, def, ssh);
    expect(await aToB()).toBe(`web-${b.InstanceId}`);
    expect(await fromHost(b)).toBeUndefined();
    const r = await h.kumo('delete-security-group', '--group-id', def);
    expect(r.stderr).toContain('CannotDelete');
    await setGroups(b, ssh, web);
    expect(await aToB()).toBeUndefined();
  });

  it('lets nothing through from a guest that spoofs its IP or MAC, or runs a DHCP server', async () => {
    await setGroups(a, def, ssh);
    await setGroups(b, def, ssh);
    const mac = (await inGuest(a, 'cat /sys/class/net/eth0/address')).trim();
    // Control: real pings arrive (and warm a's neighbour entry for b).
    const before = await echoesAtB();
    await inGuest(a, `ping -c 2 -W 2 ${b.PrivateIpAddress}`);
    expect(await echoesAtB()).toBeGreaterThanOrEqual(before + 2);

    const afterReal = await echoesAtB();
    await inGuest(
      a,
      `ip addr add 172.31.15.200/32 dev eth0; ping -c 3 -W 1 -I 172.31.15.200 ${b.PrivateIpAddress}; ip addr del 172.31.15.200/32 dev eth0; true`,
    );
    await inGuest(
      a,
      `ip link set eth0 address 52:54:00:de:ad:01; ping -c 3 -W 1 ${b.PrivateIpAddress}; ip link set eth0 address ${mac}; true`,
    );
    expect(await echoesAtB()).toBe(afterReal);

    // A rogue DHCP server on a: b's DHCP client only ever hears the VPC's own server.
    await inGuest(
      a,
      'printf "start 10.99.0.10\\nend 10.99.0.20\\ninterface eth0\\nlease_file /tmp/udhcpd.leases\\n" > /tmp/udhcpd.conf; touch /tmp/udhcpd.leases; udhcpd /tmp/udhcpd.conf',
    );
    try {
      for (let k = 0; k < 3; k++) {
        const out = await inGuest(b, 'udhcpc -i eth0 -n -q -t 3 -T 2 -s /bin/true 2>&1; true');
        expect(out).toMatch(/obtained from 172\.31\.0\.1\b/);
        expect(out).not.toContain('10.99.');
      }
    } finally {
      await inGuest(a, 'killall udhcpd; true');
    }
  });

  it("keeps the host out of a guest's reach, except DHCP and the metadata service", async () => {
    await setGroups(a, ssh, web);
    const server = execa(
      'nsenter',
      [
        `--net=/run/netns/${h.ns}`,
        '--',
        'socat',
        'TCP-LISTEN:7777,bind=100.80.0.1,reuseaddr,fork',
        'SYSTEM:echo host-service',
      ],
      { reject: false },
    );
    try {
      await eventually(
        'the host service to listen',
        async () => {
          const r = await h.sh('socat', ['-T2', '-', 'TCP:100.80.0.1:7777']);
          return String(r.stdout).includes('host-service');
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      const out = await inGuest(a, 'nc -w 3 100.80.0.1 7777 </dev/null || echo refused-or-dropped');
      expect(out).not.toContain('host-service');
      // The metadata service still answers.
      expect(
        await inGuest(a, 'wget -qO- http://169.254.169.254/latest/meta-data/instance-id'),
      ).toBe(a.InstanceId);
    } finally {
      server.kill('SIGTERM');
      await server;
    }
  });

  it("fails closed: a failed apply drops the instances' traffic and says so; the next good apply restores it", async () => {
    await setGroups(a, ssh, web);
    expect(await sshGetsIn(a)).toBe(true);
    const broken = (
      await h.json('create-security-group', '--group-name', 'broken', '--description', 'x')
    ).GroupId as string;
    const set = `kumo-${broken.slice(3)}`;
    const ns = await vpcNs();
    // A set of another type squats the group's set name: the apply cannot create it.
    await execa('nsenter', [`--net=/run/netns/${ns}`, '--', 'ipset', 'create', set, 'hash:net']);
    try {
      const r = await h.kumo(
        'authorize-security-group-ingress',
        '--group-id',
        web,
        '--protocol',
        'tcp',
        '--port',
        '8080',
        '--source-group',
        broken,
      );
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain('ServiceUnavailable');
      expect(r.stderr).toContain('dropped');
      expect(await sshGetsIn(a)).toBe(false);
    } finally {
      await execa('nsenter', [`--net=/run/netns/${ns}`, '--', 'ipset', 'destroy', set], {
        reject: false,
      });
    }
    // The next apply (any rule change) succeeds and opens what the rules allow again.
    await revoke(web, '--protocol', 'tcp', '--port', '8080', '--source-group', broken);
    expect(await sshGetsIn(a)).toBe(true);
    await h.json('delete-security-group', '--group-id', broken);
  });

  it('re-applies the rules when kumod restarts', async () => {
    await setGroups(a, ssh, web);
    expect(await fromHost(a)).toBeUndefined();
    // Someone flushes the groups' chain: everything would pass...
    await execa('nsenter', [
      `--net=/run/netns/${await vpcNs()}`,
      '--',
      'iptables',
      '-F',
      'KUMO-SG',
    ]);
    expect(await fromHost(a)).toBe(`web-${a.InstanceId}`);
    // ...until kumod starts again and puts its rules back.
    await h.restartDaemon();
    expect(await fromHost(a)).toBeUndefined();
    expect(await sshGetsIn(a)).toBe(true);
  });
});
