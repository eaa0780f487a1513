import type { InstanceType } from './instance-types.js';

/**
 * How EC2's instance-store sizes (tens to hundreds of GB of NVMe) become tmpfs scratch disks on a
 * host whose RAM holds them: EC2's size times `scale`, capped at `maxMib` per instance. The same
 * numbers decide the disk the guest sees, the memory it is charged against host capacity and the
 * room its QEMU's memory limit leaves for it (decision 0021).
 */
export interface InstanceStorePolicy {
  /** Fraction of EC2's size that kumo gives (0.02: a 75 GB m5d.large store becomes 1430 MiB). */
  readonly scale: number;
  /** Largest store of one instance, in MiB. */
  readonly maxMib: number;
}

export const DEFAULT_INSTANCE_STORE_POLICY: InstanceStorePolicy = { scale: 0.02, maxMib: 4096 };

const BYTES_PER_GB = 1e9;
const BYTES_PER_MIB = 1024 * 1024;

/** The instance store a type gets under the policy, in MiB (0 when the type has none). */
export function instanceStoreMib(type: InstanceType, policy: InstanceStorePolicy): number {
  if (type.instanceStoreGb <= 0) return 0;
  const scaled = Math.floor((type.instanceStoreGb * BYTES_PER_GB * policy.scale) / BYTES_PER_MIB);
  // A type that has instance store always gets a disk the guest can see, however small the scale.
  return Math.max(1, Math.min(policy.maxMib, scaled));
}

/** Host memory an instance of this type holds while it runs: its RAM and its instance store. */
export function memoryDemandMib(type: InstanceType, policy: InstanceStorePolicy): number {
  return type.memoryMib + instanceStoreMib(type, policy);
}
