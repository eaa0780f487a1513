import type { Tag } from '../core/tags.js';

/**
 * EC2's internet gateway: attached to at most one VPC. A VPC's instances are reachable on their
 * public or elastic IPs only through an attached gateway that their subnet's route table names.
 */
export interface InternetGateway {
  /** igw-… */
  readonly id: string;
  /** The VPC it is attached to; undefined while detached. */
  readonly vpcId?: string | undefined;
  readonly tags: readonly Tag[];
}

/** One route: where packets for a destination go (exactly one target). */
export interface Route {
  readonly destinationCidr: string;
  /** "local" (the VPC's own CIDR) or an internet gateway id. */
  readonly gatewayId?: string | undefined;
  /** An instance (a NAT instance): the route goes to its private IP inside the VPC. */
  readonly instanceId?: string | undefined;
  /** EC2's Origin: CreateRouteTable (the local route) or CreateRoute. */
  readonly origin: 'CreateRouteTable' | 'CreateRoute';
}

/** A subnet's explicit association, or the VPC-wide main association (no subnet). */
export interface RouteTableAssociation {
  /** rtbassoc-… */
  readonly id: string;
  readonly subnetId?: string | undefined;
  readonly main: boolean;
}

export interface RouteTable {
  /** rtb-… */
  readonly id: string;
  readonly vpcId: string;
  readonly routes: readonly Route[];
  readonly associations: readonly RouteTableAssociation[];
  readonly tags: readonly Tag[];
}

/** EC2's elastic IP (domain vpc): an address of the pool kept until released. */
export interface ElasticAddress {
  /** eipalloc-… */
  readonly allocationId: string;
  readonly publicIp: string;
  /** eipassoc-… while associated. */
  readonly associationId?: string | undefined;
  readonly instanceId?: string | undefined;
  readonly networkInterfaceId?: string | undefined;
  readonly privateIp?: string | undefined;
  readonly tags: readonly Tag[];
}

export const isMain = (t: RouteTable): boolean => t.associations.some((a) => a.main);

/** The table a subnet uses: its explicit association, else its VPC's main table. */
export function tableOfSubnet(
  tables: readonly RouteTable[],
  vpcId: string,
  subnetId: string,
): RouteTable | undefined {
  const own = tables.filter((t) => t.vpcId === vpcId);
  return own.find((t) => t.associations.some((a) => a.subnetId === subnetId)) ?? own.find(isMain);
}

/**
 * Whether a subnet's instances are reachable from outside on their public addresses: its table
 * routes somewhere (any destination, as EC2 needs only the gateway route for the return path;
 * kumo's 1:1 NAT serves every destination) through an internet gateway attached to its VPC.
 * Pure.
 */
export function hasInternetRoute(
  tables: readonly RouteTable[],
  gateways: readonly InternetGateway[],
  vpcId: string,
  subnetId: string,
): boolean {
  const table = tableOfSubnet(tables, vpcId, subnetId);
  if (!table) return false;
  const attached = new Set(gateways.filter((g) => g.vpcId === vpcId).map((g) => g.id));
  return table.routes.some((r) => r.gatewayId !== undefined && attached.has(r.gatewayId));
}
