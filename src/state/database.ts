import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { newId } from '../core/ids.js';
import { CREATE_SECURITY_GROUPS, migrateDefaultSecurityGroups } from './migrate-security-groups.js';
import { CREATE_ROUTING, migrateRouting } from './migrate-routing.js';

/**
 * Schema migrations, applied in order; PRAGMA user_version records how many ran. Resources are
 * stored as JSON documents with the columns queries need beside them, so the domain model can grow
 * without a migration for every field.
 */
const MIGRATIONS: readonly (string | ((db: Db) => void))[] = [
  `CREATE TABLE instances (
     id TEXT PRIMARY KEY, state TEXT NOT NULL, client_token TEXT, vpc_id TEXT, private_ip TEXT,
     doc TEXT NOT NULL);
   CREATE INDEX instances_client_token ON instances(client_token);
   CREATE INDEX instances_private_ip ON instances(vpc_id, private_ip);
   CREATE TABLE images (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE TABLE key_pairs (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
   CREATE TABLE vpcs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
   CREATE TABLE subnets (id TEXT PRIMARY KEY, vpc_id TEXT NOT NULL, doc TEXT NOT NULL);`,
  // Facts about the host kumod last ran on (its boot id), to tell a host reboot from a crash.
  `CREATE TABLE host_facts (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // VM runtimes carry their instance id and every path (0.1 stored only the QMP socket's).
  migrateRuntimePaths,
  // The network owns instances' interfaces (ENIs) instead of reading them from compute's rows.
  `CREATE TABLE network_interfaces (id TEXT PRIMARY KEY, instance_id TEXT NOT NULL UNIQUE,
     vpc_id TEXT NOT NULL, subnet_id TEXT NOT NULL, doc TEXT NOT NULL);`,
  migrateInterfaces,
  // Security groups (issue 8): their table, and every VPC's default group on existing interfaces.
  CREATE_SECURITY_GROUPS,
  migrateDefaultSecurityGroups,
  // EBS volumes; every live instance's root disk becomes one (its file stays where it is).
  `CREATE TABLE volumes (id TEXT PRIMARY KEY, state TEXT NOT NULL, instance_id TEXT,
     created_at TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX volumes_instance ON volumes(instance_id);`,
  migrateRootVolumes,
  // EBS snapshots: self-contained qcow2 copies of volumes.
  `CREATE TABLE snapshots (id TEXT PRIMARY KEY, volume_id TEXT NOT NULL, state TEXT NOT NULL,
     started_at TEXT NOT NULL, doc TEXT NOT NULL);`,
  // Internet gateways, route tables, elastic IPs; existing VPCs keep their public reachability.
  CREATE_ROUTING,
  migrateRouting,
];

/**
 * Instances launched before volumes existed: each live instance's root overlay becomes a root
 * volume row pointing at the same file (nothing is moved or deleted), attached as /dev/vda with
 * DeleteOnTermination, sized from its image in whole GiB.
 */
function migrateRootVolumes(db: Db): void {
  const GIB = 1024 ** 3;
  // The zone DEFAULT_SITE names (frozen here: this is history, as the site was then).
  const zone = 'kumo-local-1a';
  for (const row of db.all<{ id: string; state: string; doc: string }>(
    'SELECT id, state, doc FROM instances',
  )) {
    if (row.state === 'terminated') continue;
    const doc = JSON.parse(row.doc) as {
      rootDisk?: string;
      imageId?: string;
      launchTime?: { $date?: string };
    };
    if (!doc.rootDisk) continue;
    const image = db.get<{ doc: string }>('SELECT doc FROM images WHERE id = ?', doc.imageId ?? '');
    const sizeBytes = image
      ? Number((JSON.parse(image.doc) as { sizeBytes?: number }).sizeBytes)
      : 0;
    const since = doc.launchTime?.$date ?? new Date().toISOString();
    const id = newId('vol');
    const volume = {
      id,
      sizeGiB: Math.max(1, Math.ceil((sizeBytes || 0) / GIB)),
      volumeType: 'gp3',
      availabilityZone: zone,
      state: 'in-use',
      createTime: { $date: since },
      imageId: doc.imageId,
      path: doc.rootDisk,
      tags: [],
      root: true,
      attachment: {
        instanceId: row.id,
        device: '/dev/vda',
        state: 'attached',
        attachTime: { $date: since },
        deleteOnTermination: true,
      },
    };
    db.run(
      'INSERT INTO volumes (id, state, instance_id, created_at, doc) VALUES (?, ?, ?, ?, ?)',
      id,
      'in-use',
      row.id,
      since,
      JSON.stringify(volume),
    );
  }
}

/**
 * Instances launched before interfaces were the network's own records: each live instance's
 * network identity becomes an interface row (with an eni- id), and its copy on the instance gets
 * that id; the Linux tap name it carried is dropped (the host adapter derives it).
 */
function migrateInterfaces(db: Db): void {
  for (const row of db.all<{ id: string; state: string; doc: string }>(
    'SELECT id, state, doc FROM instances',
  )) {
    const doc = JSON.parse(row.doc) as { network?: Record<string, unknown> };
    const net = doc.network;
    if (!net || typeof net.id === 'string') continue;
    const rest = { ...net };
    delete rest.tap;
    const eni = { id: newId('eni'), instanceId: row.id, ...rest };
    doc.network = eni;
    db.run('UPDATE instances SET doc = ? WHERE id = ?', JSON.stringify(doc), row.id);
    if (row.state === 'terminated') continue;
    db.run(
      'INSERT INTO network_interfaces (id, instance_id, vpc_id, subnet_id, doc) VALUES (?, ?, ?, ?, ?)',
      eni.id,
      row.id,
      String(rest.vpcId),
      String(rest.subnetId),
      JSON.stringify(eni),
    );
  }
}

/**
 * Runtimes written before paths were recorded: {pid, startTime, qmpSocket}. Their files sat
 * beside the QMP socket under fixed names (frozen here: this is history, not the adapter's
 * current naming), and a runtime was only recorded once its start had completed.
 */
function migrateRuntimePaths(db: Db): void {
  for (const row of db.all<{ id: string; doc: string }>('SELECT id, doc FROM instances')) {
    const doc = JSON.parse(row.doc) as { runtime?: Record<string, unknown> };
    const rt = doc.runtime;
    if (!rt || rt.paths || typeof rt.qmpSocket !== 'string') continue;
    const dir = rt.qmpSocket.slice(0, rt.qmpSocket.lastIndexOf('/'));
    const { qmpSocket, ...rest } = rt;
    doc.runtime = {
      ...rest,
      instanceId: row.id,
      launched: true,
      paths: {
        dir,
        qmpSocket,
        qmpEventSocket: `${dir}/qmp-events.sock`,
        consoleSocket: `${dir}/console.sock`,
        consoleLog: `${dir}/console.log`,
        pidFile: `${dir}/qemu.pid`,
        qemuLog: `${dir}/qemu.log`,
      },
    };
    db.run('UPDATE instances SET doc = ? WHERE id = ?', JSON.stringify(doc), row.id);
  }
}

type Row = Record<string, SQLInputValue>;

/**
 * The state database: Node's built-in SQLite (node:sqlite), so kumo has no native module to
 * compile. Statements are prepared once and cached; `transaction` nests with savepoints, so a
 * use-case's unit of work can span every repository.
 */
export class Db {
  private readonly statements = new Map<string, StatementSync>();
  private depth = 0;

  constructor(readonly raw: DatabaseSync) {}

  private statement(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get<T = Row>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  all<T = Row>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  run(sql: string, ...params: SQLInputValue[]): void {
    this.statement(sql).run(...params);
  }

  /** Runs fn atomically: every write inside it commits, or none does (nested calls are savepoints). */
  transaction<T>(fn: () => T): T {
    const savepoint = `sp${this.depth}`;
    this.raw.exec(this.depth === 0 ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    this.depth++;
    try {
      const result = fn();
      this.depth--;
      this.raw.exec(this.depth === 0 ? 'COMMIT' : `RELEASE ${savepoint}`);
      return result;
    } catch (e) {
      this.depth--;
      this.raw.exec(
        this.depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`,
      );
      throw e;
    }
  }

  close(): void {
    this.statements.clear();
    this.raw.close();
  }
}

