import { insufficientCapacity } from '../core/errors.js';
import { holdsCapacity, type Instance } from './instance.js';
import { findInstanceType, type InstanceType } from './instance-types.js';
import { memoryDemandMib, type InstanceStorePolicy } from './instance-store.js';
import type { HostCapacity } from './ports.js';

export interface Usage {
  readonly vcpus: number;
  readonly memoryMib: number;
}

/** What one running instance of a type holds: its vCPUs, its RAM and its instance store. */
export function demand(type: InstanceType | undefined, store: InstanceStorePolicy): Usage {
  if (!type) return { vcpus: 0, memoryMib: 0 };
  return { vcpus: type.vcpus, memoryMib: memoryDemandMib(type, store) };
}

/** `n` times `u`. */
export const times = (u: Usage, n: number): Usage => ({
  vcpus: u.vcpus * n,
  memoryMib: u.memoryMib * n,
});

/** vCPUs and memory held by instances that are (or are about to be) running. */
export function usage(instances: readonly Instance[], store: InstanceStorePolicy): Usage {
  let vcpus = 0;
  let memoryMib = 0;
  for (const i of instances) {
    if (!holdsCapacity(i.state)) continue;
    const d = demand(findInstanceType(i.instanceType), store);
    vcpus += d.vcpus;
    memoryMib += d.memoryMib;
  }
  return { vcpus, memoryMib };
}

/** Throws InsufficientInstanceCapacity when `extra` does not fit next to what already runs. */
export function assertFits(
  capacity: HostCapacity,
  current: Usage,
  extra: Usage,
  what: string,
): void {
  const vcpus = current.vcpus + extra.vcpus;
  const mem = current.memoryMib + extra.memoryMib;
  if (vcpus > capacity.vcpus || mem > capacity.memoryMib) {
    throw insufficientCapacity(
      `Not enough capacity for ${what}: it needs ${extra.vcpus} vCPUs and ${extra.memoryMib} MiB (memory and instance store); ` +
        `${Math.max(0, capacity.vcpus - current.vcpus)} vCPUs and ` +
        `${Math.max(0, capacity.memoryMib - current.memoryMib)} MiB are free. ` +
        'Stop or terminate instances, choose a smaller instance type or launch fewer.',
    );
  }
}
