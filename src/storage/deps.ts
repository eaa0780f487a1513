import type { InstanceRepository, ImageRepository } from '../compute/ports.js';
import type { Clock } from '../core/clock.js';
import type { KeyedMutex } from '../core/keyed-mutex.js';
import type { Logger } from '../core/logger.js';
import type { UnitOfWork } from '../core/unit-of-work.js';
import type { GuestDisks, SnapshotRepository, VolumeFiles, VolumeRepository } from './ports.js';

export interface StorageSettings {
  /** The one zone of this host (volumes and instances share it). */
  readonly availabilityZone: string;
  /** How long a detach waits for the guest to release the disk. */
  readonly detachTimeoutMs: number;
  /** Free space kept back for the host: creating a volume may not leave less than this. */
  readonly reserveBytes: number;
}

/** Everything the storage use-cases are wired with (by the daemon, or by tests with fakes). */
export interface StorageDeps {
  readonly uow: UnitOfWork;
  readonly volumes: VolumeRepository;
  readonly snapshots: SnapshotRepository;
  readonly files: VolumeFiles;
  readonly guestDisks: GuestDisks;
  /** Compute's instances, read to check states and to reach a running guest's QEMU. */
  readonly instances: InstanceRepository;
  readonly images: ImageRepository;
  /** Shared with compute: an instance's lock is held while its disks change. */
  readonly locks: KeyedMutex;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: StorageSettings;
  /**
   * Images registered from a snapshot (the images domain answers; none until it does):
   * DeleteSnapshot is refused while any does.
   */
  readonly imagesUsingSnapshot?: ((snapshotId: string) => readonly string[]) | undefined;
}
