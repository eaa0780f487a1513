import type { Image } from '../compute/image.js';
import type { Instance } from '../compute/instance.js';
import type { KeyPair } from '../compute/key-pair.js';
import type {
  HostFacts,
  ImageRepository,
  InstanceRepository,
  KeyPairRepository,
} from '../compute/ports.js';
import type { SubnetRepository, VpcRepository } from '../network/ports.js';
import type { Subnet, Vpc } from '../network/vpc.js';
import { decodeDoc, encodeDoc } from './codec.js';
import type { Db } from './database.js';

type Row = { doc: string };
const docs = <T>(rows: unknown[]): T[] => (rows as Row[]).map((r) => decodeDoc<T>(r.doc));
const one = <T>(row: unknown): T | undefined => (row ? decodeDoc<T>((row as Row).doc) : undefined);

export class SqliteInstanceRepository implements InstanceRepository {
  constructor(private readonly db: Db) {}
  get(id: string): Instance | undefined {
    return one(this.db.prepare('SELECT doc FROM instances WHERE id = ?').get(id));
  }
  list(): Instance[] {
    return docs(this.db.prepare('SELECT doc FROM instances ORDER BY rowid').all());
  }
  put(i: Instance): void {
    this.db
      .prepare(
        `INSERT INTO instances (id, state, client_token, vpc_id, private_ip, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, client_token = excluded.client_token,
           vpc_id = excluded.vpc_id, private_ip = excluded.private_ip, doc = excluded.doc`,
      )
      .run(
        i.id,
        i.state,
        i.clientToken ?? null,
        i.network?.vpcId ?? null,
        i.network?.privateIp ?? null,
        encodeDoc(i),
      );
  }
  delete(id: string): void {
    this.db.prepare('DELETE FROM instances WHERE id = ?').run(id);
  }
  findByClientToken(token: string): Instance[] {
    return docs(this.db.prepare('SELECT doc FROM instances WHERE client_token = ?').all(token));
  }
  /** The live (not terminated) instance holding a private address in a VPC. */
  byPrivateIp(vpcId: string, ip: string): Instance | undefined {
    return one(
      this.db
        .prepare(
          "SELECT doc FROM instances WHERE vpc_id = ? AND private_ip = ? AND state != 'terminated'",
        )
        .get(vpcId, ip),
    );
  }
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

export class SqliteImageRepository implements ImageRepository {
  constructor(private readonly db: Db) {}
  get(id: string): Image | undefined {
    return one(this.db.prepare('SELECT doc FROM images WHERE id = ?').get(id));
  }
  list(): Image[] {
    return docs(this.db.prepare('SELECT doc FROM images ORDER BY created_at, rowid').all());
  }
  /** The newest image with that name. */
  findByName(name: string): Image | undefined {
    return one(
      this.db
        .prepare(
          'SELECT doc FROM images WHERE name = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
        )
        .get(name),
    );
  }
  put(image: Image): void {
    this.db
      .prepare('INSERT OR REPLACE INTO images (id, name, created_at, doc) VALUES (?, ?, ?, ?)')
      .run(image.id, image.name, image.createdAt.toISOString(), encodeDoc(image));
  }
}

export class SqliteKeyPairRepository implements KeyPairRepository {
  constructor(private readonly db: Db) {}
  get(id: string): KeyPair | undefined {
    return one(this.db.prepare('SELECT doc FROM key_pairs WHERE id = ?').get(id));
  }
  findByName(name: string): KeyPair | undefined {
    return one(this.db.prepare('SELECT doc FROM key_pairs WHERE name = ?').get(name));
  }
  list(): KeyPair[] {
    return docs(this.db.prepare('SELECT doc FROM key_pairs ORDER BY name').all());
  }
  put(key: KeyPair): void {
    this.db
      .prepare('INSERT OR REPLACE INTO key_pairs (id, name, doc) VALUES (?, ?, ?)')
      .run(key.id, key.name, encodeDoc(key));
  }
  delete(id: string): void {
    this.db.prepare('DELETE FROM key_pairs WHERE id = ?').run(id);
  }
}

export class SqliteVpcRepository implements VpcRepository {
  constructor(private readonly db: Db) {}
  list(): Vpc[] {
    return docs(this.db.prepare('SELECT doc FROM vpcs ORDER BY rowid').all());
  }
  get(id: string): Vpc | undefined {
    return one(this.db.prepare('SELECT doc FROM vpcs WHERE id = ?').get(id));
  }
  put(vpc: Vpc): void {
    this.db
      .prepare('INSERT OR REPLACE INTO vpcs (id, doc) VALUES (?, ?)')
      .run(vpc.id, encodeDoc(vpc));
  }
}

export class SqliteSubnetRepository implements SubnetRepository {
  constructor(private readonly db: Db) {}
  list(): Subnet[] {
    return docs(this.db.prepare('SELECT doc FROM subnets ORDER BY rowid').all());
  }
  get(id: string): Subnet | undefined {
    return one(this.db.prepare('SELECT doc FROM subnets WHERE id = ?').get(id));
  }
  put(subnet: Subnet): void {
    this.db
      .prepare('INSERT OR REPLACE INTO subnets (id, vpc_id, doc) VALUES (?, ?, ?)')
      .run(subnet.id, subnet.vpcId, encodeDoc(subnet));
  }
}

/** Small named facts about the host (e.g. the boot id kumod last saw). */
export class SqliteHostFacts implements HostFacts {
  constructor(private readonly db: Db) {}
  get(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM host_facts WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value;
  }
  set(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO host_facts (key, value) VALUES (?, ?)').run(key, value);
  }
}
