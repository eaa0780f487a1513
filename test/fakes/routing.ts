import type { DocRepository, RoutingRepositories } from '../../src/network/ports.js';
import type { ElasticAddress, InternetGateway, RouteTable } from '../../src/network/routing.js';

/** An in-memory document repository with the SQLite one's contract. */
export class FakeDocs<T> implements DocRepository<T> {
  rows = new Map<string, T>();
  constructor(private readonly idOf: (item: T) => string) {}
  list = () => [...this.rows.values()];
  get = (id: string) => this.rows.get(id);
  put = (item: T) => void this.rows.set(this.idOf(item), item);
  delete = (id: string) => void this.rows.delete(id);
}

export function fakeRouting(): RoutingRepositories & {
  gateways: FakeDocs<InternetGateway>;
  routeTables: FakeDocs<RouteTable>;
  addresses: FakeDocs<ElasticAddress>;
} {
  return {
    gateways: new FakeDocs<InternetGateway>((g) => g.id),
    routeTables: new FakeDocs<RouteTable>((t) => t.id),
    addresses: new FakeDocs<ElasticAddress>((a) => a.allocationId),
  };
}
