import type { RoutingApi } from '../../src/api/context.js';
import { KumoError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { AddressService } from '../../src/network/addresses.js';
import { InternetGatewayService } from '../../src/network/internet-gateways.js';
import type { DocRepository, RoutingRepositories } from '../../src/network/ports.js';
import { RouteTableService } from '../../src/network/route-tables.js';
import { routeState } from '../../src/network/route-plan.js';
import type { Subnet, Vpc } from '../../src/network/vpc.js';
import { createMainRouteTable, ensureDefaultVpcRouting } from '../../src/network/vpc-routing.js';
import { DEFAULT_VPC, FakeVpcRepository, MapInterfaceRepository } from './security-groups.js';
import type { ElasticAddress, InternetGateway, RouteTable } from '../../src/network/routing.js';

/** An in-memory document repository with the SQLite one's contract. */
export class FakeDocs<T> implements DocRepository<T> {
  rows = new Map<string, T>();
  constructor(private readonly idOf: (item: T) => string) {}
  list = () => [...this.rows.values()];
  get = (id: string) => this.rows.get(id);
  put = (item: T) => void this.rows.set(this.idOf(item), item);
  delete = (id: string) => void this.rows.delete(id);
}

export function fakeRouting(): RoutingRepositories & {
  gateways: FakeDocs<InternetGateway>;
  routeTables: FakeDocs<RouteTable>;
  addresses: FakeDocs<ElasticAddress>;
} {
  return {
    gateways: new FakeDocs<InternetGateway>((g) => g.id),
    routeTables: new FakeDocs<RouteTable>((t) => t.id),
    addresses: new FakeDocs<ElasticAddress>((a) => a.allocationId),
  };
}

/**
 * The routing services over in-memory records: a default VPC (with its gateway and main table),
 * a second VPC, a subnet in each, and a pool of three addresses. Records what would reach the
 * host (rule applies, flushed flows).
 */
export function fakeRoutingApi(interfaces = new MapInterfaceRepository()) {
  const routing = fakeRouting();
  const vpcs = new FakeVpcRepository();
  const other: Vpc = {
    ...DEFAULT_VPC,
    id: 'vpc-00000000000000002',
    isDefault: false,
    cidr: '10.0.0.0/16',
  };
  vpcs.put(DEFAULT_VPC);
  vpcs.put(other);
  const subnetRows = new Map<string, Subnet>([
    [
      'subnet-00000000000000001',
      {
        id: 'subnet-00000000000000001',
        vpcId: DEFAULT_VPC.id,
        cidr: '172.31.0.0/20',
        isDefault: true,
      },
    ],
    [
      'subnet-00000000000000002',
      { id: 'subnet-00000000000000002', vpcId: other.id, cidr: '10.0.0.0/24', isDefault: false },
    ],
  ]);
  const subnets = {
    list: () => [...subnetRows.values()],
    get: (id: string) => subnetRows.get(id),
    put: (s: Subnet) => void subnetRows.set(s.id, s),
    delete: (id: string) => void subnetRows.delete(id),
  };
  ensureDefaultVpcRouting(routing, DEFAULT_VPC);
  createMainRouteTable(routing, other);
  const applied: string[] = [];
  const forgotten: string[] = [];
  const states = new Map<string, string>();
  let nextIp = 100;
  const base = {
    routing,
    vpcs,
    subnets,
    interfaces,
    applyVpc: (vpcId: string) => {
      applied.push(vpcId);
      return Promise.resolve();
    },
    logger: silentLogger,
  };
  const addresses = new AddressService({
    ...base,
    freePoolAddress: () => {
      if (nextIp > 102) {
        throw new KumoError('ResourceExhausted', 'AddressLimitExceeded', 'The pool is exhausted');
      }
      return `100.80.0.${nextIp++}`;
    },
    withPublicIp: (eni) => {
      if (eni.publicIp || routing.addresses.list().some((a) => a.networkInterfaceId === eni.id))
        return eni;
      const next = { ...eni, publicIp: `100.80.0.${nextIp++}` };
      interfaces.put(next);
      return next;
    },
    forgetFlows: (vpcId, ip) => {
      forgotten.push(`${vpcId} ${ip}`);
      return Promise.resolve();
    },
    instanceState: (id) => states.get(id) ?? (interfaces.byInstance(id) ? 'running' : undefined),
  });
  const api: RoutingApi = {
    gateways: new InternetGatewayService(base),
    routeTables: new RouteTableService(base),
    addresses,
    publicIpOf: (id) => {
      const eni = interfaces.byInstance(id);
      return eni
        ? (routing.addresses.list().find((a) => a.networkInterfaceId === eni.id)?.publicIp ??
            eni.publicIp)
        : undefined;
    },
    currentPublicIps: () =>
      new Map(interfaces.list().map((e) => [e.instanceId, api.publicIpOf(e.instanceId)])),
    interfaceOf: (id) => interfaces.byInstance(id)?.id,
    routeState: (route, vpcId) =>
      routeState(route, vpcId, {
        gateways: routing.gateways.list(),
        interfaceOf: (id) => interfaces.byInstance(id),
        instanceUp: (id) => ['pending', 'running'].includes(states.get(id) ?? 'running'),
      }),
  };
  return { api, routing, vpcs, subnets, interfaces, applied, forgotten, states, other };
}
