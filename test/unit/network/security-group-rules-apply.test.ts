import { fakeRouting } from '../../fakes/routing.js';
import { describe, expect, it } from 'vitest';
import { isKumoError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { NetworkInterface } from '../../../src/network/network-interface.js';
import { NetworkService } from '../../../src/network/network-service.js';
import type { VpcPlumbing } from '../../../src/network/ports.js';
import type { SecurityGroup } from '../../../src/network/security-group.js';
import {
  FakeSecurityGroupRepository,
  FakeVpcRepository,
  MapInterfaceRepository,
} from '../../fakes/security-groups.js';
import type { Subnet } from '../../../src/network/vpc.js';

/** Plumbing that records rule applies and isolations, and fails applies on demand. */
function plumbing() {
  const applied: { interfaces: readonly NetworkInterface[]; groups: readonly SecurityGroup[] }[] =
    [];
  const isolated: string[][] = [];
  let fail = false;
  const p: VpcPlumbing = {
    ensureVpc: () => Promise.resolve(),
    removeVpc: () => Promise.resolve(),
    ensureSubnet: () => Promise.resolve(),
    removeSubnet: () => Promise.resolve(),
    ensurePorts: () => Promise.resolve(new Map()),
    removePorts: () => Promise.resolve(),
    applyRules: (_vpc, interfaces, groups) => {
      if (fail) return Promise.reject(new Error('ipset: set with the same name already exists'));
      applied.push({ interfaces, groups });
      return Promise.resolve();
    },
    applyRoutes: () => Promise.resolve(),
    isolate: (_vpc, interfaces) => {
      isolated.push(interfaces.map((e) => e.instanceId));
      return Promise.resolve();
    },
    metadataSocket: () => '/run/x.sock',
  };
  return { p, applied, isolated, failApplies: (v: boolean) => (fail = v) };
}

function service() {
  const pl = plumbing();
  const subnets = new Map<string, Subnet>();
  const groups = new FakeSecurityGroupRepository();
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
    securityGroups: groups,
    routing,
    plumbing: pl.p,
    logger: silentLogger,
    settings: { publicCidr: '100.80.0.0/24', domain: 'kumo.internal' },
  });
  return { svc, groups, interfaces, ...pl };
}

describe('NetworkService and security groups', () => {
  it("gives a launch that names no group its VPC's default group, and applies every group of the VPC", async () => {
    const { svc, applied, groups } = service();
    const vpc = svc.ensureDefaultVpc();
    const [eni] = svc.allocate(['i-00000000000000001']);
    const def = groups.list()[0]!;
    expect(def).toMatchObject({ vpcId: vpc.id, name: 'default', isDefault: true });
    expect(eni?.groupIds).toEqual([def.id]);
    expect(eni?.sourceDestCheck).toBe(true);
    await svc.activate(['i-00000000000000001']);
    expect(applied.at(-1)?.groups.map((g) => g.id)).toEqual([def.id]);
  });

  it('refuses unknown groups before allocating anything; names work in the default VPC', () => {
    const { svc, interfaces } = service();
    svc.ensureDefaultVpc();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isKumoError(e) ? e.code : String(e);
      }
      return 'none';
    };
    expect(
      code(() =>
        svc.allocate(['i-00000000000000001'], undefined, {
          ids: ['sg-12345678901234567'],
          names: [],
        }),
      ),
    ).toBe('InvalidGroup.NotFound');
    expect(
      code(() => svc.allocate(['i-00000000000000001'], undefined, { ids: [], names: ['nope'] })),
    ).toBe('InvalidGroup.NotFound');
    expect(
      code(() => svc.allocate(['i-00000000000000001'], undefined, { ids: [], names: ['default'] })),
    ).toBe('none');
    expect(interfaces.list()).toHaveLength(1);
  });

  it('fails closed: when an apply fails, every interface of the VPC is isolated and the caller is told', async () => {
    const { svc, isolated, failApplies, applied } = service();
    svc.ensureDefaultVpc();
    svc.allocate(['i-00000000000000001', 'i-00000000000000002']);
    const vpcId = svc.ensureDefaultVpc().id;
    failApplies(true);
    const error = await svc.refreshRules(vpcId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKumoError(error) && error.code).toBe('ServiceUnavailable');
    expect(String((error as Error).message)).toMatch(/dropped/);
    expect(isolated).toEqual([['i-00000000000000001', 'i-00000000000000002']]);
    failApplies(false);
    // A sweep retries the VPC whose apply failed; once it succeeds there is nothing to retry.
    const before = applied.length;
    await svc.retryFailedRules();
    expect(applied.length).toBe(before + 1);
    await svc.retryFailedRules();
    expect(applied.length).toBe(before + 1);
    expect(isolated).toHaveLength(1);
  });

  it('does nothing for a VPC without interfaces (its namespace may not exist yet)', async () => {
    const { svc, applied } = service();
    await svc.refreshRules(svc.ensureDefaultVpc().id);
    expect(applied).toEqual([]);
  });
});
