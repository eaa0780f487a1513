import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { encodeDoc } from '../../../src/state/codec.js';
import { openDatabase } from '../../../src/state/database.js';
import { SqliteVolumeRepository } from '../../../src/state/sqlite-volume-repository.js';
import {
  SqliteImageRepository,
  SqliteInstanceRepository,
  SqliteKeyPairRepository,
  SqliteNetworkInterfaceRepository,
} from '../../../src/state/sqlite-repositories.js';
import { TINY_IMAGE } from '../../fakes/compute-deps.js';
import type { Instance } from '../../../src/compute/instance.js';

const instance: Instance = {
  id: 'i-0123456789abcdef0',
  reservationId: 'r-0123456789abcdef0',
  imageId: TINY_IMAGE.id,
  instanceType: 't3.micro',
  userData: new Uint8Array([1, 2, 255]),
  state: 'running',
  stateTransitionReason: '',
  launchTime: new Date('2026-01-02T03:04:05.006Z'),
  tags: [{ key: 'Name', value: 'x' }],
  clientToken: 'tok',
  launchIndex: 0,
  network: {
    id: 'eni-0123456789abcdef0',
    instanceId: 'i-0123456789abcdef0',
    vpcId: 'vpc-1',
    subnetId: 'subnet-1',
    privateIp: '172.31.0.4',
    mac: 'm',
  },
};

describe('SQLite repositories', () => {
  it('round-trips instances with dates and bytes, and finds by token and private IP', () => {
    const db = openDatabase(':memory:');
    const repo = new SqliteInstanceRepository(db);
    repo.put(instance);
    const back = repo.get(instance.id)!;
    expect(back.launchTime).toEqual(instance.launchTime);
    expect([...back.userData!]).toEqual([1, 2, 255]);
    expect(repo.findByClientToken('tok').map((i) => i.id)).toEqual([instance.id]);
    expect(repo.byPrivateIp('vpc-1', '172.31.0.4')?.id).toBe(instance.id);
    repo.put({ ...instance, state: 'terminated' });
    expect(repo.byPrivateIp('vpc-1', '172.31.0.4')).toBeUndefined();
  });

  it('returns the newest image of a name, and key pairs by name', () => {
    const db = openDatabase(':memory:');
    const images = new SqliteImageRepository(db);
    images.put(TINY_IMAGE);
    images.put({
      ...TINY_IMAGE,
      id: 'ami-00000000000000002',
      createdAt: new Date('2026-02-01T00:00:00Z'),
    });
    expect(images.findByName('kumo-tiny')?.id).toBe('ami-00000000000000002');
    const keys = new SqliteKeyPairRepository(db);
    keys.put({
      id: 'key-1',
      name: 'me',
      type: 'ed25519',
      fingerprint: 'f',
      publicKey: 'p',
      createdAt: new Date(),
      tags: [],
    });
    expect(keys.findByName('me')?.id).toBe('key-1');
    keys.delete('key-1');
    expect(keys.list()).toEqual([]);
  });
});

