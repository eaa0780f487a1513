import { fakeRouting } from '../../fakes/routing.js';
import { FakeSecurityGroupRepository } from '../../fakes/security-groups.js';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import type { NetworkInterface } from '../../../src/network/network-interface.js';
import { NetworkService } from '../../../src/network/network-service.js';
import type {
  NetworkInterfaceRepository,
  SubnetRepository,
  VpcPlumbing,
  VpcRepository,
} from '../../../src/network/ports.js';
import type { Subnet, Vpc } from '../../../src/network/vpc.js';

class Repo<T extends { id: string }> {
  rows = new Map<string, T>();
  list = () => [...this.rows.values()];
  get = (id: string) => this.rows.get(id);
  put = (v: T) => void this.rows.set(v.id, v);
  delete = (id: string) => void this.rows.delete(id);
}

class InterfaceRepo extends Repo<NetworkInterface> implements NetworkInterfaceRepository {
  byInstance = (instanceId: string) => this.list().find((e) => e.instanceId === instanceId);
}

/** Records every plumbing call as "name {json of its arguments}". */
function fakePlumbing(calls: string[]): VpcPlumbing {
  const rec =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(`${name} ${JSON.stringify(args)}`);
      return Promise.resolve();
    };
  return {
    ensureVpc: rec('ensureVpc'),
    removeVpc: rec('removeVpc'),
    ensureSubnet: rec('ensureSubnet'),
    removeSubnet: rec('removeSubnet'),
    ensurePorts: (vpc, enis) => {
      calls.push(`ensurePorts ${JSON.stringify([vpc, enis])}`);
      return Promise.resolve(
        new Map(
          enis.map((e) => [
            e.instanceId,
            { netns: 'ns', tap: `t-${e.instanceId}`, mac: e.mac, created: true },
          ]),
        ),
      );
    },
    removePorts: rec('removePorts'),
    applyRules: rec('applyRules'),
    applyRoutes: rec('applyRoutes'),
    isolate: rec('isolate'),
    metadataSocket: (vpc) => `/run/kumo/metadata/${vpc.id}.sock`,
  };
}

function service(calls: string[] = [], states = new Map<string, string>()) {
  const vpcs = new Repo<Vpc>() as VpcRepository & Repo<Vpc>;
  const subnets = new Repo<Subnet>() as SubnetRepository & Repo<Subnet>;
  const interfaces = new InterfaceRepo();
  const routing = fakeRouting();
  const svc = new NetworkService({
    vpcs,
    subnets,
    interfaces,
    securityGroups: new FakeSecurityGroupRepository(),
    routing,
    plumbing: fakePlumbing(calls),
    logger: silentLogger,
    settings: { publicCidr: '100.80.0.0/29', domain: 'kumo.internal' },
    instanceState: (id) => states.get(id) ?? 'running',
  });
  return { svc, vpcs, subnets, interfaces, routing };
}

const ids = (n: number) =>
  Array.from({ length: n }, (_, k) => `i-${String(k + 1).padStart(17, '0')}`);

/** The last applyRoutes call's plan: each route as "destination kind". */
const lastRoutes = (calls: string[]): string[] => {
  const last = calls.filter((c) => c.startsWith('applyRoutes ')).at(-1);
  const [, plan] = JSON.parse(last?.slice('applyRoutes '.length) ?? '[]') as [
    unknown,
    { tables: { routes: { destination: string; hop: { kind: string } }[] }[] },
  ];
  return plan.tables.flatMap((t) => t.routes.map((r) => `${r.destination} ${r.hop.kind}`));
};

/** Adds 198.51.100.0/24 -> the NAT instance to the main route table; returns the table as it was. */
const routeToNat = (routing: ReturnType<typeof fakeRouting>, natId: string) => {
  const main = routing.routeTables.list()[0]!;
  routing.routeTables.put({
    ...main,
    routes: [
      ...main.routes,
      { destinationCidr: '198.51.100.0/24', instanceId: natId, origin: 'CreateRoute' },
    ],
  });
  return main;
};

