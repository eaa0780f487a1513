/**
 * What the storage domain needs from the outside world. Adapters: src/state (the volume
 * repository), src/host (qemu-img files, QMP hot-plug). Instances are compute's: storage reads them
 * through compute's repository and acts on a running one's QEMU through GuestDisks.
 */
import type { VmRuntime } from '../compute/instance.js';
import type { DiskThrottle } from '../compute/ports.js';
import type { Snapshot } from './snapshot.js';
import type { Volume } from './volume.js';

export interface VolumeRepository {
  get(id: string): Volume | undefined;
  list(): Volume[];
  /** Volumes attached (in any attachment state) to an instance. */
  byInstance(instanceId: string): Volume[];
  put(volume: Volume): void;
  delete(id: string): void;
}

export interface SnapshotRepository {
  get(id: string): Snapshot | undefined;
  list(): Snapshot[];
  put(snapshot: Snapshot): void;
  delete(id: string): void;
}

/** Volume files (qcow2) under the state directory. Every call has a deadline. */
export interface VolumeFiles {
  /** A blank, thin qcow2 of `sizeBytes`. Nothing is left behind on failure. */
  createBlank(volumeId: string, sizeBytes: number): Promise<string>;
  /**
   * A copy-on-write overlay on `backing` (an image or a snapshot): O(1) whatever its size, grown
   * to `sizeBytes` when that is larger than the backing file's virtual size.
   */
  createOverlay(volumeId: string, backing: string, sizeBytes?: number): Promise<string>;
  remove(path: string): Promise<void>;
  /**
   * A self-contained copy of `source` (its backing chain flattened) as the snapshot's file, made
   * under a temporary name and renamed when complete: never a half-made snapshot file.
   */
  copyFlat(source: string, snapshotId: string): Promise<string>;
  /** An empty qcow2 of `sizeBytes` for the snapshot (the target of a live backup). */
  createSnapshotTarget(snapshotId: string, sizeBytes: number): Promise<string>;
  /** Where a snapshot's file is (or would be). */
  snapshotPath(snapshotId: string): string;
  /** Bytes a file takes on disk (its allocated size), for free-space checks. */
  allocatedBytes(path: string): Promise<number>;
  /** Grows a volume that no running QEMU has open (qemu-img resize). */
  resize(path: string, sizeBytes: number): Promise<void>;
  /** Bytes free on the file system that holds the volumes. */
  freeBytes(): Promise<number>;
}

/** A disk as QEMU attaches it. */
export interface GuestDisk {
  readonly volumeId: string;
  readonly path: string;
  /** The volume type's I/O limits, in force before the guest's first I/O on the disk. */
  readonly throttle: DiskThrottle;
}

/** Hot-plug into a running QEMU (QMP blockdev-add + device_add, and back). */
export interface GuestDisks {
  /** Adds the disk to the running guest; on failure no block node or device is left. */
  plug(runtime: VmRuntime, disk: GuestDisk): Promise<void>;
  /**
   * Asks the guest to release the disk (device_del), waits up to `timeoutMs` for QEMU's
   * DEVICE_DELETED, then drops the block node. Resolves false (nothing changed but the request)
   * when the guest did not let go in time. A disk that is not plugged counts as released.
   */
  unplug(runtime: VmRuntime, volumeId: string, timeoutMs: number): Promise<boolean>;
  /** Grows an attached disk while the guest runs (QMP block_resize); the guest sees the size. */
  resize(
    runtime: VmRuntime,
    disk: { volumeId: string; root: boolean },
    sizeBytes: number,
  ): Promise<void>;
  /** Changes an attached disk's I/O limits while the guest runs (a modified type or IOPS). */
  setThrottle(
    runtime: VmRuntime,
    disk: { volumeId: string; root: boolean },
    throttle: DiskThrottle,
  ): Promise<void>;
  /**
   * A crash-consistent copy of an attached disk while the guest runs (QMP blockdev-backup
   * sync=full into `targetPath`): the point in time is the job's start; the guest is not paused.
   * `onProgress` gets 0..100. Resolves when the copy is complete; on failure the target's block
   * node is gone (the caller removes the file).
   */
  backup(
    runtime: VmRuntime,
    disk: { volumeId: string; root: boolean },
    targetPath: string,
    onProgress: (percent: number) => void,
  ): Promise<void>;
}
