import {
  alreadyExists,
  dependencyViolation,
  dryRunOperation,
  invalidParameter,
  KumoError,
  notFound,
  quoted,
} from '../core/errors.js';
import { ipToInt, intToIp } from '../core/cidr.js';
import { assertId, isId, newId } from '../core/ids.js';
import type { Tag } from '../core/tags.js';
import { vpcById, type RoutingDeps } from './internet-gateways.js';
import { isMain, type Route, type RouteTable } from './routing.js';
import type { SubnetRepository } from './ports.js';

export interface RouteTableDeps extends RoutingDeps {
  readonly subnets: SubnetRepository;
}

/** A route's target: an internet gateway (igw-…) or an instance (i-…, a NAT instance). */
export interface RouteTarget {
  readonly gatewayId?: string | undefined;
  readonly instanceId?: string | undefined;
}

/** A destination CIDR, /0 to /32, normalised; host bits set are refused as in EC2. */
export function parseDestination(text: string): string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text);
  const prefix = Number(m?.[2]);
  if (!m || prefix > 32) {
    throw invalidParameter(
      `Value (${quoted(text)}) for parameter destinationCidrBlock is invalid. This is not a valid IPv4 CIDR block (a.b.c.d/n).`,
    );
  }
  const addr = ipToInt(m[1] as string);
  const size = 2 ** (32 - prefix);
  const network = addr - (addr % size);
  if (network !== addr) {
    throw invalidParameter(
      `Value (${quoted(text)}) for parameter destinationCidrBlock has host bits set; use ${intToIp(network)}/${prefix}`,
    );
  }
  return `${intToIp(network)}/${prefix}`;
}

/**
 * EC2's route tables. Each VPC has one main table (the table of every subnet without an explicit
 * association) with the local route; a subnet is associated with at most one table. Every
 * change that can change reachability re-applies the VPC's rules at once.
 */
export class RouteTableService {
  constructor(private readonly d: RouteTableDeps) {}

  get(id: string): RouteTable {
    assertId('rtb', id, 'InvalidRouteTableId.Malformed');
    const t = this.d.routing.routeTables.get(id);
    if (!t) {
      throw notFound(
        'InvalidRouteTableID.NotFound',
        `The routeTable ID ${quoted(id)} does not exist`,
      );
    }
    return t;
  }

  find(ids: readonly string[]): RouteTable[] {
    return ids.length > 0 ? ids.map((id) => this.get(id)) : this.d.routing.routeTables.list();
  }

  create(vpcId: string, tags: readonly Tag[], dryRun: boolean): RouteTable {
    const vpc = vpcById(this.d.vpcs, vpcId);
    if (dryRun) throw dryRunOperation();
    const table: RouteTable = {
      id: newId('rtb'),
      vpcId: vpc.id,
      routes: [{ destinationCidr: vpc.cidr, gatewayId: 'local', origin: 'CreateRouteTable' }],
      associations: [],
      tags: [...tags],
    };
    this.d.routing.routeTables.put(table);
    return table;
  }