describe('NetworkService routes', () => {
  it('programs a route to a NAT instance while it runs and a blackhole once it is unplugged or stopped', async () => {
    const calls: string[] = [];
    const states = new Map<string, string>();
    const { svc, routing } = service(calls, states);
    const [nat, other] = svc.allocate(ids(2));
    const main = routeToNat(routing, nat!.instanceId);
    await svc.activate([other!.instanceId]);
    expect(lastRoutes(calls)).toEqual(['0.0.0.0/0 gateway', '198.51.100.0/24 instance']);
    expect(svc.routeState(routing.routeTables.list()[0]!.routes[2]!, main.vpcId)).toBe('active');

    // Stop: the port goes while compute's record still says running; the route is dropped now.
    await svc.unplug([nat!.instanceId]);
    expect(lastRoutes(calls)).toEqual(['0.0.0.0/0 gateway', '198.51.100.0/24 blackhole']);
    states.set(nat!.instanceId, 'stopped');
    expect(svc.routeState(routing.routeTables.list()[0]!.routes[2]!, main.vpcId)).toBe('blackhole');
    await svc.refreshRules(main.vpcId);
    expect(lastRoutes(calls)).toEqual(['0.0.0.0/0 gateway', '198.51.100.0/24 blackhole']);
  });

  it('keeps a route a blackhole when the unplug of its instance shares a run with a launch', async () => {
    const calls: string[] = [];
    const { svc, routing } = service(calls);
    const [nat, other] = svc.allocate(ids(2));
    routeToNat(routing, nat!.instanceId);
    // The stop's "down" set rides along with the launch's activation in one run.
    await Promise.all([svc.activate([other!.instanceId]), svc.unplug([nat!.instanceId])]);
    expect(calls.filter((c) => c.startsWith('applyRoutes '))).toHaveLength(1);
    expect(lastRoutes(calls)).toEqual(['0.0.0.0/0 gateway', '198.51.100.0/24 blackhole']);
  });

  it('isolates the VPC and says so when its routes cannot be applied (fail closed)', async () => {
    const calls: string[] = [];
    const { svc } = service(calls);
    const [eni] = svc.allocate(ids(1));
    const failing = (svc as unknown as { deps: { plumbing: { applyRoutes: unknown } } }).deps
      .plumbing;
    failing.applyRoutes = () => Promise.reject(new Error('ip: RTNETLINK answers: No such device'));
    await expect(svc.activate([eni!.instanceId])).rejects.toThrow(/rules or routes/);
    expect(calls.some((c) => c.startsWith('isolate '))).toBe(true);
  });
});

