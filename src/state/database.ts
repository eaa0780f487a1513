import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Schema migrations, applied in order; PRAGMA user_version records how many ran. Resources are
 * stored as JSON documents with the columns queries need beside them, so the domain model can grow
 * without a migration for every field.
 */
const MIGRATIONS: readonly string[] = [
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
];

/** Opens (creating if needed) the state database and brings its schema up to date. */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
