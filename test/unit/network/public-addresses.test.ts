import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import type { NetworkInterface } from '../../../src/network/network-interface.js';
import { NetworkService } from '../../../src/network/network-service.js';
import type { VpcPlumbing } from '../../../src/network/ports.js';
import type { Subnet } from '../../../src/network/vpc.js';
import { fakeRouting } from '../../fakes/routing.js';
import {
  FakeSecurityGroupRepository,
  FakeVpcRepository,
  MapInterfaceRepository,
} from '../../fakes/security-groups.js';

/** NetworkService with plumbing that records the public IPs each rules apply maps. */
function service() {
  const mapped: string[][] = [];
  const plumbing: VpcPlumbing = {
    ensureVpc: () => Promise.resolve(),
    removeVpc: () => Promise.resolve(),
    ensureSubnet: () => Promise.resolve(),
    removeSubnet: () => Promise.resolve(),
    ensurePorts: (_vpc, enis) =>
      Promise.resolve(
        new Map(
          enis.map((e) => [e.instanceId, { netns: 'ns', tap: 't', mac: e.mac, created: false }]),
        ),
      ),
    removePorts: () => Promise.resolve(),
    applyRules: (_vpc, enis) => {
      mapped.push(enis.flatMap((e) => (e.publicIp ? [`${e.instanceId}=${e.publicIp}`] : [])));
      return Promise.resolve();
    },
    applyRoutes: () => Promise.resolve(),
    isolate: () => Promise.resolve(),
    metadataSocket: () => '/run/m.sock',
  };
  const subnets = new Map<string, Subnet>();
  const interfaces = new MapInterfaceRepository();
  const routing = fakeRouting();
  const svc = new NetworkService({
    vpcs: new FakeVpcRepository(),
    subnets: {
      list: () => [...subnets.values()],
      get: (id) => subnets.get(id),
      put: (s) => void subnets.set(s.id, s),
      delete: (id) => void subnets.delete(id),
    },
    interfaces,
    securityGroups: new FakeSecurityGroupRepository(),
    routing,
    plumbing,
    logger: silentLogger,
    settings: { publicCidr: '100.80.0.0/28', domain: 'kumo.internal' },
  });
  const vpc = svc.ensureDefaultVpc();
  return { svc, vpc, mapped, interfaces, routing };
}

const I1 = 'i-00000000000000001';
const I2 = 'i-00000000000000002';

describe('public addresses', () => {
  it('maps public IPs only while the subnet routes to an attached gateway', async () => {
    const { svc, vpc, mapped, routing } = service();
    const [e1] = svc.allocate([I1]) as [NetworkInterface];
    await svc.activate([I1]);
    expect(mapped.at(-1)).toEqual([`${I1}=${e1.publicIp}`]);
    const igw = routing.gateways.list()[0]!;
    routing.gateways.put({ ...igw, vpcId: undefined });
    await svc.refreshRules(vpc.id);
    expect(mapped.at(-1)).toEqual([]);
    // The address stays the instance's (EC2 shows it), only the mapping goes.
    expect(svc.publicAddresses.publicIpOf(I1)).toBe(e1.publicIp);
  });

  it('maps the elastic IP instead of the pool one', async () => {
    const { svc, mapped, routing, interfaces } = service();
    const [e1] = svc.allocate([I1]) as [NetworkInterface];
    const ip = svc.publicAddresses.freePoolAddress();
    routing.addresses.put({
      allocationId: 'eipalloc-00000000000000001',
      publicIp: ip,
      networkInterfaceId: e1.id,
      instanceId: I1,
      associationId: 'eipassoc-00000000000000001',
      tags: [],
    });
    interfaces.put({ ...e1, publicIp: undefined });
    await svc.activate([I1]);
    expect(mapped.at(-1)).toEqual([`${I1}=${ip}`]);
    expect(svc.publicAddresses.publicIpOf(I1)).toBe(ip);
  });

  it('releases the pool IP at stop and gives another at start; an elastic IP stays', async () => {
    const { svc, interfaces, routing } = service();
    const [e1, e2] = svc.allocate([I1, I2]) as [NetworkInterface, NetworkInterface];
    routing.addresses.put({
      allocationId: 'eipalloc-00000000000000001',
      publicIp: '100.80.0.14',
      networkInterfaceId: e2.id,
      instanceId: I2,
      associationId: 'eipassoc-00000000000000001',
      tags: [],
    });
    interfaces.put({ ...e2, publicIp: undefined });
    await svc.unplug([I1, I2]);
    expect(interfaces.byInstance(I1)?.publicIp).toBeUndefined();
    await svc.plug([I1, I2]);
    const again = interfaces.byInstance(I1)?.publicIp;
    expect(again).toBeDefined();
    expect(again).not.toBe(e1.publicIp);
    expect(svc.publicAddresses.publicIpOf(I2)).toBe('100.80.0.14');
    expect(interfaces.byInstance(I2)?.publicIp).toBeUndefined();
  });

  it('never hands out an elastic IP as a pool IP', () => {
    const { svc, routing } = service();
    const taken = svc.publicAddresses.freePoolAddress();
    routing.addresses.put({
      allocationId: 'eipalloc-00000000000000001',
      publicIp: taken,
      tags: [],
    });
    const [e1] = svc.allocate([I1]) as [NetworkInterface];
    expect(e1.publicIp).not.toBe(taken);
  });
});
