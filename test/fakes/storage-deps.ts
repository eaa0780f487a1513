import type { VmRuntime } from '../../src/compute/instance.js';
import type { DiskThrottle, ImageRepository, InstanceRepository } from '../../src/compute/ports.js';
import type { Clock } from '../../src/core/clock.js';
import type { KeyedMutex } from '../../src/core/keyed-mutex.js';
import { silentLogger } from '../../src/core/logger.js';
import type { UnitOfWork } from '../../src/core/unit-of-work.js';
import type { StorageDeps } from '../../src/storage/deps.js';
import type {
  GuestDisk,
  GuestDisks,
  SnapshotRepository,
  VolumeFiles,
  VolumeRepository,
} from '../../src/storage/ports.js';
import type { Snapshot } from '../../src/storage/snapshot.js';
import type { Volume } from '../../src/storage/volume.js';

/** The SQLite repository's contract in memory (insertion order = creation order). */
export class FakeVolumeRepository implements VolumeRepository {
  rows = new Map<string, Volume>();
  get(id: string) {
    return this.rows.get(id);
  }
  list() {
    return [...this.rows.values()];
  }
  byInstance(instanceId: string) {
    return this.list().filter((v) => v.attachment?.instanceId === instanceId);
  }
  put(v: Volume) {
    this.rows.set(v.id, v);
  }
  delete(id: string) {
    this.rows.delete(id);
  }
}

export class FakeSnapshotRepository implements SnapshotRepository {
  rows = new Map<string, Snapshot>();
  get(id: string) {
    return this.rows.get(id);
  }
  list() {
    return [...this.rows.values()];
  }
  put(s: Snapshot) {
    this.rows.set(s.id, s);
  }
  delete(id: string) {
    this.rows.delete(id);
  }
}

/** Files as a set of paths with their sizes; `failNext` makes the next create fail. */
export class FakeVolumeFiles implements VolumeFiles {
  files = new Map<
    string,
    { sizeBytes?: number | undefined; backing?: string | undefined; copyOf?: string | undefined }
  >();
  free = 100 * 1024 ** 3;
  failNext: Error | undefined;
  private fail(): void {
    const e = this.failNext;
    this.failNext = undefined;
    if (e) throw e;
  }
  createBlank(volumeId: string, sizeBytes: number): Promise<string> {
    this.fail();
    const path = `/fake/volumes/${volumeId}.qcow2`;
    this.files.set(path, { sizeBytes });
    return Promise.resolve(path);
  }
  createOverlay(volumeId: string, backing: string, sizeBytes?: number): Promise<string> {
    this.fail();
    const path = `/fake/volumes/${volumeId}.qcow2`;
    this.files.set(path, { sizeBytes, backing });
    return Promise.resolve(path);
  }
  remove(path: string): Promise<void> {
    this.files.delete(path);
    return Promise.resolve();
  }
  freeBytes(): Promise<number> {
    return Promise.resolve(this.free);
  }
  resize(path: string, sizeBytes: number): Promise<void> {
    const f = this.files.get(path);
    if (!f) return Promise.reject(new Error(`no such file ${path}`));
    this.files.set(path, { ...f, sizeBytes });
    return Promise.resolve();
  }
  snapshotPath(snapshotId: string): string {
    return `/fake/volumes/${snapshotId}.qcow2`;
  }
  copyFlat(source: string, snapshotId: string): Promise<string> {
    this.fail();
    const from = this.files.get(source);
    if (!from) return Promise.reject(new Error(`no such file ${source}`));
    const path = this.snapshotPath(snapshotId);
    this.files.set(path, { sizeBytes: from.sizeBytes, copyOf: source });
    return Promise.resolve(path);
  }
  createSnapshotTarget(snapshotId: string, sizeBytes: number): Promise<string> {
    this.fail();
    const path = this.snapshotPath(snapshotId);
    this.files.set(path, { sizeBytes });
    return Promise.resolve(path);
  }
  allocatedBytes(path: string): Promise<number> {
    return Promise.resolve(this.files.has(path) ? 1024 ** 2 : 0);
  }
}

/** What is plugged into which VM; `holdOn` names volumes whose guest never lets go. */
export class FakeGuestDisks implements GuestDisks {
  plugged = new Map<string, Set<string>>();
  holdOn = new Set<string>();
  failNextPlug: Error | undefined;
  /** The I/O limits each plugged or re-limited volume has now. */
  throttles = new Map<string, DiskThrottle>();
  plug(runtime: VmRuntime, disk: GuestDisk): Promise<void> {
    const e = this.failNextPlug;
    this.failNextPlug = undefined;
    if (e) return Promise.reject(e);
    const set = this.plugged.get(runtime.instanceId) ?? new Set<string>();
    set.add(disk.volumeId);
    this.plugged.set(runtime.instanceId, set);
    this.throttles.set(disk.volumeId, disk.throttle);
    return Promise.resolve();
  }
  setThrottle(
    _runtime: VmRuntime,
    disk: { volumeId: string; root: boolean },
    throttle: DiskThrottle,
  ): Promise<void> {
    this.throttles.set(disk.volumeId, throttle);
    return Promise.resolve();
  }
  /** Online resizes: [instance, volume, bytes]. */
  resizes: [string, string, number][] = [];
  resize(runtime: VmRuntime, disk: { volumeId: string }, sizeBytes: number): Promise<void> {
    this.resizes.push([runtime.instanceId, disk.volumeId, sizeBytes]);
    return Promise.resolve();
  }
  /** Live backups made: [instance, volume, target]. */
  backups: [string, string, string][] = [];
  failNextBackup: Error | undefined;
  backup(
    runtime: VmRuntime,
    disk: { volumeId: string; root: boolean },
    targetPath: string,
    onProgress: (percent: number) => void,
  ): Promise<void> {
    const e = this.failNextBackup;
    this.failNextBackup = undefined;
    if (e) return Promise.reject(e);
    onProgress(50);
    this.backups.push([runtime.instanceId, disk.volumeId, targetPath]);
    return Promise.resolve();
  }
  unplug(runtime: VmRuntime, volumeId: string): Promise<boolean> {
    if (this.holdOn.has(volumeId)) return Promise.resolve(false);
    this.plugged.get(runtime.instanceId)?.delete(volumeId);
    return Promise.resolve(true);
  }
}

export type FakeStorageDeps = StorageDeps & {
  volumes: FakeVolumeRepository;
  snapshots: FakeSnapshotRepository;
  files: FakeVolumeFiles;
  guestDisks: FakeGuestDisks;
};

/** Storage wired with fakes, sharing compute's instances, images, locks and clock. */
export function fakeStorageDeps(shared: {
  uow: UnitOfWork;
  volumes: FakeVolumeRepository;
  snapshots: FakeSnapshotRepository;
  instances: InstanceRepository;
  images: ImageRepository;
  locks: KeyedMutex;
  clock: Clock;
}): FakeStorageDeps {
  return {
    ...shared,
    files: new FakeVolumeFiles(),
    guestDisks: new FakeGuestDisks(),
    logger: silentLogger,
    settings: {
      availabilityZone: 'kumo-local-1a',
      detachTimeoutMs: 1_000,
      reserveBytes: 1024 ** 3,
    },
  };
}
