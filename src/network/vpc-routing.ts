import { newId } from '../core/ids.js';
import type { RoutingRepositories } from './ports.js';
import type { InternetGateway, RouteTable } from './routing.js';
import type { Vpc } from './vpc.js';

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
