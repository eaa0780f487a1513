import { describe, expect, it } from 'vitest';
import { KumoError } from '../../../src/core/errors.js';
import type { NetworkInterface } from '../../../src/network/network-interface.js';
import { hasInternetRoute, tableOfSubnet } from '../../../src/network/routing.js';
import { parseDestination } from '../../../src/network/route-tables.js';
import { fakeRoutingApi } from '../../fakes/routing.js';
import { DEFAULT_VPC } from '../../fakes/security-groups.js';

const SUBNET = 'subnet-00000000000000001';
const eni = (n: number, vpcId = DEFAULT_VPC.id, subnetId = SUBNET): NetworkInterface => ({
  id: `eni-0000000000000000${n}`,
  instanceId: `i-0000000000000000${n}`,
  vpcId,
  subnetId,
  privateIp: `172.31.0.${n + 3}`,
  publicIp: `100.80.0.${n + 10}`,
  mac: `52:54:00:00:00:0${n}`,
});

/** The EC2 code a call fails with. */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof KumoError) return e.code;
    throw e;
  }
  throw new Error('expected a failure');
}

function setup() {
  const f = fakeRoutingApi();
  f.interfaces.put(eni(1));
  f.interfaces.put(eni(2));
  const igw = f.routing.gateways.list()[0]!.id;
  const main = f.routing.routeTables.list().find((t) => t.vpcId === DEFAULT_VPC.id)!;
  return { ...f, igw, main };
}