describe('NetworkService', () => {
  it('creates one default VPC (172.31.0.0/16) with a default subnet, once', () => {
    const { svc, vpcs, subnets } = service();
    const a = svc.ensureDefaultVpc();
    const b = svc.ensureDefaultVpc();
    expect(a.id).toBe(b.id);
    expect(a.cidr).toBe('172.31.0.0/16');
    expect(a.routerPublicIp).toBe('100.80.0.2');
    expect(vpcs.list()).toHaveLength(1);
    expect(subnets.list()[0]?.cidr).toBe('172.31.0.0/20');
  });

  it('allocates interfaces with distinct addresses and MACs, skipping reserved ones, and records them', () => {
    const { svc, interfaces } = service();
    const [x, y] = svc.allocate(ids(2));
    expect(x?.id).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(x?.instanceId).toBe('i-00000000000000001');
    expect(x?.privateIp).toBe('172.31.0.4');
    expect(y?.privateIp).toBe('172.31.0.5');
    expect(x?.publicIp).toBe('100.80.0.3');
    expect(y?.publicIp).toBe('100.80.0.4');
    expect(x?.mac).not.toBe(y?.mac);
    expect(interfaces.byInstance('i-00000000000000002')).toEqual(y);
    // No Linux name in the domain's record: the host adapter names taps.
    expect(Object.keys(x!)).not.toContain('tap');
  });

  it('reuses the addresses of released interfaces (terminated instances) but not of live ones', () => {
    const { svc } = service();
    const [, terminated] = svc.allocate(ids(2));
    svc.release([terminated!.instanceId]);
    const [x] = svc.allocate(['i-00000000000000003']);
    // Had the released interface still counted, these would be .6 and .5.
    expect(x?.privateIp).toBe(terminated!.privateIp);
    expect(x?.publicIp).toBe(terminated!.publicIp);
  });

  it('says the public pool is exhausted and what to do', () => {
    const { svc } = service();
    expect(() => svc.allocate(ids(5))).toThrow(/--public-cidr/);
  });

  it('plugs an instance (router, subnet with its reservation, port), then activates its rules', async () => {
    const calls: string[] = [];
    const { svc } = service(calls);
    const [eni] = svc.allocate(['i-0123456789abcdef0']);
    const ports = await svc.plug(['i-0123456789abcdef0']);
    expect(ports.get('i-0123456789abcdef0')).toMatchObject({ mac: eni!.mac });
    expect(calls.map((c) => c.split(' ')[0])).toEqual(['ensureVpc', 'ensureSubnet', 'ensurePorts']);
    expect(calls[1]).toContain(eni!.mac);
    expect(calls[1]).toContain('"hostname":"ip-172-31-0-4"');
    await svc.activate(['i-0123456789abcdef0']);
    expect(calls[3]).toMatch(/^applyRules /);
    expect(calls[3]).toContain('"publicIp":"100.80.0.3"');
  });

  it('does the VPC-wide work once for a batch: as many plumbing calls for three as for one', async () => {
    const callsFor = async (n: number) => {
      const calls: string[] = [];
      const { svc } = service(calls);
      const enis = svc.allocate(ids(n));
      await svc.plug(ids(n));
      return { calls, names: calls.map((c) => c.split(' ')[0] as string), enis };
    };
    const one = await callsFor(1);
    const three = await callsFor(3);
    expect(three.names).toEqual(one.names);
    // The one DHCP reload carries every reservation of the batch; the one port call every port.
    for (const call of ['ensureSubnet', 'ensurePorts']) {
      const text = three.calls.find((c) => c.startsWith(call)) as string;
      for (const eni of three.enis) expect(text).toContain(eni.mac);
    }
  });

  it('has concurrent plugs and activations of one VPC share runs, each caller getting its own ports', async () => {
    const calls: string[] = [];
    const { svc } = service(calls);
    const [a, b, c] = ids(3);
    svc.allocate([a!, b!, c!]);
    // Three launches whose requests arrived together, as five concurrent RunInstances calls do.
    const plugged = await Promise.all([svc.plug([a!]), svc.plug([b!]), svc.plug([c!])]);
    expect(plugged.map((p) => [...p.keys()])).toEqual([[a], [b], [c]]);
    expect(calls.filter((x) => x.startsWith('ensurePorts'))).toHaveLength(1);
    expect(calls.filter((x) => x.startsWith('ensureSubnet'))).toHaveLength(1);
    calls.length = 0;
    await Promise.all([svc.activate([a!]), svc.activate([b!]), svc.activate([c!])]);
    const applies = calls.filter((x) => x.startsWith('applyRules'));
    expect(applies).toHaveLength(1);
    for (const id of [a, b, c]) expect(applies[0]).toContain(`"instanceId":"${id}"`);
  });

  it('after a release, sync serves neither the reservation nor the NAT of the released interface', async () => {
    const calls: string[] = [];
    const { svc } = service(calls);
    const [keep, gone] = svc.allocate(ids(2));
    svc.release([gone!.instanceId]);
    await svc.sync(keep!.vpcId);
    const text = calls.join('\n');
    expect(text).toContain(keep!.mac);
    expect(text).not.toContain(gone!.mac);
    expect(text).not.toContain(`"publicIp":"${gone!.publicIp}"`);
  });

  it('refuses to plug an instance that has no interface', async () => {
    const { svc } = service();
    await expect(svc.plug(['i-00000000000000009'])).rejects.toMatchObject({
      code: 'InvalidNetworkInterfaceID.NotFound',
    });
  });
});

