import { OWNER_ID } from '../core/ids.js';
import { applyFilters, type Filter, type FilterSchema } from '../core/tags.js';
import type {
  Address as PAddress,
  InternetGateway as PInternetGateway,
  RouteTable as PRouteTable,
} from '../gen/kumo/v1/routing.js';
import type { ElasticAddress, InternetGateway, Route, RouteTable } from '../network/routing.js';
import { tags } from './convert.js';

/** What a route's view needs besides the table: its state and its instance's interface. */
export interface RouteContext {
  /** EC2's State: blackhole for a detached gateway or a stopped or gone instance. */
  readonly state: (route: Route, vpcId: string) => 'active' | 'blackhole';
  readonly interfaceOf: (instanceId: string) => string | undefined;
}

export const gatewayToProto = (g: InternetGateway): PInternetGateway => ({
  // EC2 reports an attached internet gateway's state as "available".
  attachments: g.vpcId ? [{ state: 'available', vpcId: g.vpcId }] : [],
  internetGatewayId: g.id,
  ownerId: OWNER_ID,
  tags: tags(g.tags),
});

const GATEWAY_FILTERS: FilterSchema<InternetGateway> = {
  fields: {
    'attachment.vpc-id': (g) => (g.vpcId ? [g.vpcId] : []),
    'attachment.state': (g) => (g.vpcId ? ['available'] : []),
    'internet-gateway-id': (g) => [g.id],
    'owner-id': () => [OWNER_ID],
  },
  tags: (g) => g.tags,
};

export const filterGateways = (items: readonly InternetGateway[], filters: readonly Filter[]) =>
  applyFilters(items, filters, GATEWAY_FILTERS);

export function routeTableToProto(t: RouteTable, ctx: RouteContext): PRouteTable {
  return {
    associations: t.associations.map((a) => ({
      main: a.main,
      routeTableAssociationId: a.id,
      routeTableId: t.id,
      subnetId: a.subnetId ?? '',
      associationState: { state: 'associated' },
    })),
    routeTableId: t.id,
    routes: t.routes.map((r) => {
      const eni = r.instanceId ? ctx.interfaceOf(r.instanceId) : undefined;
      return {
        destinationCidrBlock: r.destinationCidr,
        gatewayId: r.gatewayId ?? '',
        instanceId: r.instanceId ?? '',
        instanceOwnerId: r.instanceId ? OWNER_ID : '',
        networkInterfaceId: eni ?? '',
        origin: r.origin,
        state: ctx.state(r, t.vpcId),
      };
    }),
    tags: tags(t.tags),
    vpcId: t.vpcId,
    ownerId: OWNER_ID,
  };
}

const ROUTE_TABLE_FILTERS: FilterSchema<RouteTable> = {
  fields: {
    'vpc-id': (t) => [t.vpcId],
    'route-table-id': (t) => [t.id],
    'owner-id': () => [OWNER_ID],
    'association.subnet-id': (t) => t.associations.flatMap((a) => (a.subnetId ? [a.subnetId] : [])),
    'association.route-table-association-id': (t) => t.associations.map((a) => a.id),
    'association.route-table-id': (t) => (t.associations.length > 0 ? [t.id] : []),
    // EC2: "true" matches the main table; "false" the others.
    'association.main': (t) => [t.associations.some((a) => a.main) ? 'true' : 'false'],
    'route.gateway-id': (t) => t.routes.flatMap((r) => (r.gatewayId ? [r.gatewayId] : [])),
    'route.instance-id': (t) => t.routes.flatMap((r) => (r.instanceId ? [r.instanceId] : [])),
    'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidr),
    'route.origin': (t) => t.routes.map((r) => r.origin),
  },
  tags: (t) => t.tags,
};

export const filterRouteTables = (items: readonly RouteTable[], filters: readonly Filter[]) =>
  applyFilters(items, filters, ROUTE_TABLE_FILTERS);

export const addressToProto = (a: ElasticAddress): PAddress => ({
  instanceId: a.instanceId ?? '',
  publicIp: a.publicIp,
  allocationId: a.allocationId,
  associationId: a.associationId ?? '',
  domain: 'vpc',
  networkInterfaceId: a.networkInterfaceId ?? '',
  networkInterfaceOwnerId: a.networkInterfaceId ? OWNER_ID : '',
  privateIpAddress: a.privateIp ?? '',
  tags: tags(a.tags),
  publicIpv4Pool: 'amazon',
  networkBorderGroup: '',
});

const ADDRESS_FILTERS: FilterSchema<ElasticAddress> = {
  fields: {
    'allocation-id': (a) => [a.allocationId],
    'association-id': (a) => (a.associationId ? [a.associationId] : []),
    domain: () => ['vpc'],
    'instance-id': (a) => (a.instanceId ? [a.instanceId] : []),
    'network-interface-id': (a) => (a.networkInterfaceId ? [a.networkInterfaceId] : []),
    'network-interface-owner-id': (a) => (a.networkInterfaceId ? [OWNER_ID] : []),
    'private-ip-address': (a) => (a.privateIp ? [a.privateIp] : []),
    'public-ip': (a) => [a.publicIp],
  },
  tags: (a) => a.tags,
};

export const filterAddresses = (items: readonly ElasticAddress[], filters: readonly Filter[]) =>
  applyFilters(items, filters, ADDRESS_FILTERS);
