import { newId } from '../core/ids.js';

/** What the migration uses of the database (database.ts's Db; not imported: no cycle). */
interface Db {
  all<T>(sql: string, ...params: string[]): T[];
  run(sql: string, ...params: string[]): void;
}

/** The security groups' table: a document per group (its rules inside), found by VPC. */
export const CREATE_SECURITY_GROUPS = `CREATE TABLE security_groups (id TEXT PRIMARY KEY,
  vpc_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (vpc_id, name));`;

/**
 * Before security groups were real, every instance showed its VPC's default group
 * (sg-<the VPC id's hex>) and nothing was filtered. Now: every VPC gets that default group
 * (inbound from its members, all outbound: frozen here as it was at this migration), and every
 * interface (and each instance's copy of it) carries it, as EC2 gives instances that name no
 * group their VPC's default group.
 */
export function migrateDefaultSecurityGroups(db: Db): void {
  for (const { id: vpcId } of db.all<{ id: string }>('SELECT id FROM vpcs')) {
    const groupId = `sg-${vpcId.slice(vpcId.indexOf('-') + 1)}`;
    const group = {
      id: groupId,
      vpcId,
      name: 'default',
      description: 'default VPC security group',
      isDefault: true,
      rules: [
        { id: newId('sgr'), egress: false, protocol: '-1', fromPort: -1, toPort: -1, groupId },
        {
          id: newId('sgr'),
          egress: true,
          protocol: '-1',
          fromPort: -1,
          toPort: -1,
          cidrIpv4: '0.0.0.0/0',
        },
      ],
      tags: [],
    };
    db.run(
      'INSERT OR IGNORE INTO security_groups (id, vpc_id, name, doc) VALUES (?, ?, ?, ?)',
      groupId,
      vpcId,
      'default',
      JSON.stringify(group),
    );
  }
  const withGroups = (net: Record<string, unknown>): boolean => {
    if (Array.isArray(net.groupIds) || typeof net.vpcId !== 'string') return false;
    net.groupIds = [`sg-${net.vpcId.slice(net.vpcId.indexOf('-') + 1)}`];
    net.sourceDestCheck = true;
    return true;
  };
  for (const row of db.all<{ id: string; doc: string }>('SELECT id, doc FROM network_interfaces')) {
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    if (withGroups(doc)) {
      db.run('UPDATE network_interfaces SET doc = ? WHERE id = ?', JSON.stringify(doc), row.id);
    }
  }
  for (const row of db.all<{ id: string; doc: string }>('SELECT id, doc FROM instances')) {
    const doc = JSON.parse(row.doc) as { network?: Record<string, unknown> };
    if (doc.network && withGroups(doc.network)) {
      db.run('UPDATE instances SET doc = ? WHERE id = ?', JSON.stringify(doc), row.id);
    }
  }
}