describe('state migrations', () => {
  it('gives 0.1 runtimes their instance id, every path and launched: true', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-migrate-'));
    const file = join(dir, 'kumo.db');
    // A database as kumo 0.1 left it: schema version 2, a runtime with only the QMP socket.
    const old = new DatabaseSync(file);
    old.exec(`CREATE TABLE instances (id TEXT PRIMARY KEY, state TEXT NOT NULL, client_token TEXT,
      vpc_id TEXT, private_ip TEXT, doc TEXT NOT NULL);
      CREATE TABLE images (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE key_pairs (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE TABLE vpcs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE subnets (id TEXT PRIMARY KEY, vpc_id TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE host_facts (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      PRAGMA user_version = 2;`);
    const runtime = { pid: 42, startTime: 7, qmpSocket: '/var/lib/kumo/instances/i-1/qmp.sock' };
    old
      .prepare('INSERT INTO instances (id, state, doc) VALUES (?, ?, ?)')
      .run(instance.id, 'running', encodeDoc({ ...instance, runtime }));
    old.close();

    const repo = new SqliteInstanceRepository(openDatabase(file));
    expect(repo.get(instance.id)?.runtime).toEqual({
      instanceId: instance.id,
      pid: 42,
      startTime: 7,
      launched: true,
      paths: {
        dir: '/var/lib/kumo/instances/i-1',
        qmpSocket: '/var/lib/kumo/instances/i-1/qmp.sock',
        qmpEventSocket: '/var/lib/kumo/instances/i-1/qmp-events.sock',
        consoleSocket: '/var/lib/kumo/instances/i-1/console.sock',
        consoleLog: '/var/lib/kumo/instances/i-1/console.log',
        pidFile: '/var/lib/kumo/instances/i-1/qemu.pid',
        qemuLog: '/var/lib/kumo/instances/i-1/qemu.log',
      },
    });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('network interfaces', () => {
  it('are the network’s own rows, found by instance, deleted on release', () => {
    const repo = new SqliteNetworkInterfaceRepository(openDatabase(':memory:'));
    const eni = instance.network!;
    repo.put(eni);
    expect(repo.byInstance(instance.id)).toEqual(eni);
    expect(repo.list()).toEqual([eni]);
    repo.delete(eni.id);
    expect(repo.byInstance(instance.id)).toBeUndefined();
  });

  it('are made from 0.1 instances, which carried a tap name and no interface id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-migrate-'));
    const file = join(dir, 'kumo.db');
    const db = openDatabase(file);
    db.raw.exec(
      'DROP TABLE network_interfaces; DROP TABLE security_groups; DROP TABLE volumes; DROP TABLE snapshots; DROP TABLE internet_gateways; DROP TABLE route_tables; DROP TABLE elastic_addresses; PRAGMA user_version = 3;',
    );
    const old = {
      vpcId: 'vpc-1',
      subnetId: 'subnet-1',
      privateIp: '172.31.0.4',
      mac: 'm',
      tap: 't',
    };
    const put = (id: string, state: string) =>
      db.run(
        'INSERT INTO instances (id, state, doc) VALUES (?, ?, ?)',
        id,
        state,
        encodeDoc({ ...instance, id, state, network: old }),
      );
    put('i-00000000000000001', 'running');
    put('i-00000000000000002', 'terminated');
    db.close();

    const reopened = openDatabase(file);
    const instances = new SqliteInstanceRepository(reopened);
    const interfaces = new SqliteNetworkInterfaceRepository(reopened);
    const live = instances.get('i-00000000000000001')!.network!;
    expect(live.id).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(live).not.toHaveProperty('tap');
    expect(interfaces.byInstance('i-00000000000000001')).toEqual(live);
    // A terminated instance holds no addresses any more.
    expect(interfaces.byInstance('i-00000000000000002')).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('volumes', () => {
  it('are made from instances launched before volumes, keeping their root files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-migrate-'));
    const file = join(dir, 'kumo.db');
    const db = openDatabase(file);
    db.raw.exec(
      'DROP TABLE volumes; DROP TABLE snapshots; DROP TABLE internet_gateways; DROP TABLE route_tables; DROP TABLE elastic_addresses; PRAGMA user_version = 7;',
    );
    db.run(
      'INSERT INTO images (id, name, created_at, doc) VALUES (?, ?, ?, ?)',
      TINY_IMAGE.id,
      TINY_IMAGE.name,
      TINY_IMAGE.createdAt.toISOString(),
      encodeDoc({ ...TINY_IMAGE, sizeBytes: 3 * 1024 ** 3 + 1 }),
    );
    const put = (id: string, state: string, rootDisk?: string) =>
      db.run(
        'INSERT INTO instances (id, state, doc) VALUES (?, ?, ?)',
        id,
        state,
        encodeDoc({ ...instance, id, state, rootDisk }),
      );
    put('i-00000000000000001', 'stopped', '/var/lib/kumo/volumes/i-00000000000000001-root.qcow2');
    put('i-00000000000000002', 'terminated');
    db.close();

    const reopened = openDatabase(file);
    const volumes = new SqliteVolumeRepository(reopened);
    const [root] = volumes.byInstance('i-00000000000000001');
    expect(volumes.list()).toHaveLength(1);
    expect(root).toMatchObject({
      id: expect.stringMatching(/^vol-[0-9a-f]{17}$/),
      path: '/var/lib/kumo/volumes/i-00000000000000001-root.qcow2',
      sizeGiB: 4,
      state: 'in-use',
      root: true,
      imageId: TINY_IMAGE.id,
      attachment: { device: '/dev/vda', state: 'attached', deleteOnTermination: true },
    });
    expect(root!.createTime).toEqual(instance.launchTime);
    rmSync(dir, { recursive: true, force: true });
  });
});
