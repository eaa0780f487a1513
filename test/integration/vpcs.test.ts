import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import { inNs } from './harness/netns.js';
import { ALL_PREREQUISITES, integrationSuite } from './harness/prerequisites.js';

/**
 * VPCs and subnets judged from real guests. Two VPCs with the same block (10.0.0.0/16): A has
 * subnets 10.0.1.0/24 and 10.0.2.0/24 with guests a1 (10.0.1.10) and a2 (10.0.2.10); B has
 * 10.0.1.0/24 with b1 at 10.0.1.10 too, the same address as a1. The three guests are launched
 * once and shared; the last test takes B apart.
 */
const BOOT_MS = 240_000;
type Inst = any;

integrationSuite(
  'VPCs and subnets on real guests',
  () => {
    let h: KumodHarness;
    let key: string;
    let vpcA: string;
    let vpcB: string;
    let igwB: string;
    let subA1: string;
    let subA2: string;
    let subB1: string;
    let a1: Inst;
    let a2: Inst;
    let b1: Inst;

    const inGuest = async (i: Inst, cmd: string, untilMs = 0): Promise<string> => {
      const r = await h.ssh(key, i.DefaultUser ?? 'root', i.PublicIpAddress, cmd, untilMs);
      expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    /** The web page at ip:8080 fetched from inside guest `i`, or '' if nothing answers. */
    const fetchFrom = async (i: Inst, ip: string): Promise<string> =>
      (
        await inGuest(
          i,
          `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 8080 | tail -n 1 || true`,
        )
      ).trim();
    const pings = async (i: Inst, ip: string): Promise<boolean> =>
      (await inGuest(i, `ping -c 1 -W 2 ${ip} >/dev/null 2>&1 && echo yes || echo no`)).trim() ===
      'yes';
    /** EC2 error code of a CLI call that must fail. */
    const ec2Error = async (...args: string[]): Promise<string> => {
      const r = await h.kumo(...args);
      expect(r.exitCode, r.stdout).not.toBe(0);
      return /\(([A-Za-z.]+)\)/.exec(r.stderr)?.[1] ?? r.stderr;
    };
    const nsOf = async (vpcId: string): Promise<string | undefined> =>
      (await h.vpcNamespaces()).find((n) => n.endsWith(vpcId));
    /** A group of `vpcId` open to everything: isolation below comes from the VPCs, not groups. */
    const openGroup = async (vpcId: string): Promise<string> => {
      const g = (
        await h.json(
          'create-security-group',
          '--group-name',
          'open',
          '--description',
          'everything',
          '--vpc-id',
          vpcId,
        )
      ).GroupId as string;
      await h.json(
        'authorize-security-group-ingress',
        '--group-id',
        g,
        '--ip-permissions',
        'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]',
      );
      return g;
    };
    /**
     * The test reaches guests by public IP from kumod's namespace: as in EC2, a new VPC needs an
     * internet gateway and a route to it for that (its main table has the local route only).
     */
    const internetRoute = async (vpcId: string): Promise<string> => {
      const igw = (await h.json('create-internet-gateway')).InternetGateway
        .InternetGatewayId as string;
      const attach = await h.kumo(
        'attach-internet-gateway',
        '--internet-gateway-id',
        igw,
        '--vpc-id',
        vpcId,
      );
      expect(attach.exitCode, attach.stderr).toBe(0);
      const [main] = (
        await h.json(
          'describe-route-tables',
          '--filters',
          `Name=vpc-id,Values=${vpcId}`,
          'Name=association.main,Values=true',
        )
      ).RouteTables as { RouteTableId: string }[];
      const route = await h.kumo(
        'create-route',
        '--route-table-id',
        main?.RouteTableId ?? '',
        '--destination-cidr-block',
        '0.0.0.0/0',
        '--gateway-id',
        igw,
      );
      expect(route.exitCode, route.stderr).toBe(0);
      return igw;
    };
    const launch = async (subnet: string, ip: string, group: string): Promise<string> =>
      (
        await h.json(
          'run-instances',
          '--key-name',
          'me',
          '--network-interfaces',
          `DeviceIndex=0,SubnetId=${subnet},PrivateIpAddress=${ip},Groups=${group},AssociatePublicIpAddress=true`,
        )
      ).Instances[0].InstanceId as string;

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
      vpcA = (await h.json('create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
      vpcB = (await h.json('create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
      const subnet = async (vpc: string, cidr: string) =>
        (await h.json('create-subnet', '--vpc-id', vpc, '--cidr-block', cidr)).Subnet
          .SubnetId as string;
      subA1 = await subnet(vpcA, '10.0.1.0/24');
      subA2 = await subnet(vpcA, '10.0.2.0/24');
      subB1 = await subnet(vpcB, '10.0.1.0/24');
      // DHCP host names too (off by default in a new VPC, as in EC2).
      const mod = await h.kumo('modify-vpc-attribute', '--vpc-id', vpcA, '--enable-dns-hostnames');
      expect(mod.exitCode, mod.stderr).toBe(0);
      const [gA, gB] = [await openGroup(vpcA), await openGroup(vpcB)];
      igwB = await internetRoute(vpcB);
      await internetRoute(vpcA);
      const ids = [
        await launch(subA1, '10.0.1.10', gA),
        await launch(subA2, '10.0.2.10', gA),
        await launch(subB1, '10.0.1.10', gB),
      ];
      [a1, a2, b1] = await eventually(
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
      for (const i of [a1, a2, b1]) {
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

    it('places each guest where it was asked and describe-instances says so', () => {
      expect(a1).toMatchObject({
        VpcId: vpcA,
        SubnetId: subA1,
        PrivateIpAddress: '10.0.1.10',
        PrivateDnsName: 'ip-10-0-1-10.kumo.internal',
      });
      expect(a2).toMatchObject({ VpcId: vpcA, SubnetId: subA2, PrivateIpAddress: '10.0.2.10' });
      expect(b1).toMatchObject({ VpcId: vpcB, SubnetId: subB1, PrivateIpAddress: '10.0.1.10' });
      expect(a1.PublicIpAddress).toBeTruthy();
      // A has DNS hostnames: EC2's public DNS name spells the public address; B has none.
      expect(a1.PublicDnsName).toBe(
        `ec2-${String(a1.PublicIpAddress).replaceAll('.', '-')}.compute.kumo.internal`,
      );
      expect(b1.PublicDnsName ?? '').toBe('');
    });

    it('guests of one VPC reach each other across its subnets (TCP and ICMP)', async () => {
      expect(await fetchFrom(a2, '10.0.1.10')).toBe(`web-${a1.InstanceId}`);
      expect(await fetchFrom(a1, '10.0.2.10')).toBe(`web-${a2.InstanceId}`);
      expect(await pings(a1, '10.0.2.10')).toBe(true);
    });

    it("no packet crosses between VPCs with the same addresses; each VPC's conntrack holds only its own flows", async () => {
      // 10.0.1.10 from a2 is a1, never b1; b1 finds nobody at a2's address.
      expect(await fetchFrom(a2, '10.0.1.10')).toBe(`web-${a1.InstanceId}`);
      expect(await fetchFrom(b1, '10.0.2.10')).toBe('');
      expect(await pings(b1, '10.0.2.10')).toBe(false);
      // Issue 8's demo: the same private flow (10.0.2.10 -> 10.0.1.10:8080) is tracked in A only,
      // and each VPC's router tracks only the SSH flows to its own guest's public address.
      const nsA = (await nsOf(vpcA)) as string;
      const nsB = (await nsOf(vpcB)) as string;
      const flows = async (ns: string) => String((await inNs(ns, 'conntrack', ['-L'])).stdout);
      await fetchFrom(a2, '10.0.1.10');
      await inGuest(b1, 'true');
      const [inA, inB] = [await flows(nsA), await flows(nsB)];
      expect(inA).toMatch(/src=10\.0\.2\.10 dst=10\.0\.1\.10 .*dport=8080/);
      expect(inB).not.toMatch(/dport=8080/);
      expect(inA).toContain(`dst=${a1.PublicIpAddress as string}`);
      expect(inA).not.toContain(`dst=${b1.PublicIpAddress as string}`);
      expect(inB).toContain(`dst=${b1.PublicIpAddress as string}`);
      expect(inB).not.toContain(`dst=${a1.PublicIpAddress as string}`);
    });

    it('tags a running instance and a VPC after creation; describe filters see them', async () => {
      const tag = await h.kumo(
        'create-tags',
        '--resources',
        a1.InstanceId,
        vpcA,
        '--tags',
        'Key=team,Value=blue',
        'Key=env,Value=ci',
      );
      expect(tag.exitCode, tag.stderr).toBe(0);
      const described = await h.json(
        'describe-tags',
        '--filters',
        'Name=key,Values=team',
        `Name=resource-id,Values=${a1.InstanceId},${vpcA}`,
      );
      expect(
        (described.Tags as { ResourceId: string; ResourceType: string; Value: string }[])
          .map((t) => `${t.ResourceType} ${t.ResourceId} ${t.Value}`)
          .sort(),
      ).toEqual([`instance ${a1.InstanceId} blue`, `vpc ${vpcA} blue`].sort());
      const byTag = await h.json(
        'describe-instances',
        '--filters',
        'Name=tag:team,Values=blue',
        '--query',
        'Reservations[].Instances[].InstanceId',
      );
      expect(byTag).toEqual([a1.InstanceId]);
      // The instance keeps running and reachable; a kept value deletes nothing.
      expect(await fetchFrom(a2, '10.0.1.10')).toBe(`web-${a1.InstanceId}`);
      const keep = await h.kumo(
        'delete-tags',
        '--resources',
        a1.InstanceId,
        '--tags',
        'Key=team,Value=red',
      );
      expect(keep.exitCode, keep.stderr).toBe(0);
      const gone = await h.kumo('delete-tags', '--resources', a1.InstanceId, vpcA);
      expect(gone.exitCode, gone.stderr).toBe(0);
      expect(
        (await h.json('describe-tags', '--filters', `Name=resource-id,Values=${a1.InstanceId}`))
          .Tags,
      ).toEqual([]);
      expect(
        await ec2Error(
          'create-tags',
          '--resources',
          'vpc-0000000000000dead',
          '--tags',
          'Key=a,Value=b',
        ),
      ).toBe('InvalidVpcID.NotFound');
    });

    it('resolves private DNS names and their reverse inside a VPC, and not from another', async () => {
      const resolved = await inGuest(a2, 'nslookup ip-10-0-1-10.kumo.internal 2>&1 || true');
      expect(resolved).toMatch(/Address:?\s+10\.0\.1\.10/);
      const reverse = await inGuest(a2, 'nslookup 10.0.1.10 2>&1 || true');
      expect(reverse).toContain('ip-10-0-1-10.kumo.internal');
      // The public DNS name answers with the private address inside the VPC, as EC2's resolver.
      const publicName = await inGuest(a2, `nslookup ${a1.PublicDnsName} 2>&1 || true`);
      expect(publicName).toMatch(/Address:?\s+10\.0\.1\.10/);
      expect((await inGuest(a1, 'kumo-metadata latest/meta-data/public-hostname')).trim()).toBe(
        a1.PublicDnsName,
      );
      // The guest is named after its address and DHCP told it the VPC resolver and domain.
      expect((await inGuest(a1, 'hostname')).trim()).toMatch(/^ip-10-0-1-10(\.kumo\.internal)?$/);
      expect(await inGuest(a1, 'cat /etc/resolv.conf')).toMatch(/nameserver 10\.0\.1\.1/);
      // B has nobody at 10.0.2.10: its resolver does not know A's name, and does not forward it.
      const fromB = await inGuest(b1, 'nslookup ip-10-0-2-10.kumo.internal 2>&1; echo rc=$?');
      expect(fromB).not.toMatch(/Address:?\s+10\.0\.2\.10/);
      expect(fromB).toMatch(/NXDOMAIN|can't resolve|rc=1/);
      // B's own guest resolves in B.
      expect(await inGuest(b1, 'nslookup ip-10-0-1-10.kumo.internal 2>&1 || true')).toMatch(
        /Address:?\s+10\.0\.1\.10/,
      );
    });

    it('answers bad input with EC2 codes and changes nothing', async () => {
      expect(
        await ec2Error('create-subnet', '--vpc-id', vpcA, '--cidr-block', '10.0.1.128/25'),
      ).toBe('InvalidSubnet.Conflict');
      expect(await ec2Error('create-subnet', '--vpc-id', vpcA, '--cidr-block', '10.1.0.0/24')).toBe(
        'InvalidSubnet.Range',
      );
      expect(await ec2Error('create-vpc', '--cidr-block', '10.0.0.0/8')).toBe('InvalidVpc.Range');
      expect(await ec2Error('delete-vpc', '--vpc-id', vpcA)).toBe('DependencyViolation');
      expect(await ec2Error('delete-subnet', '--subnet-id', subA1)).toBe('DependencyViolation');
      const run = (ip: string) =>
        ec2Error('run-instances', '--subnet-id', subA1, '--private-ip-address', ip);
      expect(await run('10.0.1.10')).toBe('InvalidIPAddress.InUse');
      expect(await run('10.0.2.50')).toBe('InvalidParameterValue');
      expect(await run('10.0.1.2')).toBe('InvalidParameterValue');
      const subnets = (await h.json('describe-subnets', '--filters', `Name=vpc-id,Values=${vpcA}`))
        .Subnets as { CidrBlock: string; AvailableIpAddressCount: number }[];
      expect(subnets.map((s) => s.CidrBlock).sort()).toEqual(['10.0.1.0/24', '10.0.2.0/24']);
      expect(subnets.map((s) => s.AvailableIpAddressCount)).toEqual([250, 250]);
    });

    it('a kumod restart keeps the VPCs, their guests, names and isolation', async () => {
      const before = (await h.vpcNamespaces()).sort();
      await h.restartDaemon();
      const vpcIds = await h.json<string[]>('describe-vpcs', '--query', 'Vpcs[].VpcId');
      expect(vpcIds).toEqual(expect.arrayContaining([vpcA, vpcB]));
      expect((await h.vpcNamespaces()).sort()).toEqual(before);
      expect(await fetchFrom(a2, '10.0.1.10')).toBe(`web-${a1.InstanceId}`);
      expect(await fetchFrom(b1, '10.0.2.10')).toBe('');
      expect(await inGuest(a2, 'nslookup ip-10-0-1-10.kumo.internal 2>&1 || true')).toMatch(
        /Address:?\s+10\.0\.1\.10/,
      );
      // The metadata service answers in a VPC kumod made while it ran before.
      expect(
        (await inGuest(a1, 'wget -qO- http://169.254.169.254/latest/meta-data/local-ipv4')).trim(),
      ).toBe('10.0.1.10');
    });

    it('delete-subnet and delete-vpc remove exactly their host objects', async () => {
      const nsB = (await nsOf(vpcB)) as string;
      const nsA = (await nsOf(vpcA)) as string;
      const bridges = async (ns: string) =>
        String((await inNs(ns, 'ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout);
      expect(await bridges(nsB)).toContain('br');
      await h.json('terminate-instances', '--instance-ids', b1.InstanceId);
      await eventually(
        'b1 terminated',
        async () =>
          (await h.json('describe-instances', '--instance-ids', b1.InstanceId)).Reservations[0]
            .Instances[0].State.Name === 'terminated',
        { timeoutMs: 120_000 },
      );
      // The VPC's resolvers settle after "terminated" shows: the sync that drops b1's lease
      // restarts B's dnsmasq. Wait for one per subnet with guests (A's two, B's one).
      const dnsmasqBefore = await eventually(
        'a dnsmasq for each of the three subnets',
        () => Promise.resolve(h.dnsmasqPids().length === 3 ? 3 : undefined),
        { timeoutMs: 60_000 },
      );
      await h.kumo(
        'delete-security-group',
        '--group-id',
        (
          await h.json(
            'describe-security-groups',
            '--filters',
            `Name=vpc-id,Values=${vpcB}`,
            'Name=group-name,Values=open',
          )
        ).SecurityGroups[0].GroupId,
      );
      const del = await h.kumo('delete-subnet', '--subnet-id', subB1);
      expect(del.exitCode, del.stderr).toBe(0);
      expect(await bridges(nsB)).not.toContain('br');
      expect(h.dnsmasqPids()).toHaveLength(dnsmasqBefore - 1);
      // An attached gateway holds the VPC (EC2): detached and deleted, the VPC can go, taking
      // its main route table with it.
      expect(await ec2Error('delete-vpc', '--vpc-id', vpcB)).toBe('DependencyViolation');
      for (const step of [
        ['detach-internet-gateway', '--internet-gateway-id', igwB, '--vpc-id', vpcB],
        ['delete-internet-gateway', '--internet-gateway-id', igwB],
      ]) {
        const r = await h.kumo(...step);
        expect(r.exitCode, `${step.join(' ')}: ${r.stderr}`).toBe(0);
      }
      const delVpc = await h.kumo('delete-vpc', '--vpc-id', vpcB);
      expect(delVpc.exitCode, delVpc.stderr).toBe(0);
      const left = await h.json('describe-route-tables', '--filters', `Name=vpc-id,Values=${vpcB}`);
      expect(left.RouteTables).toEqual([]);
      expect(await nsOf(vpcB)).toBeUndefined();
      // A is untouched and still works.
      expect(await nsOf(vpcA)).toBe(nsA);
      expect(await fetchFrom(a2, '10.0.1.10')).toBe(`web-${a1.InstanceId}`);
      expect(await ec2Error('describe-vpcs', '--vpc-ids', vpcB)).toBe('InvalidVpcID.NotFound');
    });
  },
  [...ALL_PREREQUISITES, 'conntrack'],
);
