import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import { createNetns, inNs } from './harness/netns.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * Route tables judged by real traffic. One VPC 10.0.0.0/16 with an attached gateway: subnet A
 * (10.0.1.0/24, its own table) holds guest `a`; subnet B (10.0.2.0/24, the main table) holds `n`,
 * the NAT instance, which answers on 198.51.100.1 (on its lo), and `c`. A "LAN" namespace (as in
 * addresses.test.ts, routed mode) has two sources: 203.0.113.5 and 198.18.0.5. The guests are
 * launched once and shared; each test puts the routes where it needs them.
 */
const BOOT_MS = 240_000;
const POOL = '100.80.0.0/24';
const LAN_MODE = ['--lan-mode', 'routed', '--uplink-interface', 'lan0'];
type Inst = any;

integrationSuite('route tables as kernel routing on real guests', () => {
  let h: KumodHarness;
  let key: string;
  let lan: string;
  let vpc: string;
  let igw: string;
  let subA: string;
  let subB: string;
  let mainRtb: string;
  let rtbA: string;
  let group: string;
  let a: Inst;
  let n: Inst;
  let c: Inst;

  const inGuest = async (i: Inst, cmd: string, untilMs = 0): Promise<string> => {
    // A guest waited for and never reached: h.ssh adds the diagnostics to stderr.
    const r = await h.ssh(key, 'root', i.PublicIpAddress, cmd, untilMs);
    expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** The page at ip:8080 fetched from inside guest `i`, or '' when nothing answers. */
  const fetchFrom = async (i: Inst, ip: string): Promise<string> =>
    (
      await inGuest(
        i,
        `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 8080 | tail -n 1 || true`,
      )
    ).trim();
  /** The page at ip:8080 fetched from the LAN with this source, or undefined. */
  const lanPage = async (source: string, ip: string): Promise<string | undefined> => {
    const r = await inNs(
      lan,
      'socat',
      ['-T3', '-', `TCP:${ip}:8080,connect-timeout=3,bind=${source}`],
      { input: 'GET / HTTP/1.0\r\n\r\n', timeout: 10_000 },
    );
    const body = String(r.stdout).trim().split('\n').at(-1)?.trim();
    return r.exitCode === 0 && body ? body : undefined;
  };
  const ok = async (...args: string[]) => {
    const r = await h.kumo(...args);
    expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const describeInstance = async (i: Inst): Promise<Inst> =>
    (await h.json('describe-instances', '--instance-ids', i.InstanceId)).Reservations[0]
      .Instances[0];
  const routesOf = async (rtb: string) =>
    (await h.json('describe-route-tables', '--route-table-ids', rtb)).RouteTables[0].Routes as {
      DestinationCidrBlock: string;
      State: string;
      InstanceId?: string;
      GatewayId?: string;
      NetworkInterfaceId?: string;
    }[];
  const vpcNs = async (): Promise<string> => {
    const ns = (await h.vpcNamespaces()).find((x) => x.endsWith(vpc));
    if (!ns) throw new Error(`no namespace for ${vpc}`);
    return ns;
  };
  /** kumo's policy routing in the VPC namespace: its rules and the routes of its tables. */
  const kernelRouting = async (): Promise<{ rules: string[]; routes: string[] }> => {
    const ns = await vpcNs();
    const rules = String((await inNs(ns, 'ip', ['-4', 'rule', 'show'])).stdout)
      .split('\n')
      .filter((l) => /^10\d\d\d:/.test(l));
    const routes = String((await inNs(ns, 'ip', ['-4', 'route', 'show', 'table', 'all'])).stdout)
      .split('\n')
      .filter((l) => / table 1\d\d\d\d\b/.test(l));
    return { rules, routes };
  };

  beforeAll(async () => {
    h = await KumodHarness.start();
    // The LAN machine, as in addresses.test.ts, with two more sources kumod's namespace routes
    // back to it: one inside the destination-limited gateway route, one outside.
    lan = `${h.prefix}-lan`;
    await createNetns(lan);
    const ip = (ns: string, ...args: string[]) => execa('ip', ['-n', ns, ...args]);
    await ip(h.ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan);
    await ip(h.ns, 'addr', 'add', '192.168.77.1/24', 'dev', 'lan0');
    await ip(h.ns, 'link', 'set', 'lan0', 'up');
    await ip(lan, 'addr', 'add', '192.168.77.2/24', 'dev', 'eth0');
    for (const src of ['203.0.113.5', '198.18.0.5']) {
      await ip(lan, 'addr', 'add', `${src}/32`, 'dev', 'eth0');
      await ip(h.ns, 'route', 'add', `${src}/32`, 'via', '192.168.77.2');
    }
    await ip(lan, 'link', 'set', 'eth0', 'up');
    await ip(lan, 'route', 'add', POOL, 'via', '192.168.77.1');
    await h.restartDaemon(LAN_MODE);

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
    vpc = (await h.json('create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
    const subnet = async (cidr: string) =>
      (await h.json('create-subnet', '--vpc-id', vpc, '--cidr-block', cidr)).Subnet
        .SubnetId as string;
    subA = await subnet('10.0.1.0/24');
    subB = await subnet('10.0.2.0/24');
    group = (
      await h.json(
        'create-security-group',
        '--group-name',
        'open',
        '--description',
        'everything',
        '--vpc-id',
        vpc,
      )
    ).GroupId as string;
    await ok(
      'authorize-security-group-ingress',
      '--group-id',
      group,
      '--ip-permissions',
      'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]',
    );
    igw = (await h.json('create-internet-gateway')).InternetGateway.InternetGatewayId;
    await ok('attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpc);
    mainRtb = (
      await h.json(
        'describe-route-tables',
        '--filters',
        `Name=vpc-id,Values=${vpc}`,
        'Name=association.main,Values=true',
      )
    ).RouteTables[0].RouteTableId;
    rtbA = (await h.json('create-route-table', '--vpc-id', vpc)).RouteTable.RouteTableId;
    await ok('associate-route-table', '--route-table-id', rtbA, '--subnet-id', subA);
    // The test reaches guests by public IP from kumod's namespace: both tables need the gateway.
    for (const rtb of [mainRtb, rtbA]) {
      await ok(
        'create-route',
        '--route-table-id',
        rtb,
        '--destination-cidr-block',
        '0.0.0.0/0',
        '--gateway-id',
        igw,
      );
    }
    const launch = async (sub: string, privateIp: string): Promise<string> =>
      (
        await h.json(
          'run-instances',
          '--key-name',
          'me',
          '--network-interfaces',
          `DeviceIndex=0,SubnetId=${sub},PrivateIpAddress=${privateIp},Groups=${group},AssociatePublicIpAddress=true`,
        )
      ).Instances[0].InstanceId as string;
    const ids = [
      await launch(subA, '10.0.1.10'),
      await launch(subB, '10.0.2.10'),
      await launch(subB, '10.0.2.20'),
    ];
    [a, n, c] = await eventually(
      'the three guests running',
      async () => {
        const all = (
          await h.json('describe-instances', '--instance-ids', ...ids)
        ).Reservations.flatMap((r: { Instances: Inst[] }) => r.Instances) as Inst[];
        const byId = ids.map((id) => all.find((i) => i.InstanceId === id));
        return byId.every((i) => i?.State.Name === 'running') ? byId : undefined;
      },
      { timeoutMs: BOOT_MS },
    );
    for (const i of [a, n, c]) {
      await inGuest(
        i,
        `mkdir -p /tmp/www && echo "web-${i.InstanceId}" > /tmp/www/index.html && httpd -p 8080 -h /tmp/www`,
        BOOT_MS,
      );
    }
    // The NAT instance owns 198.51.100.1 (a network behind it, in miniature).
    await inGuest(n, 'ip addr add 198.51.100.1/32 dev lo');
  }, 600_000);

  afterAll(async () => {
    if (process.env.KUMO_TEST_VERBOSE) process.stderr.write(h?.log() ?? '');
    await h?.close();
  }, 120_000);

  it('routes a subnet to a NAT instance: source/dest check decides, stop blackholes, delete-route removes', async () => {
    await ok(
      'create-route',
      '--route-table-id',
      rtbA,
      '--destination-cidr-block',
      '198.51.100.0/24',
      '--instance-id',
      n.InstanceId,
    );
    expect(await routesOf(rtbA)).toContainEqual(
      expect.objectContaining({
        DestinationCidrBlock: '198.51.100.0/24',
        InstanceId: n.InstanceId,
        NetworkInterfaceId: expect.stringMatching(/^eni-/),
        State: 'active',
      }),
    );
    expect((await kernelRouting()).routes).toContainEqual(
      expect.stringMatching(/^198\.51\.100\.0\/24 via 10\.0\.2\.10 dev br\S+ table 1\d{4} onlink/),
    );
    // Check on (the default): n gets the packets but may not answer from 198.51.100.1.
    expect(await fetchFrom(a, '198.51.100.1')).toBe('');
    await ok('modify-instance-attribute', '--instance-id', n.InstanceId, '--no-source-dest-check');
    expect(await fetchFrom(a, '198.51.100.1')).toBe(`web-${n.InstanceId}`);
    // The router judged those packets by n's own ingress rules: the route's realm (the low 16
    // bits of n's address, 10.0.2.10 -> 0x20a) sent them to n's chain.
    const counters = String(
      (await inNs(await vpcNs(), 'iptables', ['-L', 'KUMO-IN', '-v', '-n', '-x'])).stdout,
    );
    const realmLine = counters.split('\n').find((l) => l.includes('realm 0x20a'));
    expect(realmLine, counters).toMatch(/KUMO-I-tap/);
    expect(Number(realmLine?.trim().split(/\s+/)[0])).toBeGreaterThan(0);
    expect(
      (
        await inGuest(a, 'ping -c 1 -W 2 198.51.100.1 >/dev/null 2>&1 && echo yes || echo no')
      ).trim(),
    ).toBe('yes');
    // c's subnet uses the main table, which has no such route: out of the gateway, to nowhere.
    expect(await fetchFrom(c, '198.51.100.1')).toBe('');

    await ok('stop-instances', '--instance-ids', n.InstanceId);
    await eventually(
      'n stopped',
      async () => (await describeInstance(n)).State.Name === 'stopped',
      { timeoutMs: 120_000 },
    );
    expect(await routesOf(rtbA)).toContainEqual(
      expect.objectContaining({ DestinationCidrBlock: '198.51.100.0/24', State: 'blackhole' }),
    );
    expect((await kernelRouting()).routes).toContainEqual(
      expect.stringMatching(/^blackhole 198\.51\.100\.0\/24 table 1\d{4}/),
    );
    expect(await fetchFrom(a, '198.51.100.1')).toBe('');

    await ok(
      'delete-route',
      '--route-table-id',
      rtbA,
      '--destination-cidr-block',
      '198.51.100.0/24',
    );
    const after = await kernelRouting();
    expect(after.routes.filter((r) => r.includes('198.51.100.0/24'))).toEqual([]);
    // a's table keeps its gateway route.
    expect(after.routes).toContainEqual(
      expect.stringMatching(/^default via 100\.80\.0\.1 dev uplink/),
    );
  });

  it('a gateway route limited to 203.0.113.0/24 answers only LAN sources inside it; 0.0.0.0/0 answers all', async () => {
    const pub = (await describeInstance(c)).PublicIpAddress as string;
    expect(pub).toBeTruthy();
    // The main table (c's): the gateway for 203.0.113.0/24 only.
    await ok(
      'create-route',
      '--route-table-id',
      mainRtb,
      '--destination-cidr-block',
      '203.0.113.0/24',
      '--gateway-id',
      igw,
    );
    await ok('delete-route', '--route-table-id', mainRtb, '--destination-cidr-block', '0.0.0.0/0');
    expect(await lanPage('203.0.113.5', pub)).toBe(`web-${c.InstanceId}`);
    expect(await lanPage('198.18.0.5', pub)).toBeUndefined();
    await ok(
      'create-route',
      '--route-table-id',
      mainRtb,
      '--destination-cidr-block',
      '0.0.0.0/0',
      '--gateway-id',
      igw,
    );
    expect(await lanPage('203.0.113.5', pub)).toBe(`web-${c.InstanceId}`);
    expect(await lanPage('198.18.0.5', pub)).toBe(`web-${c.InstanceId}`);
  });

  it('a kumod restart keeps exactly the routing (stale parts go, nothing doubles); delete-vpc leaves nothing', async () => {
    const before = await kernelRouting();
    expect(before.rules).toHaveLength(3); // local, subnet A, subnet B
    expect(new Set(before.routes).size).toBe(before.routes.length);
    // Leftovers in kumo's ranges (as a crashed older kumod might leave them).
    const ns = await vpcNs();
    await inNs(ns, 'ip', ['rule', 'add', 'pref', '10100', 'iif', 'brdeadbeef', 'lookup', '10099']);
    await inNs(ns, 'ip', ['route', 'add', 'blackhole', '192.0.2.0/24', 'table', '10099']);
    await h.restartDaemon(LAN_MODE);
    await eventually(
      'the routing as the state says again',
      async () => {
        const now = await kernelRouting();
        return JSON.stringify(now) === JSON.stringify(before) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await fetchFrom(a, `10.0.2.20`)).toBe(`web-${c.InstanceId}`);

    // Take the VPC apart: its namespace, and with it every rule and table, goes.
    await ok('terminate-instances', '--instance-ids', a.InstanceId, n.InstanceId, c.InstanceId);
    await eventually(
      'the guests terminated',
      async () => {
        const all = (
          await h.json(
            'describe-instances',
            '--instance-ids',
            a.InstanceId,
            n.InstanceId,
            c.InstanceId,
          )
        ).Reservations.flatMap((r: { Instances: Inst[] }) => r.Instances) as Inst[];
        return all.every((i) => i.State.Name === 'terminated') ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const assoc = (await h.json('describe-route-tables', '--route-table-ids', rtbA)).RouteTables[0]
      .Associations[0].RouteTableAssociationId as string;
    await ok('disassociate-route-table', '--association-id', assoc);
    await ok('delete-route-table', '--route-table-id', rtbA);
    await ok('detach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpc);
    await ok('delete-internet-gateway', '--internet-gateway-id', igw);
    for (const s of [subA, subB]) await ok('delete-subnet', '--subnet-id', s);
    await ok('delete-security-group', '--group-id', group);
    await ok('delete-vpc', '--vpc-id', vpc);
    expect((await h.vpcNamespaces()).filter((x) => x.endsWith(vpc))).toEqual([]);
  });
});
