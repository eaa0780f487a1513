import { describe, expect, it } from 'vitest';
import type { InstanceRepository, KeyPairRepository } from '../../../src/compute/ports.js';
import type { UnitOfWork } from '../../../src/core/unit-of-work.js';
import { openDatabase } from '../../../src/state/database.js';
import {
  SqliteInstanceRepository,
  SqliteKeyPairRepository,
  SqliteUnitOfWork,
} from '../../../src/state/sqlite-repositories.js';
import {
  FakeInstanceRepository,
  FakeKeyPairRepository,
  FakeUnitOfWork,
} from '../../fakes/in-memory-repositories.js';
import type { Instance } from '../../../src/compute/instance.js';
import type { KeyPair } from '../../../src/compute/key-pair.js';

interface Store {
  uow: UnitOfWork;
  instances: InstanceRepository;
  keyPairs: KeyPairRepository;
}

const stores: Record<string, () => Store> = {
  sqlite: () => {
    const db = openDatabase(':memory:');
    return {
      uow: new SqliteUnitOfWork(db),
      instances: new SqliteInstanceRepository(db),
      keyPairs: new SqliteKeyPairRepository(db),
    };
  },
  fake: () => {
    const instances = new FakeInstanceRepository();
    const keyPairs = new FakeKeyPairRepository();
    return { uow: new FakeUnitOfWork(instances, keyPairs), instances, keyPairs };
  },
};

const instance = (id: string): Instance => ({
  id,
  reservationId: 'r-0123456789abcdef0',
  imageId: 'ami-0123456789abcdef0',
  instanceType: 't3.micro',
  state: 'pending',
  stateTransitionReason: '',
  launchTime: new Date('2026-01-02T03:04:05.006Z'),
  tags: [],
  launchIndex: 0,
});
const key: KeyPair = {
  id: 'key-0123456789abcdef0',
  name: 'me',
  type: 'ed25519',
  fingerprint: 'f',
  publicKey: 'ssh-ed25519 AAAA',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  tags: [],
};

// The same contract for the real store and the fake the domain tests use.
describe.each(Object.keys(stores))('unit of work (%s)', (name) => {
  const open = stores[name] as () => Store;

  it('keeps every write of a unit that returns, across repositories', () => {
    const s = open();
    const r = s.uow.run(() => {
      s.instances.put(instance('i-00000000000000001'));
      s.keyPairs.put(key);
      return 'done';
    });
    expect(r).toBe('done');
    expect(s.instances.list()).toHaveLength(1);
    expect(s.keyPairs.list()).toHaveLength(1);
  });

  it('keeps no write of a unit that throws, in any repository', () => {
    const s = open();
    s.instances.put(instance('i-00000000000000001'));
    expect(() =>
      s.uow.run(() => {
        s.instances.put(instance('i-00000000000000002'));
        s.instances.delete('i-00000000000000001');
        s.keyPairs.put(key);
        throw new Error('no room');
      }),
    ).toThrow('no room');
    expect(s.instances.list().map((i) => i.id)).toEqual(['i-00000000000000001']);
    expect(s.keyPairs.list()).toEqual([]);
  });

  it('undoes only a nested unit whose failure the outer one catches', () => {
    const s = open();
    s.uow.run(() => {
      s.instances.put(instance('i-00000000000000001'));
      try {
        s.uow.run(() => {
          s.keyPairs.put(key);
          throw new Error('inner');
        });
      } catch {
        /* the outer unit goes on */
      }
    });
    expect(s.instances.list()).toHaveLength(1);
    expect(s.keyPairs.list()).toEqual([]);
  });
});
