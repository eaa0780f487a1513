import type { SecurityGroupRepository } from '../network/ports.js';
import type { SecurityGroup } from '../network/security-group.js';
import { decodeDoc, encodeDoc } from './codec.js';
import type { Db } from './database.js';

export class SqliteSecurityGroupRepository implements SecurityGroupRepository {
  constructor(private readonly db: Db) {}
  list(): SecurityGroup[] {
    return this.db
      .all<{ doc: string }>('SELECT doc FROM security_groups ORDER BY rowid')
      .map((r) => decodeDoc<SecurityGroup>(r.doc));
  }
  get(id: string): SecurityGroup | undefined {
    const row = this.db.get<{ doc: string }>('SELECT doc FROM security_groups WHERE id = ?', id);
    return row ? decodeDoc<SecurityGroup>(row.doc) : undefined;
  }
  put(g: SecurityGroup): void {
    this.db.run(
      `INSERT INTO security_groups (id, vpc_id, name, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc`,
      g.id,
      g.vpcId,
      g.name,
      encodeDoc(g),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM security_groups WHERE id = ?', id);
  }
}
