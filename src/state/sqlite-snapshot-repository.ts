import type { SnapshotRepository } from '../storage/ports.js';
import type { Snapshot } from '../storage/snapshot.js';
import { decodeDoc, encodeDoc } from './codec.js';
import type { Db } from './database.js';

type Row = { doc: string };

export class SqliteSnapshotRepository implements SnapshotRepository {
  constructor(private readonly db: Db) {}
  get(id: string): Snapshot | undefined {
    const row = this.db.get<Row>('SELECT doc FROM snapshots WHERE id = ?', id);
    return row ? decodeDoc<Snapshot>(row.doc) : undefined;
  }
  list(): Snapshot[] {
    return this.db
      .all<Row>('SELECT doc FROM snapshots ORDER BY started_at, rowid')
      .map((r) => decodeDoc<Snapshot>(r.doc));
  }
  put(s: Snapshot): void {
    this.db.run(
      `INSERT INTO snapshots (id, volume_id, state, started_at, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, doc = excluded.doc`,
      s.id,
      s.volumeId,
      s.state,
      s.startTime.toISOString(),
      encodeDoc(s),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM snapshots WHERE id = ?', id);
  }
}