describe('NetworkService placement in a subnet', () => {
  const vpc: Vpc = {
    id: 'vpc-0000000000000000a',
    cidr: '10.0.0.0/16',
    isDefault: false,
    routerPublicIp: '100.80.0.6',
    enableDnsSupport: true,
    enableDnsHostnames: false,
  };
  const subnet: Subnet = {
    id: 'subnet-0000000000000000a',
    vpcId: vpc.id,
    cidr: '10.0.1.0/28',
    isDefault: false,
    mapPublicIpOnLaunch: false,
  };
  const setup = (calls: string[] = []) => {
    const s = service(calls);
    s.vpcs.put(vpc);
    s.subnets.put(subnet);
    return s;
  };
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };

  it('gives no public IP in a subnet that does not map them, unless the launch asks', () => {
    const { svc } = setup();
    const [plain] = svc.allocate(['i-00000000000000001'], subnet.id);
    expect(plain?.publicIp).toBeUndefined();
    const [asked] = svc.allocate(['i-00000000000000002'], subnet.id, undefined, {
      associatePublicIp: true,
    });
    expect(asked?.publicIp).toMatch(/^100\.80\.0\./);
  });

  it('places a fixed private address; refuses reserved, outside and taken ones with EC2 codes', () => {
    const { svc } = setup();
    const [x] = svc.allocate(['i-00000000000000001'], subnet.id, undefined, {
      privateIp: '10.0.1.9',
    });
    expect(x?.privateIp).toBe('10.0.1.9');
    const at = (ip: string, n = 1) =>
      codeOf(() => svc.allocate(ids(n), subnet.id, undefined, { privateIp: ip }));
    expect(at('10.0.1.9')).toBe('InvalidIPAddress.InUse');
    expect(at('10.0.1.3')).toBe('InvalidParameterValue');
    expect(at('10.0.1.15')).toBe('InvalidParameterValue');
    expect(at('10.0.2.5')).toBe('InvalidParameterValue');
    expect(at('10.0.1.400')).toBe('InvalidParameterValue');
    expect(at('10.0.1.10', 2)).toBe('InvalidParameterCombination');
  });

  it('says InsufficientFreeAddressesInSubnet when the subnet is full (16 - 5 = 11 addresses)', () => {
    const { svc } = setup();
    svc.allocate(ids(11), subnet.id);
    expect(codeOf(() => svc.allocate(['i-00000000000000099'], subnet.id))).toBe(
      'InsufficientFreeAddressesInSubnet',
    );
  });

  it('hands every subnet of the VPC the names of the whole VPC, and no DHCP hostnames when they are off', async () => {
    const calls: string[] = [];
    const { svc, subnets } = setup(calls);
    const other: Subnet = { ...subnet, id: 'subnet-0000000000000000b', cidr: '10.0.2.0/24' };
    subnets.put(other);
    const [a] = svc.allocate(['i-00000000000000001'], subnet.id);
    await svc.plug([a!.instanceId]);
    const [b] = svc.allocate(['i-00000000000000002'], other.id);
    calls.length = 0;
    await svc.plug([b!.instanceId]);
    const ensured = calls.filter((c) => c.startsWith('ensureSubnet '));
    // Both subnets: the first one learns the new name too.
    expect(ensured).toHaveLength(2);
    const first = ensured.find((c) => c.includes(`"id":"${subnet.id}"`))!;
    const args = JSON.parse(first.slice('ensureSubnet '.length)) as unknown[];
    expect(args[2]).toEqual([{ mac: a!.mac, ip: a!.privateIp }]);
    expect(args[3]).toEqual({
      records: [
        { ip: '10.0.1.4', name: 'ip-10-0-1-4.kumo.internal' },
        { ip: '10.0.2.4', name: 'ip-10-0-2-4.kumo.internal' },
      ],
    });
  });

  it('serves no DNS in a VPC with DNS support off', async () => {
    const calls: string[] = [];
    const { svc, vpcs } = setup(calls);
    vpcs.put({ ...vpc, enableDnsSupport: false });
    const [a] = svc.allocate(['i-00000000000000001'], subnet.id);
    await svc.plug([a!.instanceId]);
    const ensured = calls.find((c) => c.startsWith('ensureSubnet '))!;
    const args = JSON.parse(ensured.slice('ensureSubnet '.length)) as unknown[];
    expect(args[3]).toBeNull(); // JSON writes the undefined DNS argument as null
  });
});
