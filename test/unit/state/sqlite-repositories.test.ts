import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/state/database.js';
import {
  SqliteImageRepository,
  SqliteInstanceRepository,
  SqliteKeyPairRepository,
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
  network: { vpcId: 'vpc-1', subnetId: 'subnet-1', privateIp: '172.31.0.4', mac: 'm', tap: 't' },
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
