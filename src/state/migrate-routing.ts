import { newId } from '../core/ids.js';

/** What the migration uses of the database (database.ts's Db; not imported: no cycle). */
interface Db {
  all<T>(sql: string, ...params: string[]): T[];
  run(sql: string, ...params: string[]): void;
}

/** Internet gateways, route tables and elastic IPs: a document each. */
export const CREATE_ROUTING = `CREATE TABLE internet_gateways (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE route_tables (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE elastic_addresses (id TEXT PRIMARY KEY, doc TEXT NOT NULL);`;

/**
 * Before route tables existed every VPC's instances were reachable on their public IPs. Each
 * existing VPC keeps that: an internet gateway attached to it and a main route table with the
 * local route and 0.0.0.0/0 to that gateway (frozen here as it was at this migration). Stopped
 * instances no longer hold a public IP (EC2 releases it at stop; decision 0025): theirs return
 * to the pool, and they get a new one at their next start.
 */
export function migrateRouting(db: Db): void {
  for (const { doc } of db.all<{ doc: string }>('SELECT doc FROM vpcs')) {
    const vpc = JSON.parse(doc) as { id: string; cidr: string };
    const igw = { id: newId('igw'), vpcId: vpc.id, tags: [] };
    db.run('INSERT INTO internet_gateways (id, doc) VALUES (?, ?)', igw.id, JSON.stringify(igw));
    const table = {
      id: newId('rtb'),
      vpcId: vpc.id,
      routes: [
        { destinationCidr: vpc.cidr, gatewayId: 'local', origin: 'CreateRouteTable' },
        { destinationCidr: '0.0.0.0/0', gatewayId: igw.id, origin: 'CreateRoute' },
      ],
      associations: [{ id: newId('rtbassoc'), main: true }],
      tags: [],
    };
    db.run('INSERT INTO route_tables (id, doc) VALUES (?, ?)', table.id, JSON.stringify(table));
  }
  const stopped = new Set(
    db.all<{ id: string }>("SELECT id FROM instances WHERE state = 'stopped'").map((r) => r.id),
  );
  for (const row of db.all<{ id: string; instance_id: string; doc: string }>(
    'SELECT id, instance_id, doc FROM network_interfaces',
  )) {
    if (!stopped.has(row.instance_id)) continue;
    const eni = JSON.parse(row.doc) as Record<string, unknown>;
    delete eni.publicIp;
    db.run('UPDATE network_interfaces SET doc = ? WHERE id = ?', JSON.stringify(eni), row.id);
  }
}
