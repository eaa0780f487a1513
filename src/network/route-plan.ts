import type { NetworkInterface } from './network-interface.js';
import { tableOfSubnet, type InternetGateway, type Route, type RouteTable } from './routing.js';
import type { Subnet, Vpc } from './vpc.js';

/** Where the kernel sends a route's packets. */
export type RouteHop =
  /** Out of the VPC's uplink (the public path; an attached internet gateway). */
  | { readonly kind: 'gateway' }
  /** To an instance's private address on its subnet (a NAT instance). */
  | {
      readonly kind: 'instance';
      readonly instanceId: string;
      readonly privateIp: string;
      readonly subnetId: string;
    }
  /** Dropped: EC2's blackhole (detached gateway, stopped or gone instance). */
  | { readonly kind: 'blackhole' };

export interface PlannedRoute {
  readonly destination: string;
  readonly hop: RouteHop;
}

/** One route table as the VPC's router programs it: its routes other than the local one. */
export interface PlannedTable {
  readonly routeTableId: string;
  readonly routes: readonly PlannedRoute[];
}

/**
 * A VPC's routing as its router must program it: every route table of the VPC and, for every
 * subnet, the table it uses (its explicit association, else the main table).
 */
export interface VpcRouting {
  readonly tables: readonly PlannedTable[];
  readonly subnets: readonly { readonly subnetId: string; readonly routeTableId: string }[];
}

/** What a route's state depends on besides the route itself. */
export interface RouteStateContext {
  readonly gateways: readonly InternetGateway[];
  /** The instance's interface, undefined once it has none (terminated). */
  readonly interfaceOf: (instanceId: string) => NetworkInterface | undefined;
  /** Whether the instance runs (pending or running); a stopped one is no next hop. */
  readonly instanceUp: (instanceId: string) => boolean;
}

/** EC2's route State: blackhole when its gateway is detached or its instance stopped or gone. */
export function routeState(
  route: Route,
  vpcId: string,
  ctx: RouteStateContext,
): 'active' | 'blackhole' {
  return routeHop(route, vpcId, ctx).kind === 'blackhole' ? 'blackhole' : 'active';
}

/** Where a route sends packets now (the local route is not programmed: the caller skips it). */
export function routeHop(route: Route, vpcId: string, ctx: RouteStateContext): RouteHop {
  if (route.gatewayId === 'local') return { kind: 'gateway' };
  if (route.gatewayId !== undefined) {
    const attached = ctx.gateways.some((g) => g.id === route.gatewayId && g.vpcId === vpcId);
    return attached ? { kind: 'gateway' } : { kind: 'blackhole' };
  }
  if (route.instanceId !== undefined) {
    const eni = ctx.interfaceOf(route.instanceId);
    if (!eni || eni.vpcId !== vpcId || !ctx.instanceUp(route.instanceId)) {
      return { kind: 'blackhole' };
    }
    return {
      kind: 'instance',
      instanceId: route.instanceId,
      privateIp: eni.privateIp,
      subnetId: eni.subnetId,
    };
  }
  return { kind: 'blackhole' };
}

/**
 * The VPC's routing from its records. Pure. The local route is left to the router's own
 * connected routes (it always wins, as in EC2); every other route becomes a hop or a blackhole.
 */
export function planVpcRouting(
  vpc: Vpc,
  subnets: readonly Subnet[],
  tables: readonly RouteTable[],
  ctx: RouteStateContext,
): VpcRouting {
  const own = tables.filter((t) => t.vpcId === vpc.id).sort((a, b) => a.id.localeCompare(b.id));
  return {
    tables: own.map((t) => ({
      routeTableId: t.id,
      routes: t.routes
        .filter((r) => r.gatewayId !== 'local')
        .map((r) => ({ destination: r.destinationCidr, hop: routeHop(r, vpc.id, ctx) })),
    })),
    subnets: subnets
      .filter((s) => s.vpcId === vpc.id)
      .sort((a, b) => a.id.localeCompare(b.id))
      .flatMap((s) => {
        const t = tableOfSubnet(own, vpc.id, s.id);
        return t ? [{ subnetId: s.id, routeTableId: t.id }] : [];
      }),
  };
}