/**
 * Opens (creating if needed) the state database and brings its schema up to date. The database
 * is this process's alone (decision 0036): it is locked for as long as the process has it open,
 * so the WAL index lives in memory and no statement takes or drops a file lock, and a second
 * kumod on the same state directory stops here with a clear error instead of sharing it.
 */
export function openDatabase(
  path: string,
  /** How long to wait for the lock: a kumod that is stopping still has it for a moment. */
  lockWaitMs = 5_000,
): Db {
  const raw = new DatabaseSync(path);
  raw.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(lockWaitMs))}`);
  // Before the first access in WAL mode, or the WAL index goes to shared memory after all.
  raw.exec('PRAGMA locking_mode = EXCLUSIVE');
  try {
    raw.exec('PRAGMA journal_mode = WAL');
    // The exclusive lock is taken at the first write and kept: take it now, while it can fail.
    raw.exec('BEGIN IMMEDIATE');
    raw.exec('COMMIT');
  } catch (e) {
    raw.close();
    if (/locked|busy/i.test(String(e))) {
      throw new Error(
        `the state database ${path} is in use by another process (another kumod with the same ` +
          '--state-dir?); stop it first',
      );
    }
    throw e;
  }
  raw.exec('PRAGMA synchronous = NORMAL');
  raw.exec('PRAGMA foreign_keys = ON');
  const db = new Db(raw);
  const version = Number(db.get<{ user_version: number }>('PRAGMA user_version')?.user_version);
  for (let v = version; v < MIGRATIONS.length; v++) {
    const migration = MIGRATIONS[v] as string | ((db: Db) => void);
    db.transaction(() => {
      if (typeof migration === 'string') raw.exec(migration);
      else migration(db);
      raw.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
  return db;
}
