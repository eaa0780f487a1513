import { newId } from '../core/ids.js';
import type { RoutingRepositories } from './ports.js';
import type { InternetGateway, RouteTable } from './routing.js';
import type { Vpc } from './vpc.js';
import type { VpcHooks } from './vpc-deps.js';

/**
 * A new VPC's main route table: its local route only (EC2's CreateVpc). create-vpc calls this
 * in the same unit of work that writes the VPC. Returns the table.
 */
export function createMainRouteTable(routing: RoutingRepositories, vpc: Vpc): RouteTable {
  const table: RouteTable = {
    id: newId('rtb'),
    vpcId: vpc.id,
    routes: [{ destinationCidr: vpc.cidr, gatewayId: 'local', origin: 'CreateRouteTable' }],
    associations: [{ id: newId('rtbassoc'), main: true }],
    tags: [],
  };
  routing.routeTables.put(table);
  return table;
}

/**
 * The default VPC's routing as EC2 makes it: an internet gateway attached to it and a main table
 * with the local route and 0.0.0.0/0 to that gateway. Only when the VPC has no route table yet,
 * so what an operator changed later stays as it is.
 */
export function ensureDefaultVpcRouting(routing: RoutingRepositories, vpc: Vpc): void {
  if (routing.routeTables.list().some((t) => t.vpcId === vpc.id)) return;
  const igw: InternetGateway = { id: newId('igw'), vpcId: vpc.id, tags: [] };
  routing.gateways.put(igw);
  const main = createMainRouteTable(routing, vpc);
  routing.routeTables.put({
    ...main,
    routes: [
      ...main.routes,
      { destinationCidr: '0.0.0.0/0', gatewayId: igw.id, origin: 'CreateRoute' },
    ],
  });
}

/**
 * A VPC's routing as its life goes: create-vpc makes its main route table; delete-vpc is refused
 * while an internet gateway is attached or a table other than the main one is left (EC2's
 * DependencyViolation), and takes the main table with it.
 */
export function vpcRoutingHooks(routing: RoutingRepositories): VpcHooks {
  return {
    created: (vpc) => {
      createMainRouteTable(routing, vpc);
      return Promise.resolve();
    },
    deleted: (vpc) => {
      for (const t of routing.routeTables.list().filter((x) => x.vpcId === vpc.id)) {
        routing.routeTables.delete(t.id);
      }
      return Promise.resolve();
    },
    dependants: (vpcId) => [
      ...routing.gateways
        .list()
        .filter((g) => g.vpcId === vpcId)
        .map((g) => `internet gateway ${g.id} is attached (detach-internet-gateway)`),
      ...routing.routeTables
        .list()
        .filter((t) => t.vpcId === vpcId && !t.associations.some((a) => a.main))
        .map((t) => `route table ${t.id} (delete-route-table)`),
    ],
  };
}
