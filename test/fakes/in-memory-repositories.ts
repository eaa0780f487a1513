import type { Image } from '../../src/compute/image.js';
import type { Instance } from '../../src/compute/instance.js';
import type { KeyPair } from '../../src/compute/key-pair.js';
import type {
  ImageRepository,
  InstanceRepository,
  KeyPairRepository,
} from '../../src/compute/ports.js';

/** In-memory repositories with the same contracts as the SQLite ones (transactions roll back). */
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
  transaction<T>(fn: () => T): T {
    const snapshot = new Map(this.rows);
    try {
      return fn();
    } catch (e) {
      this.rows = snapshot;
      throw e;
    }
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
