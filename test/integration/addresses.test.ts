import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import { createNetns, inNs } from './harness/netns.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * Elastic IPs, route tables and LAN reachability judged by real traffic. A second namespace
 * ("LAN") plays another machine of the operator's network, joined to kumod's namespace by a veth
 * (kumod's "uplink", lan0): in routed mode it has a route for the pool via kumod's address; in
 * proxy-ARP mode the pool is on its link and only ARP finds it. Two guests, `a` and `b`, each
 * serving a page that names it, are launched once and shared; each test first puts the elastic IP
 * and the kumod mode where it needs them.
 */
const BOOT_MS = 240_000;
const POOL = '100.80.0.0/24';
type Inst = any;

integrationSuite('elastic IPs, route tables and LAN reachability on real guests', () => {
  let h: KumodHarness;
  let key: string;
  let a: Inst;
  let b: Inst;
  let eip: { PublicIp: string; AllocationId: string };
  let igw: string;
  let subnet: string;
  let lan: string;
  let mode: string | undefined;

  const describe = async (i: Inst): Promise<Inst> =>
    (await h.json('describe-instances', '--instance-ids', i.InstanceId)).Reservations[0]
      .Instances[0];
  const inGuest = async (ip: string, cmd: string, untilMs = 0): Promise<string> => {
    const r = await h.ssh(key, 'root', ip, cmd, untilMs);
    expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const serve = (i: Inst, ip: string) =>
    inGuest(
      ip,
      `mkdir -p /tmp/www && echo "web-${i.InstanceId}" > /tmp/www/index.html && httpd -p 8080 -h /tmp/www`,
      BOOT_MS,
    );
  /** The page at ip:8080 fetched from namespace ns, or undefined when nothing answers. */
  const page = async (ns: string, ip: string): Promise<string | undefined> => {
    const r = await inNs(ns, 'socat', ['-T3', '-', `TCP:${ip}:8080,connect-timeout=3`], {
      input: 'GET / HTTP/1.0\r\n\r\n',
      timeout: 10_000,
    });
    const body = String(r.stdout).trim().split('\n').at(-1)?.trim();
    return r.exitCode === 0 && body ? body : undefined;
  };
  const associate = async (i: Inst): Promise<string> =>
    (
      await h.json(
        'associate-address',
        '--allocation-id',
        eip.AllocationId,
        '--instance-id',
        i.InstanceId,
        '--allow-reassociation',
      )
    ).AssociationId;
  /** kumod in this LAN mode, and the LAN namespace's route to the pool as that mode needs. */
  const useMode = async (m: 'routed' | 'proxy-arp') => {
    if (mode !== m) {
      await h.restartDaemon(['--lan-mode', m, '--uplink-interface', 'lan0']);
      mode = m;
    }
    await inNs(lan, 'ip', ['route', 'del', POOL]);
    const route = m === 'routed' ? ['via', '192.168.77.1'] : ['dev', 'eth0']; // on-link: ARP finds it
    const r = await inNs(lan, 'ip', ['route', 'add', POOL, ...route]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  };
  const errorOf = async (...args: string[]): Promise<string> => {
    const r = await h.kumo(...args);
    expect(r.exitCode, r.stdout).not.toBe(0);
    return /An error occurred \(([^)]+)\)/.exec(r.stderr)?.[1] ?? r.stderr;
  };

  beforeAll(async () => {
    h = await KumodHarness.start();
    // The LAN machine: its own namespace (named with the harness prefix, so close() deletes
    // it), a veth to kumod's namespace, a /24 of its own.
    lan = `${h.prefix}-lan`;
    await createNetns(lan);
    await execa('ip', [
      '-n',
      h.ns,
      'link',
      'add',
      'lan0',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      lan,
    ]);
    await execa('ip', ['-n', h.ns, 'addr', 'add', '192.168.77.1/24', 'dev', 'lan0']);
    await execa('ip', ['-n', h.ns, 'link', 'set', 'lan0', 'up']);
    await execa('ip', ['-n', lan, 'addr', 'add', '192.168.77.2/24', 'dev', 'eth0']);
    await execa('ip', ['-n', lan, 'link', 'set', 'eth0', 'up']);
    await useMode('routed');

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
    const [, ssh] = (await h.sshGroups()) as [string, string];
    await h.json(
      'authorize-security-group-ingress',
      '--group-id',
      ssh,
      '--protocol',
      'tcp',
      '--port',
      '8080',
      '--cidr',
      '0.0.0.0/0',
    );
    const res = await h.json(
      'run-instances',
      '--key-name',
      'me',
      '--count',
      '2',
      '--security-group-ids',
      ssh,
    );
    const ids = (res.Instances as Inst[]).map((i) => i.InstanceId as string);
    [a, b] = await eventually(
      'both guests running',
      async () => {
        const now = (
          await h.json('describe-instances', '--instance-ids', ...ids)
        ).Reservations.flatMap((r: { Instances: Inst[] }) => r.Instances) as Inst[];
        return now.every((i) => i.State.Name === 'running') ? now : undefined;
      },
      { timeoutMs: BOOT_MS },
    );
    for (const i of [a, b]) await serve(i, i.PublicIpAddress);
    eip = await h.json('allocate-address', '--domain', 'vpc');
    const vpc = a.VpcId as string;
    subnet = a.SubnetId as string;
    igw = (
      await h.json(
        'describe-internet-gateways',
        '--filters',
        `Name=attachment.vpc-id,Values=${vpc}`,
      )
    ).InternetGateways[0].InternetGatewayId;
  }, 600_000);

  afterAll(async () => {
    if (process.env.KUMO_TEST_VERBOSE) process.stderr.write(h?.log() ?? '');
    await h?.close();
  }, 120_000);

  it('gives the default VPC an attached gateway and a main table routing 0.0.0.0/0 to it', async () => {
    const tables = (
      await h.json(
        'describe-route-tables',
        '--filters',
        `Name=vpc-id,Values=${a.VpcId}`,
        'Name=association.main,Values=true',
      )
    ).RouteTables;
    expect(tables).toHaveLength(1);
    expect(tables[0].Routes).toEqual([
      expect.objectContaining({
        DestinationCidrBlock: '172.31.0.0/16',
        GatewayId: 'local',
        State: 'active',
      }),
      expect.objectContaining({
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: igw,
        State: 'active',
      }),
    ]);
  });

  it('routed mode: the LAN reaches an elastic IP, which follows re-association at once', async () => {
    await useMode('routed');
    await associate(a);
    expect((await describe(a)).PublicIpAddress).toBe(eip.PublicIp);
    expect(await page(lan, eip.PublicIp)).toBe(`web-${a.InstanceId}`);
    const shown = (
      await h.json('describe-addresses', '--filters', `Name=instance-id,Values=${a.InstanceId}`)
    ).Addresses;
    expect(shown).toEqual([
      expect.objectContaining({ PublicIp: eip.PublicIp, Domain: 'vpc', InstanceId: a.InstanceId }),
    ]);

    // A TCP connection from the LAN to a's web server through the elastic IP, kept open: the
    // request's headers are not finished, so httpd waits for the rest.
    const conn = execa(
      'nsenter',
      [`--net=/run/netns/${lan}`, '--', 'socat', '-', `TCP:${eip.PublicIp}:8080,connect-timeout=5`],
      { reject: false, stdin: 'pipe' },
    );
    let answer = '';
    conn.stdout?.on('data', (d: Buffer) => (answer += d.toString()));
    conn.stdin?.write('GET / HTTP/1.0\r\n');
    await eventually(
      'the connection through the elastic IP to be established',
      async () =>
        String(
          (await inNs(lan, 'ss', ['-Htn', 'state', 'established', 'dst', eip.PublicIp])).stdout,
        ).includes(':8080'),
      { timeoutMs: 20_000, intervalMs: 300 },
    );

    await associate(b);
    // The end of the request now reaches b, which knows no such connection and resets it; had
    // the flow stayed tracked, a would answer it with its page.
    await eventually(
      'the connection to the old instance to end',
      () => {
        if (conn.exitCode !== null) return true;
        conn.stdin?.write('\r\n');
        return undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(answer).not.toContain(`web-${a.InstanceId}`);
    expect(await page(lan, eip.PublicIp)).toBe(`web-${b.InstanceId}`);
    // a got a pool address back, and answers on it.
    const aNow = await describe(a);
    expect(aNow.PublicIpAddress).toBeTruthy();
    expect(aNow.PublicIpAddress).not.toBe(eip.PublicIp);
    expect(await page(lan, aNow.PublicIpAddress)).toBe(`web-${a.InstanceId}`);
    a = aNow;
  });

  it('proxy-ARP mode: a LAN machine with the pool on its link reaches the elastic IP and follows it', async () => {
    await useMode('proxy-arp');
    await associate(a);
    expect(await page(lan, eip.PublicIp)).toBe(`web-${a.InstanceId}`);
    await associate(b);
    expect(await page(lan, eip.PublicIp)).toBe(`web-${b.InstanceId}`);
    // ARP, not a route, found it: the LAN's neighbour entry for the address is kumod's uplink.
    const mac = (await execa('ip', ['-n', h.ns, '-o', 'link', 'show', 'lan0'])).stdout.match(
      /link\/ether (\S+)/,
    )?.[1];
    const neigh = (await inNs(lan, 'ip', ['neigh', 'show', eip.PublicIp])).stdout;
    expect(String(neigh)).toContain(String(mac));
  });

  it('does not reach a subnet whose route table has no gateway route, until the route is added', async () => {
    await associate(a);
    expect(await page(h.ns, eip.PublicIp)).toBe(`web-${a.InstanceId}`);
    const table = (await h.json('create-route-table', '--vpc-id', a.VpcId)).RouteTable.RouteTableId;
    const assoc = (
      await h.json('associate-route-table', '--route-table-id', table, '--subnet-id', subnet)
    ).AssociationId;
    try {
      expect(await page(h.ns, eip.PublicIp)).toBeUndefined();
      expect(await page(h.ns, (await describe(b)).PublicIpAddress)).toBeUndefined();
      await h.json(
        'create-route',
        '--route-table-id',
        table,
        '--destination-cidr-block',
        '0.0.0.0/0',
        '--gateway-id',
        igw,
      );
      expect(await page(h.ns, eip.PublicIp)).toBe(`web-${a.InstanceId}`);
      await h.kumo(
        'delete-route',
        '--route-table-id',
        table,
        '--destination-cidr-block',
        '0.0.0.0/0',
      );
      expect(await page(h.ns, eip.PublicIp)).toBeUndefined();
      expect(await errorOf('delete-route-table', '--route-table-id', table)).toBe(
        'DependencyViolation',
      );
    } finally {
      await h.kumo('disassociate-route-table', '--association-id', assoc);
      await h.kumo('delete-route-table', '--route-table-id', table);
    }
    expect(await page(h.ns, eip.PublicIp)).toBe(`web-${a.InstanceId}`);
  });

  it('refuses bad input with EC2 codes and changes nothing', async () => {
    await associate(a);
    expect(
      await errorOf(
        'associate-address',
        '--allocation-id',
        eip.AllocationId,
        '--instance-id',
        b.InstanceId,
      ),
    ).toBe('Resource.AlreadyAssociated');
    expect(await errorOf('release-address', '--allocation-id', eip.AllocationId)).toBe(
      'InvalidIPAddress.InUse',
    );
    expect(await errorOf('release-address', '--allocation-id', 'eipalloc-00000000000000000')).toBe(
      'InvalidAllocationID.NotFound',
    );
    expect(
      await errorOf(
        'associate-address',
        '--allocation-id',
        eip.AllocationId,
        '--instance-id',
        'i-00000000000000000',
      ),
    ).toBe('InvalidInstanceID.NotFound');
    expect(
      await errorOf('describe-route-tables', '--route-table-ids', 'rtb-00000000000000000'),
    ).toBe('InvalidRouteTableID.NotFound');
    expect(
      await errorOf(
        'attach-internet-gateway',
        '--internet-gateway-id',
        'igw-00000000000000000',
        '--vpc-id',
        a.VpcId,
      ),
    ).toBe('InvalidInternetGatewayID.NotFound');
    expect(
      await errorOf('detach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', a.VpcId),
    ).toBe('DependencyViolation');
    expect(await errorOf('delete-internet-gateway', '--internet-gateway-id', igw)).toBe(
      'DependencyViolation',
    );
    const main = (
      await h.json('describe-route-tables', '--filters', 'Name=association.main,Values=true')
    ).RouteTables[0].RouteTableId;
    expect(await errorOf('delete-route-table', '--route-table-id', main)).toBe(
      'DependencyViolation',
    );
    // Still where it was, and still answering.
    expect((await describe(a)).PublicIpAddress).toBe(eip.PublicIp);
    expect(await page(h.ns, eip.PublicIp)).toBe(`web-${a.InstanceId}`);
  });

  it('changes the pool public IP on stop/start; the elastic IP stays', async () => {
    await associate(b);
    const before = (await describe(a)).PublicIpAddress as string;
    expect(before).toBeTruthy();
    await h.json('stop-instances', '--instance-ids', a.InstanceId, b.InstanceId);
    for (const i of [a, b]) {
      const r = await h.kumo('wait', 'instance-stopped', '--instance-ids', i.InstanceId);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    expect((await describe(a)).PublicIpAddress).toBeUndefined();
    expect(
      (await h.json('describe-addresses', '--public-ips', eip.PublicIp)).Addresses[0].InstanceId,
    ).toBe(b.InstanceId);
    await h.json('start-instances', '--instance-ids', a.InstanceId, b.InstanceId);
    for (const i of [a, b]) {
      const r = await h.kumo('wait', 'instance-running', '--instance-ids', i.InstanceId);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const aNow = await describe(a);
    expect(aNow.PublicIpAddress).toBeTruthy();
    expect(aNow.PublicIpAddress).not.toBe(before);
    expect((await describe(b)).PublicIpAddress).toBe(eip.PublicIp);
    await serve(b, eip.PublicIp);
    await serve(a, aNow.PublicIpAddress);
    // The guest's metadata and describe-instances filters follow the new addresses.
    expect(
      (
        await inGuest(
          aNow.PublicIpAddress,
          'wget -qO- http://169.254.169.254/latest/meta-data/public-ipv4',
        )
      ).trim(),
    ).toBe(aNow.PublicIpAddress);
    const byIp = await h.json(
      'describe-instances',
      '--filters',
      `Name=ip-address,Values=${eip.PublicIp}`,
    );
    expect(
      byIp.Reservations.flatMap((r: { Instances: Inst[] }) => r.Instances).map(
        (i: Inst) => i.InstanceId,
      ),
    ).toEqual([b.InstanceId]);
    expect(await page(h.ns, eip.PublicIp)).toBe(`web-${b.InstanceId}`);
    expect(await page(h.ns, aNow.PublicIpAddress)).toBe(`web-${a.InstanceId}`);
    a = aNow;
  }, 600_000);
});
