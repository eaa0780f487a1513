import type { ComputeDeps, ComputeSettings } from '../../src/compute/deps.js';
import type { Image } from '../../src/compute/image.js';
import { DEFAULT_INSTANCE_STORE_POLICY } from '../../src/compute/instance-store.js';
import type { Clock } from '../../src/core/clock.js';
import { KeyedMutex } from '../../src/core/keyed-mutex.js';
import { silentLogger } from '../../src/core/logger.js';
import { InstanceVolumes } from '../../src/storage/instance-volumes.js';
import { FakeHypervisor, FakeNetwork, FakeSeeds } from './fake-host.js';
import {
  FakeImageRepository,
  FakeInstanceRepository,
  FakeKeyPairRepository,
  FakeUnitOfWork,
} from './in-memory-repositories.js';
import {
  fakeStorageDeps,
  FakeSnapshotRepository,
  FakeVolumeRepository,
  type FakeStorageDeps,
} from './storage-deps.js';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const TINY_IMAGE: Image = {
  id: 'ami-0123456789abcdef0',
  name: 'kumo-tiny',
  description: 'test image',
  architecture: 'x86_64',
  kernelPath: '/img/vmlinuz',
  initrdPath: '/img/initrd.img',
  diskPath: '/img/disk.qcow2',
  kernelCmdline: 'console=ttyS0',
  defaultUser: 'root',
  sizeBytes: 1,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  sourceHash: 'h',
};

export type FakeComputeDeps = ComputeDeps & {
  instances: FakeInstanceRepository;
  images: FakeImageRepository;
  keyPairs: FakeKeyPairRepository;
  hypervisor: FakeHypervisor;
  rootDisks: InstanceVolumes;
  /** The storage domain behind rootDisks, on the same repositories, locks and clock. */
  storage: FakeStorageDeps;
  network: FakeNetwork;
  seeds: FakeSeeds;
  clock: ManualClock;
  /** Every wake-up the use-cases asked for. */
  wakes: { instanceId: string; afterMs: number }[];
};

/** ComputeDeps wired entirely with fakes: 8 vCPUs and 8 GiB of capacity, the tiny image registered. */
/** Fakes for every port; `settings` overrides some of the defaults. */
export function fakeComputeDeps(o: { settings?: Partial<ComputeSettings> } = {}): FakeComputeDeps {
  const images = new FakeImageRepository();
  images.put(TINY_IMAGE);
  const instances = new FakeInstanceRepository();
  const keyPairs = new FakeKeyPairRepository();
  const wakes: { instanceId: string; afterMs: number }[] = [];
  const volumes = new FakeVolumeRepository();
  const snapshots = new FakeSnapshotRepository();
  const uow = new FakeUnitOfWork(instances, images, keyPairs, volumes, snapshots);
  const locks = new KeyedMutex();
  const clock = new ManualClock();
  const storage = fakeStorageDeps({ uow, volumes, snapshots, instances, images, locks, clock });
  return {
    uow,
    instances,
    images,
    keyPairs,
    hypervisor: new FakeHypervisor(),
    rootDisks: new InstanceVolumes(storage),
    storage,
    network: new FakeNetwork(),
    seeds: new FakeSeeds(),
    capacity: { vcpus: 8, memoryMib: 8192 },
    clock,
    logger: silentLogger,
    locks,
    wakes,
    wake: (instanceId, afterMs) => wakes.push({ instanceId, afterMs }),
    settings: {
      stopTimeoutMs: 60_000,
      rebootTimeoutMs: 60_000,
      terminatedRetentionMs: 3_600_000,
      launchTimeoutMs: 60_000,
      accel: 'tcg',
      instanceStore: DEFAULT_INSTANCE_STORE_POLICY,
      dnsDomain: 'kumo.internal',
      ...o.settings,
    },
  };
}