describe('route tables', () => {
  it('gives the default VPC an attached gateway and a main table routing 0.0.0.0/0 to it', () => {
    const { routing, igw, main } = setup();
    expect(routing.gateways.get(igw)?.vpcId).toBe(DEFAULT_VPC.id);
    expect(main.associations).toEqual([{ id: expect.stringMatching(/^rtbassoc-/), main: true }]);
    expect(main.routes.map((r) => [r.destinationCidr, r.gatewayId])).toEqual([
      ['172.31.0.0/16', 'local'],
      ['0.0.0.0/0', igw],
    ]);
    expect(
      hasInternetRoute(routing.routeTables.list(), routing.gateways.list(), DEFAULT_VPC.id, SUBNET),
    ).toBe(true);
  });

  it('makes a subnet unreachable while its own table has no gateway route, and re-applies at once', async () => {
    const { api, routing, applied, igw } = setup();
    const t = api.routeTables.create(DEFAULT_VPC.id, [], false);
    await api.routeTables.associate(t.id, SUBNET, false);
    expect(tableOfSubnet(routing.routeTables.list(), DEFAULT_VPC.id, SUBNET)?.id).toBe(t.id);
    expect(
      hasInternetRoute(routing.routeTables.list(), routing.gateways.list(), DEFAULT_VPC.id, SUBNET),
    ).toBe(false);
    await api.routeTables.createRoute(t.id, '0.0.0.0/0', { gatewayId: igw }, false);
    expect(
      hasInternetRoute(routing.routeTables.list(), routing.gateways.list(), DEFAULT_VPC.id, SUBNET),
    ).toBe(true);
    expect(applied).toEqual([DEFAULT_VPC.id, DEFAULT_VPC.id]);
  });

  it('refuses what EC2 refuses', async () => {
    const { api, main, igw, other } = setup();
    const t = api.routeTables.create(DEFAULT_VPC.id, [], false);
    const assoc = await api.routeTables.associate(t.id, SUBNET, false);
    expect(await codeOf(() => api.routeTables.delete(t.id, false))).toBe('DependencyViolation');
    expect(await codeOf(() => api.routeTables.delete(main.id, false))).toBe('DependencyViolation');
    expect(await codeOf(() => api.routeTables.associate(main.id, SUBNET, false))).toBe(
      'Resource.AlreadyAssociated',
    );
    expect(
      await codeOf(() =>
        api.routeTables.createRoute(main.id, '0.0.0.0/0', { gatewayId: igw }, false),
      ),
    ).toBe('RouteAlreadyExists');
    expect(await codeOf(() => api.routeTables.createRoute(main.id, '10.1.0.0/16', {}, false))).toBe(
      'InvalidParameterCombination',
    );
    expect(
      await codeOf(() =>
        api.routeTables.createRoute(main.id, '10.1.0.1/16', { gatewayId: igw }, false),
      ),
    ).toBe('InvalidParameterValue');
    expect(await codeOf(() => api.routeTables.deleteRoute(main.id, '172.31.0.0/16', false))).toBe(
      'InvalidParameterValue',
    );
    expect(await codeOf(() => api.routeTables.deleteRoute(main.id, '10.9.0.0/16', false))).toBe(
      'InvalidRoute.NotFound',
    );
    expect(await codeOf(() => api.routeTables.get('rtb-00000000000000000'))).toBe(
      'InvalidRouteTableID.NotFound',
    );
    expect(await codeOf(() => api.routeTables.get('nope'))).toBe('InvalidRouteTableId.Malformed');
    const foreign = api.routeTables.create(other.id, [], false);
    expect(
      await codeOf(() =>
        api.routeTables.createRoute(foreign.id, '0.0.0.0/0', { gatewayId: igw }, false),
      ),
    ).toBe('InvalidParameterValue');
    expect(await codeOf(() => api.routeTables.associate(foreign.id, SUBNET, false))).toBe(
      'InvalidParameterValue',
    );
    expect(await codeOf(() => api.routeTables.disassociate(main.associations[0]!.id, false))).toBe(
      'InvalidParameterValue',
    );
    expect(await codeOf(() => api.routeTables.create(DEFAULT_VPC.id, [], true))).toBe(
      'DryRunOperation',
    );
    await api.routeTables.disassociate(assoc, false);
    await api.routeTables.delete(t.id, false);
  });

  it('makes another table main with replace-route-table-association', async () => {
    const { api, routing, main } = setup();
    const t = api.routeTables.create(DEFAULT_VPC.id, [], false);
    const id = await api.routeTables.replaceAssociation(main.associations[0]!.id, t.id, false);
    expect(routing.routeTables.get(t.id)?.associations).toEqual([{ id, main: true }]);
    expect(routing.routeTables.get(main.id)?.associations).toEqual([]);
    // The old main table has no association left and can go; the subnet now has no gateway route.
    expect(
      hasInternetRoute(routing.routeTables.list(), routing.gateways.list(), DEFAULT_VPC.id, SUBNET),
    ).toBe(false);
    await api.routeTables.delete(main.id, false);
  });

  it('routes to an instance of the same VPC (a NAT instance)', async () => {
    const { api, routing, main } = setup();
    await api.routeTables.createRoute(
      main.id,
      '10.50.0.0/16',
      { instanceId: 'i-00000000000000001' },
      false,
    );
    expect(routing.routeTables.get(main.id)?.routes.at(-1)).toEqual({
      destinationCidr: '10.50.0.0/16',
      instanceId: 'i-00000000000000001',
      origin: 'CreateRoute',
    });
    expect(
      await codeOf(() =>
        api.routeTables.createRoute(
          main.id,
          '10.51.0.0/16',
          { instanceId: 'i-00000000000000009' },
          false,
        ),
      ),
    ).toBe('InvalidInstanceID.NotFound');
  });

  it('parses destinations from /0 to /32', () => {
    expect(parseDestination('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(parseDestination('10.0.0.5/32')).toBe('10.0.0.5/32');
    expect(() => parseDestination('10.0.0.0/33')).toThrow(/not a valid IPv4 CIDR/);
    expect(() => parseDestination('banana')).toThrow(/not a valid IPv4 CIDR/);
  });
});

describe('internet gateways', () => {
  it('attaches one gateway per VPC and refuses detach while public IPs are mapped', async () => {
    const { api, igw, other, interfaces } = setup();
    const g = api.gateways.create([{ key: 'Name', value: 'g' }], false);
    expect(await codeOf(() => api.gateways.attach(g.id, DEFAULT_VPC.id, false))).toBe(
      'Resource.AlreadyAssociated',
    );
    expect(await codeOf(() => api.gateways.attach(igw, other.id, false))).toBe(
      'Resource.AlreadyAssociated',
    );
    await api.gateways.attach(g.id, other.id, false);
    expect(await codeOf(() => api.gateways.delete(g.id, false))).toBe('DependencyViolation');
    expect(await codeOf(() => api.gateways.detach(g.id, DEFAULT_VPC.id, false))).toBe(
      'Gateway.NotAttached',
    );
    expect(await codeOf(() => api.gateways.detach(igw, DEFAULT_VPC.id, false))).toBe(
      'DependencyViolation',
    );
    for (const e of interfaces.list()) interfaces.put({ ...e, publicIp: undefined });
    await api.gateways.detach(igw, DEFAULT_VPC.id, false);
    await api.gateways.detach(g.id, other.id, false);
    api.gateways.delete(g.id, false);
    expect(await codeOf(() => api.gateways.get(g.id))).toBe('InvalidInternetGatewayID.NotFound');
  });
});

describe('elastic IPs', () => {
  it('replaces the pool IP while associated and moves at once, ending flows to the old holder', async () => {
    const { api, interfaces, applied, forgotten, routing } = setup();
    const a = api.addresses.allocate('vpc', [], false);
    expect(a.publicIp).toBe('100.80.0.100');
    const first = await api.addresses.associate({
      allocationId: a.allocationId,
      instanceId: 'i-00000000000000001',
      allowReassociation: false,
      dryRun: false,
    });
    expect(interfaces.byInstance('i-00000000000000001')?.publicIp).toBeUndefined();
    expect(api.publicIpOf('i-00000000000000001')).toBe(a.publicIp);
    expect(
      await codeOf(() =>
        api.addresses.associate({
          allocationId: a.allocationId,
          instanceId: 'i-00000000000000002',
          allowReassociation: false,
          dryRun: false,
        }),
      ),
    ).toBe('Resource.AlreadyAssociated');
    expect(await codeOf(() => api.addresses.release(a.allocationId, false))).toBe(
      'InvalidIPAddress.InUse',
    );
    applied.length = 0;
    const second = await api.addresses.associate({
      allocationId: a.allocationId,
      instanceId: 'i-00000000000000002',
      allowReassociation: true,
      dryRun: false,
    });
    expect(second).not.toBe(first);
    expect(api.publicIpOf('i-00000000000000002')).toBe(a.publicIp);
    // The old holder runs: it gets a pool address again.
    expect(api.publicIpOf('i-00000000000000001')).toBe('100.80.0.101');
    expect(applied).toEqual([DEFAULT_VPC.id]);
    expect(forgotten).toEqual([`${DEFAULT_VPC.id} ${a.publicIp}`]);
    await api.addresses.disassociate(second, false);
    expect(routing.addresses.get(a.allocationId)?.associationId).toBeUndefined();
    api.addresses.release(a.allocationId, false);
    expect(await codeOf(() => api.addresses.get(a.allocationId))).toBe(
      'InvalidAllocationID.NotFound',
    );
  });

  it('answers AddressLimitExceeded when the pool is exhausted, and EC2 codes for bad ids', async () => {
    const { api } = setup();
    api.addresses.allocate('vpc', [], false);
    api.addresses.allocate('', [], false);
    api.addresses.allocate('vpc', [], false);
    expect(await codeOf(() => api.addresses.allocate('vpc', [], false))).toBe(
      'AddressLimitExceeded',
    );
    expect(await codeOf(() => api.addresses.allocate('standard', [], false))).toBe(
      'InvalidParameterValue',
    );
    expect(
      await codeOf(() => api.addresses.disassociate('eipassoc-00000000000000000', false)),
    ).toBe('InvalidAssociationID.NotFound');
    expect(await codeOf(() => api.addresses.find([], ['1.2.3.4']))).toBe('InvalidAddress.NotFound');
    expect(
      await codeOf(() =>
        api.addresses.associate({
          allocationId: 'eipalloc-00000000000000000',
          instanceId: 'i-00000000000000001',
          allowReassociation: false,
          dryRun: false,
        }),
      ),
    ).toBe('InvalidAllocationID.NotFound');
  });

  it('does not give a stopped old holder a pool address', async () => {
    const { api, states } = setup();
    const a = api.addresses.allocate('vpc', [], false);
    await api.addresses.associate({
      allocationId: a.allocationId,
      instanceId: 'i-00000000000000001',
      allowReassociation: false,
      dryRun: false,
    });
    states.set('i-00000000000000001', 'stopped');
    await api.addresses.associate({
      allocationId: a.allocationId,
      networkInterfaceId: 'eni-00000000000000002',
      allowReassociation: true,
      dryRun: false,
    });
    expect(api.publicIpOf('i-00000000000000001')).toBeUndefined();
  });
});
