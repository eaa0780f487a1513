import type { Image } from '../compute/image.js';
import type { Instance } from '../compute/instance.js';
import type { KeyPair } from '../compute/key-pair.js';
import type {
  HostFacts,
  ImageRepository,
  InstanceRepository,
  KeyPairRepository,
} from '../compute/ports.js';
import type { UnitOfWork } from '../core/unit-of-work.js';
import type { NetworkInterface } from '../network/network-interface.js';
import type {
  NetworkInterfaceRepository,
  SubnetRepository,
  VpcRepository,
} from '../network/ports.js';
import type { Subnet, Vpc } from '../network/vpc.js';
import { decodeDoc, encodeDoc } from './codec.js';
import type { Db } from './database.js';

type Row = { doc: string };
const docs = <T>(rows: Row[]): T[] => rows.map((r) => decodeDoc<T>(r.doc));
const one = <T>(row: Row | undefined): T | undefined => (row ? decodeDoc<T>(row.doc) : undefined);

/** Every repository shares one connection, so one SQLite transaction covers them all. */
export class SqliteUnitOfWork implements UnitOfWork {
  constructor(private readonly db: Db) {}
  run<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }
}

export class SqliteInstanceRepository implements InstanceRepository {
  constructor(private readonly db: Db) {}
  get(id: string): Instance | undefined {
    return one(this.db.get<Row>('SELECT doc FROM instances WHERE id = ?', id));
  }
  list(): Instance[] {
    return docs(this.db.all<Row>('SELECT doc FROM instances ORDER BY rowid'));
  }
  put(i: Instance): void {
    this.db.run(
      `INSERT INTO instances (id, state, client_token, vpc_id, private_ip, doc) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, client_token = excluded.client_token,
         vpc_id = excluded.vpc_id, private_ip = excluded.private_ip, doc = excluded.doc`,
      i.id,
      i.state,
      i.clientToken ?? null,
      i.network?.vpcId ?? null,
      i.network?.privateIp ?? null,
      encodeDoc(i),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM instances WHERE id = ?', id);
  }
  findByClientToken(token: string): Instance[] {
    return docs(this.db.all<Row>('SELECT doc FROM instances WHERE client_token = ?', token));
  }
  /** The live (not terminated) instance holding a private address in a VPC. */
  byPrivateIp(vpcId: string, ip: string): Instance | undefined {
    return one(
      this.db.get<Row>(
        "SELECT doc FROM instances WHERE vpc_id = ? AND private_ip = ? AND state != 'terminated'",
        vpcId,
        ip,
      ),
    );
  }
}

export class SqliteImageRepository implements ImageRepository {
  constructor(private readonly db: Db) {}
  get(id: string): Image | undefined {
    return one(this.db.get<Row>('SELECT doc FROM images WHERE id = ?', id));
  }
  list(): Image[] {
    return docs(this.db.all<Row>('SELECT doc FROM images ORDER BY created_at, rowid'));
  }
  /** The newest image with that name. */
  findByName(name: string): Image | undefined {
    return one(
      this.db.get<Row>(
        'SELECT doc FROM images WHERE name = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
        name,
      ),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM images WHERE id = ?', id);
  }

  put(image: Image): void {
    this.db.run(
      'INSERT OR REPLACE INTO images (id, name, created_at, doc) VALUES (?, ?, ?, ?)',
      image.id,
      image.name,
      image.createdAt.toISOString(),
      encodeDoc(image),
    );
  }
}

export class SqliteKeyPairRepository implements KeyPairRepository {
  constructor(private readonly db: Db) {}
  get(id: string): KeyPair | undefined {
    return one(this.db.get<Row>('SELECT doc FROM key_pairs WHERE id = ?', id));
  }
  findByName(name: string): KeyPair | undefined {
    return one(this.db.get<Row>('SELECT doc FROM key_pairs WHERE name = ?', name));
  }
  list(): KeyPair[] {
    return docs(this.db.all<Row>('SELECT doc FROM key_pairs ORDER BY name'));
  }
  put(key: KeyPair): void {
    this.db.run(
      'INSERT OR REPLACE INTO key_pairs (id, name, doc) VALUES (?, ?, ?)',
      key.id,
      key.name,
      encodeDoc(key),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM key_pairs WHERE id = ?', id);
  }
}

export class SqliteVpcRepository implements VpcRepository {
  constructor(private readonly db: Db) {}
  list(): Vpc[] {
    return docs(this.db.all<Row>('SELECT doc FROM vpcs ORDER BY rowid'));
  }
  get(id: string): Vpc | undefined {
    return one(this.db.get<Row>('SELECT doc FROM vpcs WHERE id = ?', id));
  }
  put(vpc: Vpc): void {
    this.db.run('INSERT OR REPLACE INTO vpcs (id, doc) VALUES (?, ?)', vpc.id, encodeDoc(vpc));
  }
  delete(id: string): void {
    this.db.run('DELETE FROM vpcs WHERE id = ?', id);
  }
}

export class SqliteSubnetRepository implements SubnetRepository {
  constructor(private readonly db: Db) {}
  list(): Subnet[] {
    return docs(this.db.all<Row>('SELECT doc FROM subnets ORDER BY rowid'));
  }
  get(id: string): Subnet | undefined {
    return one(this.db.get<Row>('SELECT doc FROM subnets WHERE id = ?', id));
  }
  put(subnet: Subnet): void {
    this.db.run(
      'INSERT OR REPLACE INTO subnets (id, vpc_id, doc) VALUES (?, ?, ?)',
      subnet.id,
      subnet.vpcId,
      encodeDoc(subnet),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM subnets WHERE id = ?', id);
  }
}

export class SqliteNetworkInterfaceRepository implements NetworkInterfaceRepository {
  constructor(private readonly db: Db) {}
  list(): NetworkInterface[] {
    return docs(this.db.all<Row>('SELECT doc FROM network_interfaces ORDER BY rowid'));
  }
  byInstance(instanceId: string): NetworkInterface | undefined {
    return one(
      this.db.get<Row>('SELECT doc FROM network_interfaces WHERE instance_id = ?', instanceId),
    );
  }
  put(eni: NetworkInterface): void {
    this.db.run(
      `INSERT OR REPLACE INTO network_interfaces (id, instance_id, vpc_id, subnet_id, doc)
       VALUES (?, ?, ?, ?, ?)`,
      eni.id,
      eni.instanceId,
      eni.vpcId,
      eni.subnetId,
      encodeDoc(eni),
    );
  }
  delete(id: string): void {
    this.db.run('DELETE FROM network_interfaces WHERE id = ?', id);
  }
}

/** Small named facts about the host (e.g. the boot id kumod last saw). */
export class SqliteHostFacts implements HostFacts {
  constructor(private readonly db: Db) {}
  get(key: string): string | undefined {
    return this.db.get<{ value: string }>('SELECT value FROM host_facts WHERE key = ?', key)?.value;
  }
  set(key: string, value: string): void {
    this.db.run('INSERT OR REPLACE INTO host_facts (key, value) VALUES (?, ?)', key, value);
  }
}
