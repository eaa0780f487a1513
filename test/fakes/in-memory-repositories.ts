import type { Image } from '../../src/compute/image.js';
import type { Instance } from '../../src/compute/instance.js';
import type { KeyPair } from '../../src/compute/key-pair.js';
import type {
  ImageRepository,
  InstanceRepository,
  KeyPairRepository,
} from '../../src/compute/ports.js';
import type { UnitOfWork } from '../../src/core/unit-of-work.js';

/** Anything whose rows a fake unit of work can snapshot and restore. */
interface Snapshottable {
  rows: Map<string, unknown>;
}

/**
 * The SQLite unit of work's contract for in-memory repositories: every repository it was given
 * is restored when fn throws, so a failure half-way through writes nothing, in any of them.
 */
export class FakeUnitOfWork implements UnitOfWork {
  private readonly repos: Snapshottable[];
  constructor(...repos: Snapshottable[]) {
    this.repos = repos;
  }
  run<T>(fn: () => T): T {
    const snapshots = this.repos.map((r) => new Map(r.rows));
    try {
      return fn();
    } catch (e) {
      this.repos.forEach((r, i) => (r.rows = snapshots[i] as Map<string, unknown>));
      throw e;
    }
  }
}

/** In-memory repositories with the same contracts as the SQLite ones. */
export class FakeInstanceRepository implements InstanceRepository {
  rows = new Map<string, Instance>();
  get(id: string) {
    return this.rows.get(id);
  }
  list() {
    return [...this.rows.values()];
  }
  put(i: Instance) {
    this.rows.set(i.id, i);
  }
  delete(id: string) {
    this.rows.delete(id);
  }
  findByClientToken(token: string) {
    return this.list().filter((i) => i.clientToken === token);
  }
}

export class FakeImageRepository implements ImageRepository {
  rows = new Map<string, Image>();
  get(id: string) {
    return this.rows.get(id);
  }
  list() {
    return [...this.rows.values()];
  }
  findByName(name: string) {
    return this.list()
      .filter((i) => i.name === name)
      .at(-1);
  }
  put(i: Image) {
    this.rows.set(i.id, i);
  }
  delete(id: string) {
    this.rows.delete(id);
  }
}

export class FakeKeyPairRepository implements KeyPairRepository {
  rows = new Map<string, KeyPair>();
  get(id: string) {
    return this.rows.get(id);
  }
  findByName(name: string) {
    return this.list().find((k) => k.name === name);
  }
  list() {
    return [...this.rows.values()];
  }
  put(k: KeyPair) {
    this.rows.set(k.id, k);
  }
  delete(id: string) {
    this.rows.delete(id);
  }
}
