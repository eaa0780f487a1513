import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { NetworkService } from '../../../src/network/network-service.js';
import type {
  NetworkedInstance,
  NetworkHost,
  SubnetRepository,
  VpcRepository,
} from '../../../src/network/ports.js';
import type { Subnet, Vpc } from '../../../src/network/vpc.js';

class Repo<T extends { id: string }> {
  rows = new Map<string, T>();
  list = () => [...this.rows.values()];
  get = (id: string) => this.rows.get(id);
  put = (v: T) => void this.rows.set(v.id, v);
}

function fakeHost(calls: string[]): NetworkHost {
  const rec = (name: string) => (spec: object) => {
    calls.push(`${name} ${JSON.stringify(spec)}`);
    return Promise.resolve();
  };
  return {
    ensurePublicBridge: rec('ensurePublicBridge'),
    ensureVpc: rec('ensureVpc'),
    removeVpc: rec('removeVpc'),
    ensureSubnet: rec('ensureSubnet'),
    removeSubnet: rec('removeSubnet'),
    ensureTaps: rec('ensureTaps'),
    removeTap: rec('removeTap'),
    applyVpcRules: rec('applyVpcRules'),
  };
}

function service(instances: NetworkedInstance[] = [], calls: string[] = []) {
  const vpcs = new Repo<Vpc>() as VpcRepository & Repo<Vpc>;
  const subnets = new Repo<Subnet>() as SubnetRepository & Repo<Subnet>;
  const svc = new NetworkService({
    vpcs,
    subnets,
    instances: { list: () => instances },
    host: fakeHost(calls),
    logger: silentLogger,
    settings: {
      prefix: 'kt',
      publicCidr: '100.80.0.0/29',
      publicBridge: 'kumo-pub',
      runDir: '/run/kumo/net',
      metadataSocketDir: '/run/kumo/metadata',
      domain: 'kumo.internal',
      dnsServers: [],
    },
  });
  return { svc, vpcs, subnets };
}

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

  it('allocates distinct private and public addresses, skipping reserved ones', () => {
    const { svc } = service();
    const [x, y] = svc.allocate(['i-00000000000000001', 'i-00000000000000002']);
    expect(x?.privateIp).toBe('172.31.0.4');
    expect(y?.privateIp).toBe('172.31.0.5');
    expect(x?.publicIp).toBe('100.80.0.3');
    expect(y?.publicIp).toBe('100.80.0.4');
    expect(x?.tap).toBe('tap000000000000');
    expect(x?.tap.length).toBeLessThanOrEqual(15);
    expect(x?.mac).not.toBe(y?.mac);
  });

  it('reuses addresses of terminated instances but not of live ones', () => {
    const instances: NetworkedInstance[] = [];
    const { svc, subnets } = service(instances);
    const vpc = svc.ensureDefaultVpc();
    const subnetId = subnets.list()[0]!.id;
    const holding = (instanceId: string, n: number, terminated: boolean): NetworkedInstance => ({
      instanceId,
      terminated,
      vpcId: vpc.id,
      subnetId,
      privateIp: `172.31.0.${n + 3}`,
      publicIp: `100.80.0.${n + 2}`,
      mac: `52:54:00:00:00:0${n}`,
      tap: `tap${n}`,
    });
    // The first free addresses (.4 private, .3 public) are live; the next ones (.5, .4) belonged
    // to an instance that is terminated now.
    instances.push(holding('i-00000000000000001', 1, false));
    instances.push(holding('i-00000000000000002', 2, true));
    const [x] = svc.allocate(['i-00000000000000003']);
    // Had the terminated instance still counted, these would be .6 and .5.
    expect(x?.privateIp).toBe('172.31.0.5');
    expect(x?.publicIp).toBe('100.80.0.4');
  });

  it('says the public pool is exhausted and what to do', () => {
    const { svc } = service();
    expect(() =>
      svc.allocate(['i-1', 'i-2', 'i-3', 'i-4', 'i-5'].map((s) => s.padEnd(19, '0'))),
    ).toThrow(/--public-cidr/);
  });

  it('plugs an instance: public bridge, VPC, subnet with its reservation, tap, rules', async () => {
    const calls: string[] = [];
    const instances: NetworkedInstance[] = [];
    const { svc } = service(instances, calls);
    const [net] = svc.allocate(['i-0123456789abcdef0']);
    instances.push({ instanceId: 'i-0123456789abcdef0', terminated: false, ...net! });
    const ports = await svc.plug([{ id: 'i-0123456789abcdef0', network: net } as never]);
    expect(ports.get('i-0123456789abcdef0')).toMatchObject({ tap: net!.tap, mac: net!.mac });
    expect(ports.get('i-0123456789abcdef0')?.netns).toMatch(/^kt-vpc-/);
    expect(calls.map((c) => c.split(' ')[0])).toEqual([
      'ensurePublicBridge',
      'ensureVpc',
      'ensureSubnet',
      'ensureTaps',
      'applyVpcRules',
    ]);
    expect(calls[2]).toContain(net!.mac);
    expect(calls[4]).toContain('"publicIp":"100.80.0.3"');
  });

  it('does the VPC-wide work once for a batch: as many host calls for three as for one', async () => {
    const callsFor = async (n: number) => {
      const calls: string[] = [];
      const instances: NetworkedInstance[] = [];
      const { svc } = service(instances, calls);
      const ids = Array.from({ length: n }, (_, k) => `i-${String(k + 1).padStart(17, '0')}`);
      const nets = svc.allocate(ids);
      ids.forEach((id, k) => instances.push({ instanceId: id, terminated: false, ...nets[k]! }));
      await svc.plug(ids.map((id, k) => ({ id, network: nets[k] }) as never));
      return { calls, names: calls.map((c) => c.split(' ')[0] as string), nets };
    };
    const one = await callsFor(1);
    const three = await callsFor(3);
    expect(three.names).toEqual(one.names);
    for (const once of ['ensureVpc', 'ensureSubnet', 'ensureTaps', 'applyVpcRules'])
      expect(three.names.filter((c) => c === once)).toHaveLength(1);
    const tapsCall = three.calls.find((c) => c.startsWith('ensureTaps')) as string;
    for (const net of three.nets) expect(tapsCall).toContain(net.tap);
    // The one dnsmasq reload carries every reservation of the batch.
    const subnetCall = three.calls.find((c) => c.startsWith('ensureSubnet')) as string;
    for (const net of three.nets) expect(subnetCall).toContain(net.mac);
  });
});
