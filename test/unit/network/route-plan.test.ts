import { describe, expect, it } from 'vitest';
import type { NetworkInterface } from '../../../src/network/network-interface.js';
import {
  planVpcRouting,
  routeState,
  type RouteStateContext,
} from '../../../src/network/route-plan.js';
import type { InternetGateway, Route, RouteTable } from '../../../src/network/routing.js';
import type { Subnet, Vpc } from '../../../src/network/vpc.js';

const vpc: Vpc = {
  id: 'vpc-00000000000000001',
  cidr: '10.0.0.0/16',
  isDefault: false,
  routerPublicIp: '100.80.0.2',
};
const subnet = (n: number): Subnet => ({
  id: `subnet-0000000000000000${n}`,
  vpcId: vpc.id,
  cidr: `10.0.${n}.0/24`,
  isDefault: false,
});
const nat: NetworkInterface = {
  id: 'eni-00000000000000009',
  instanceId: 'i-00000000000000009',
  vpcId: vpc.id,
  subnetId: subnet(2).id,
  privateIp: '10.0.2.10',
  mac: '52:54:00:00:00:09',
};
const igw: InternetGateway = { id: 'igw-00000000000000001', vpcId: vpc.id, tags: [] };
const local: Route = { destinationCidr: vpc.cidr, gatewayId: 'local', origin: 'CreateRouteTable' };
const toNat: Route = {
  destinationCidr: '198.51.100.0/24',
  instanceId: nat.instanceId,
  origin: 'CreateRoute',
};
const toIgw = (cidr: string): Route => ({
  destinationCidr: cidr,
  gatewayId: igw.id,
  origin: 'CreateRoute',
});
const main: RouteTable = {
  id: 'rtb-00000000000000001',
  vpcId: vpc.id,
  routes: [local, toIgw('203.0.113.0/24')],
  associations: [{ id: 'rtbassoc-00000000000000001', main: true }],
  tags: [],
};
const custom: RouteTable = {
  id: 'rtb-00000000000000002',
  vpcId: vpc.id,
  routes: [local, toIgw('0.0.0.0/0'), toNat],
  associations: [{ id: 'rtbassoc-00000000000000002', subnetId: subnet(1).id, main: false }],
  tags: [],
};
const ctx = (over: Partial<RouteStateContext> = {}): RouteStateContext => ({
  gateways: [igw],
  interfaceOf: (id) => (id === nat.instanceId ? nat : undefined),
  instanceUp: () => true,
  ...over,
});

describe('route tables as the router programs them', () => {
  it('gives each subnet its table (explicit association, else main) and every route a hop', () => {
    const plan = planVpcRouting(vpc, [subnet(2), subnet(1)], [custom, main], ctx());
    expect(plan.subnets).toEqual([
      { subnetId: subnet(1).id, routeTableId: custom.id },
      { subnetId: subnet(2).id, routeTableId: main.id },
    ]);
    expect(plan.tables).toEqual([
      {
        routeTableId: main.id,
        routes: [{ destination: '203.0.113.0/24', hop: { kind: 'gateway' } }],
      },
      {
        routeTableId: custom.id,
        routes: [
          { destination: '0.0.0.0/0', hop: { kind: 'gateway' } },
          {
            destination: '198.51.100.0/24',
            hop: {
              kind: 'instance',
              instanceId: nat.instanceId,
              privateIp: '10.0.2.10',
              subnetId: subnet(2).id,
            },
          },
        ],
      },
    ]);
  });

  it('leaves out other VPCs’ tables and subnets', () => {
    const other = { ...custom, id: 'rtb-00000000000000003', vpcId: 'vpc-00000000000000002' };
    const plan = planVpcRouting(vpc, [{ ...subnet(3), vpcId: other.vpcId }], [main, other], ctx());
    expect(plan.tables.map((t) => t.routeTableId)).toEqual([main.id]);
    expect(plan.subnets).toEqual([]);
  });

  it('makes a route to a stopped instance, an instance without interface or a detached gateway a blackhole', () => {
    expect(routeState(toNat, vpc.id, ctx())).toBe('active');
    expect(routeState(toNat, vpc.id, ctx({ instanceUp: () => false }))).toBe('blackhole');
    expect(routeState(toNat, vpc.id, ctx({ interfaceOf: () => undefined }))).toBe('blackhole');
    expect(routeState(toIgw('0.0.0.0/0'), vpc.id, ctx())).toBe('active');
    expect(
      routeState(toIgw('0.0.0.0/0'), vpc.id, ctx({ gateways: [{ ...igw, vpcId: undefined }] })),
    ).toBe('blackhole');
    expect(routeState(local, vpc.id, ctx({ gateways: [] }))).toBe('active');
    const plan = planVpcRouting(vpc, [subnet(1)], [custom], ctx({ instanceUp: () => false }));
    expect(plan.tables[0]?.routes[1]).toEqual({
      destination: '198.51.100.0/24',
      hop: { kind: 'blackhole' },
    });
  });

  it('never routes to an instance of another VPC (its interface moved or a stale record)', () => {
    const elsewhere = { ...nat, vpcId: 'vpc-00000000000000002' };
    expect(routeState(toNat, vpc.id, ctx({ interfaceOf: () => elsewhere }))).toBe('blackhole');
  });
});
