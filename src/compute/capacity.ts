import { insufficientCapacity } from '../core/errors.js';
import { holdsCapacity, type Instance } from './instance.js';
import { findInstanceType } from './instance-types.js';
import type { HostCapacity } from './ports.js';

export interface Usage {
  readonly vcpus: number;
  readonly memoryMib: number;
}

/** vCPUs and memory held by instances that are (or are about to be) running. */
export function usage(instances: readonly Instance[]): Usage {
  let vcpus = 0;
  let memoryMib = 0;
  for (const i of instances) {
    if (!holdsCapacity(i.state)) continue;
    const t = findInstanceType(i.instanceType);
    vcpus += t?.vcpus ?? 0;
    memoryMib += t?.memoryMib ?? 0;
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
      `Not enough capacity for ${what}: it needs ${extra.vcpus} vCPUs and ${extra.memoryMib} MiB; ` +
        `${Math.max(0, capacity.vcpus - current.vcpus)} vCPUs and ` +
        `${Math.max(0, capacity.memoryMib - current.memoryMib)} MiB are free. ` +
        'Stop or terminate instances, choose a smaller instance type or launch fewer.',
    );
  }
}
