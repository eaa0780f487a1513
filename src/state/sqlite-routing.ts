import type { DocRepository, RoutingRepositories } from '../network/ports.js';
import type { ElasticAddress, InternetGateway, RouteTable } from '../network/routing.js';
import { decodeDoc, encodeDoc } from './codec.js';
import type { Db } from './database.js';

/** The routing tables made by CREATE_ROUTING (see migrate-routing.ts). */
type RoutingTable = 'internet_gateways' | 'route_tables' | 'elastic_addresses';

/** A whole-document repository over one of the routing tables (id + doc). */
class SqliteDocs<T> implements DocRepository<T> {
  constructor(
    private readonly db: Db,
    private readonly table: RoutingTable,
    private readonly idOf: (item: T) => string,
  ) {}
  list(): T[] {
    return this.db
      .all<{ doc: string }>(`SELECT doc FROM ${this.table} ORDER BY rowid`)
      .map((r) => decodeDoc<T>(r.doc));
  }
  get(id: string): T | undefined {
    const row = this.db.get<{ doc: string }>(`SELECT doc FROM ${this.table} WHERE id = ?`, id);
    return row ? decodeDoc<T>(row.doc) : undefined;
  }
  put(item: T): void {
    this.db.run(
      `INSERT INTO ${this.table} (id, doc) VALUES (?, ?)
       ON CONFLICT(id) DO UPDATE SET doc = excluded.doc`,
      this.idOf(item),
      encodeDoc(item),
    );
  }
  delete(id: string): void {
    this.db.run(`DELETE FROM ${this.table} WHERE id = ?`, id);
  }
}

export function sqliteRoutingRepositories(db: Db): RoutingRepositories {
  return {
    gateways: new SqliteDocs<InternetGateway>(db, 'internet_gateways', (g) => g.id),
    routeTables: new SqliteDocs<RouteTable>(db, 'route_tables', (t) => t.id),
    addresses: new SqliteDocs<ElasticAddress>(db, 'elastic_addresses', (a) => a.allocationId),
  };
}
