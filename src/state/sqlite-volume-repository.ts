import type { VolumeRepository } from '../storage/ports.js';
import type { Volume } from '../storage/volume.js';
import { decodeDoc, encodeDoc } from './codec.js';
import type { Db } from './database.js';

type Row = { doc: string };

/** Volumes as JSON documents, with the attached instance beside them for by-instance queries. */
export class SqliteVolumeRepository implements VolumeRepository {
  constructor(private readonly db: Db) {}
  get(id: string): Volume | undefined {
    const row = this.db.get<Row>('SELECT doc FROM volumes WHERE id = ?', id);
    return row ? decodeDoc<Volume>(row.doc) : undefined;
  }
  list(): Volume[] {
    return this.db
      .all<Row>('SELECT doc FROM volumes ORDER BY created_at, rowid')
      .map((r) => decodeDoc<Volume>(r.doc));
  }
  byInstance(instanceId: string): Volume[] {
    return this.db
      .all<Row>(
        'SELECT doc FROM volumes WHERE instance_id = ? ORDER BY created_at, rowid',
        instanceId,
      )
      .map((r) => decodeDoc<Volume>(r.doc));
  }
  put(v: Volume): void {
    this.db.run(
      `INSERT INTO volumes (id, state, instance_id, created_at, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, instance_id = excluded.instance_id,
         doc = excluded.doc`,
      v.id,
      v.state,
      v.attachment?.instanceId ?? null,
      v.createTime.toISOString(),
      encodeDoc(v),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM volumes WHERE id = ?', id);
  }
}
