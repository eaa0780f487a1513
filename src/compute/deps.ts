import type { Clock } from '../core/clock.js';
import type { KeyedMutex } from '../core/keyed-mutex.js';
import type { Logger } from '../core/logger.js';
import type { UnitOfWork } from '../core/unit-of-work.js';
import type { InstanceStorePolicy } from './instance-store.js';
import type { CloudInitSeeds } from './nocloud-seed.js';
import type {
  Accelerator,
  HostCapacity,
  Hypervisor,
  ImageRepository,
  InstanceNetwork,
  InstanceRepository,
  KeyPairRepository,
  RootDisks,
} from './ports.js';

/** Tunables of the instance lifecycle. */
export interface ComputeSettings {
  /** How long a stop waits for the guest's ACPI power-down before forcing it off. */
  readonly stopTimeoutMs: number;
  /** How long a reboot waits for the guest's soft reboot before a hard reset. */
  readonly rebootTimeoutMs: number;
  /** How long terminated instances stay visible (EC2: about an hour). */
  readonly terminatedRetentionMs: number;
  /** How long one launch (disks, network, QEMU up and confined) may take before it is undone. */
  readonly launchTimeoutMs: number;
  readonly accel: Accelerator;
  /** How instance-store sizes scale down to tmpfs (decision 0021). */
  readonly instanceStore: InstanceStorePolicy;
  /** The domain of private DNS names (ip-172-31-0-4.<domain>), as DHCP and IMDS give them. */
  readonly dnsDomain: string;
}

/** Asks for an instance to be reconciled again after a delay (a stop timeout, a purge). */
export type WakeUp = (instanceId: string, afterMs: number) => void;

/** Everything the compute use-cases are wired with (by the daemon, or by tests with fakes). */
export interface ComputeDeps {
  /** Makes writes across repositories atomic. */
  readonly uow: UnitOfWork;
  readonly instances: InstanceRepository;
  readonly images: ImageRepository;
  readonly keyPairs: KeyPairRepository;
  readonly hypervisor: Hypervisor;
  readonly rootDisks: RootDisks;
  readonly network: InstanceNetwork;
  /** NoCloud seed images (run-instances --cloud-init-seed nocloud). */
  readonly seeds: CloudInitSeeds;
  readonly capacity: HostCapacity;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly locks: KeyedMutex;
  readonly wake: WakeUp;
  readonly settings: ComputeSettings;
  /** Told when a terminated instance's root disk is gone, so a deregistered image can go too. */
  readonly onRootDiskGone?: ((imageId: string) => Promise<void>) | undefined;
}