  async delete(id: string, dryRun: boolean): Promise<void> {
    const t = this.get(id);
    if (t.associations.length > 0) {
      const what = isMain(t)
        ? `it is the main route table of ${t.vpcId}`
        : `it is associated with ${t.associations.map((a) => a.subnetId).join(', ')}`;
      throw dependencyViolation(
        `The routeTable ${quoted(t.id)} has dependencies and cannot be deleted: ${what}`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.routeTables.delete(t.id);
    return Promise.resolve();
  }

  async createRoute(
    tableId: string,
    destination: string,
    target: RouteTarget,
    dryRun: boolean,
  ): Promise<void> {
    const t = this.get(tableId);
    const cidr = parseDestination(destination);
    const route = this.checkTarget(t, cidr, target);
    if (t.routes.some((r) => r.destinationCidr === cidr)) {
      throw alreadyExists(
        'RouteAlreadyExists',
        `The route identified by ${cidr} already exists in ${t.id}; use replace-route to change its target`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.routeTables.put({ ...t, routes: [...t.routes, route] });
    await this.d.applyVpc(t.vpcId);
  }

  async replaceRoute(
    tableId: string,
    destination: string,
    target: RouteTarget,
    dryRun: boolean,
  ): Promise<void> {
    const t = this.get(tableId);
    const cidr = parseDestination(destination);
    const old = this.routeOf(t, cidr);
    const route = this.checkTarget(t, cidr, target);
    if (dryRun) throw dryRunOperation();
    this.d.routing.routeTables.put({
      ...t,
      routes: t.routes.map((r) => (r === old ? route : r)),
    });
    await this.d.applyVpc(t.vpcId);
  }

  async deleteRoute(tableId: string, destination: string, dryRun: boolean): Promise<void> {
    const t = this.get(tableId);
    const cidr = parseDestination(destination);
    const old = this.routeOf(t, cidr);
    if (dryRun) throw dryRunOperation();
    this.d.routing.routeTables.put({ ...t, routes: t.routes.filter((r) => r !== old) });
    await this.d.applyVpc(t.vpcId);
  }

  /** Associates a subnet (returns the rtbassoc- id). */
  async associate(tableId: string, subnetId: string, dryRun: boolean): Promise<string> {
    const t = this.get(tableId);
    assertId('subnet', subnetId, 'InvalidSubnetID.Malformed');
    const subnet = this.d.subnets.get(subnetId);
    if (!subnet) {
      throw notFound(
        'InvalidSubnetID.NotFound',
        `The subnet ID ${quoted(subnetId)} does not exist`,
      );
    }
    if (subnet.vpcId !== t.vpcId) {
      throw invalidParameter(
        `route table ${t.id} and subnet ${subnet.id} belong to different networks (${t.vpcId}, ${subnet.vpcId})`,
      );
    }
    const current = this.d.routing.routeTables
      .list()
      .find((x) => x.associations.some((a) => a.subnetId === subnet.id));
    if (current) {
      throw alreadyExists(
        'Resource.AlreadyAssociated',
        `the specified association for route table ${t.id} conflicts with an existing association: ${subnet.id} is associated with ${current.id}; use replace-route-table-association`,
      );
    }
    if (dryRun) throw dryRunOperation();
    const id = newId('rtbassoc');
    this.d.routing.routeTables.put({
      ...t,
      associations: [...t.associations, { id, subnetId: subnet.id, main: false }],
    });
    await this.d.applyVpc(t.vpcId);
    return id;
  }

  async disassociate(associationId: string, dryRun: boolean): Promise<void> {
    const { table, association } = this.association(associationId);
    if (association.main) {
      throw invalidParameter(
        `${associationId} is the main route table association of ${table.vpcId} and cannot be disassociated; make another table main with replace-route-table-association`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.routeTables.put({
      ...table,
      associations: table.associations.filter((a) => a.id !== associationId),
    });
    await this.d.applyVpc(table.vpcId);
  }

  /**
   * Moves an association to another table of the same VPC; for the main association this makes
   * that table the VPC's main table. Returns the new association id.
   */
  async replaceAssociation(
    associationId: string,
    tableId: string,
    dryRun: boolean,
  ): Promise<string> {
    const { table: from, association } = this.association(associationId);
    const to = this.get(tableId);
    if (to.vpcId !== from.vpcId) {
      throw invalidParameter(
        `route table ${to.id} is in ${to.vpcId}, not in ${from.vpcId} of association ${associationId}`,
      );
    }
    if (dryRun) throw dryRunOperation();
    const id = newId('rtbassoc');
    const moved = { ...association, id };
    const tables = this.d.routing.routeTables;
    tables.put({
      ...from,
      associations: from.associations.filter((a) => a.id !== associationId),
    });
    const target = tables.get(to.id) ?? to;
    tables.put({ ...target, associations: [...target.associations, moved] });
    await this.d.applyVpc(to.vpcId);
    return id;
  }

  private association(associationId: string) {
    if (!isId('rtbassoc', associationId)) {
      throw invalidParameter(
        `Invalid id: ${quoted(associationId)} (expected rtbassoc- followed by 17 hex digits)`,
        'InvalidAssociationID.Malformed',
      );
    }
    for (const table of this.d.routing.routeTables.list()) {
      const association = table.associations.find((a) => a.id === associationId);
      if (association) return { table, association };
    }
    throw notFound(
      'InvalidAssociationID.NotFound',
      `The association ID ${quoted(associationId)} does not exist`,
    );
  }

  private routeOf(t: RouteTable, cidr: string): Route {
    const route = t.routes.find((r) => r.destinationCidr === cidr);
    if (!route) {
      throw notFound(
        'InvalidRoute.NotFound',
        `There is no route defined for ${cidr} in the route table ${t.id}`,
      );
    }
    if (route.gatewayId === 'local') {
      throw invalidParameter(
        `cannot remove or replace local route ${cidr} in route table ${t.id}`,
        'InvalidParameterValue',
      );
    }
    return route;
  }

  private checkTarget(t: RouteTable, cidr: string, target: RouteTarget): Route {
    const { gatewayId, instanceId } = target;
    if ((gatewayId ? 1 : 0) + (instanceId ? 1 : 0) !== 1) {
      throw new KumoError(
        'InvalidArgument',
        'InvalidParameterCombination',
        'Name exactly one target of the route: --gateway-id igw-… or --instance-id i-…',
      );
    }
    if (gatewayId) {
      assertId('igw', gatewayId, 'InvalidGatewayID.Malformed');
      const igw = this.d.routing.gateways.get(gatewayId);
      if (!igw) {
        throw notFound(
          'InvalidGatewayID.NotFound',
          `The gateway ID ${quoted(gatewayId)} does not exist`,
        );
      }
      if (igw.vpcId !== t.vpcId) {
        throw invalidParameter(
          `route table ${t.id} and network gateway ${igw.id} belong to different networks; attach ${igw.id} to ${t.vpcId} first`,
        );
      }
      return { destinationCidr: cidr, gatewayId, origin: 'CreateRoute' };
    }
    const id = instanceId as string;
    assertId('i', id, 'InvalidInstanceID.Malformed');
    const eni = this.d.interfaces.byInstance(id);
    if (!eni) {
      throw notFound('InvalidInstanceID.NotFound', `The instance ID ${quoted(id)} does not exist`);
    }
    if (eni.vpcId !== t.vpcId) {
      throw invalidParameter(
        `route table ${t.id} and instance ${id} belong to different networks (${t.vpcId}, ${eni.vpcId})`,
      );
    }
    return { destinationCidr: cidr, instanceId: id, origin: 'CreateRoute' };
  }
}
