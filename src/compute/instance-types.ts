import { invalidParameter, listed } from '../core/errors.js';
import { applyFilters, type Filter } from '../core/tags.js';

/** One EC2 instance type as kumo runs it: the guest's vCPUs and memory, and its instance store. */
export interface InstanceType {
  readonly name: string;
  readonly vcpus: number;
  readonly memoryMib: number;
  /** Instance store (tmpfs scratch disk) in GB; 0 when the type has none. */
  readonly instanceStoreGb: number;
}

const GIB = 1024;

/** Same names and shapes as EC2 (vCPUs, memory; instance store for the *d families). */
const CATALOGUE: readonly InstanceType[] = [
  ['t3.nano', 2, 0.5],
  ['t3.micro', 2, 1],
  ['t3.small', 2, 2],
  ['t3.medium', 2, 4],
  ['t3.large', 2, 8],
  ['t3.xlarge', 4, 16],
  ['t3.2xlarge', 8, 32],
  ['m5.large', 2, 8],
  ['m5.xlarge', 4, 16],
  ['m5.2xlarge', 8, 32],
  ['m5.4xlarge', 16, 64],
  ['c5.large', 2, 4],
  ['c5.xlarge', 4, 8],
  ['c5.2xlarge', 8, 16],
  ['c5.4xlarge', 16, 32],
  ['r5.large', 2, 16],
  ['r5.xlarge', 4, 32],
  ['r5.2xlarge', 8, 64],
  ['m5d.large', 2, 8, 75],
  ['m5d.xlarge', 4, 16, 150],
  ['m5d.2xlarge', 8, 32, 300],
  ['c5d.large', 2, 4, 50],
  ['c5d.xlarge', 4, 8, 100],
  ['c5d.2xlarge', 8, 16, 200],
].map(([name, vcpus, memGib, storeGb]) => ({
  name: name as string,
  vcpus: vcpus as number,
  memoryMib: Math.round((memGib as number) * GIB),
  instanceStoreGb: (storeGb as number | undefined) ?? 0,
}));

const BY_NAME = new Map(CATALOGUE.map((t) => [t.name, t]));

export function allInstanceTypes(): readonly InstanceType[] {
  return CATALOGUE;
}

export function findInstanceType(name: string): InstanceType | undefined {
  return BY_NAME.get(name);
}

export const DEFAULT_INSTANCE_TYPE = 't3.micro';

/** DescribeInstanceTypes: by names (all must exist) and filters. */
export function describeInstanceTypes(
  names: readonly string[],
  filters: readonly Filter[],
): InstanceType[] {
  const unknown = names.filter((n) => !BY_NAME.has(n));
  if (unknown.length > 0) {
    throw invalidParameter(
      `The following supplied instance types do not exist: [${listed(unknown)}]; see kumo describe-instance-types`,
      'InvalidInstanceType',
    );
  }
  const base = names.length > 0 ? CATALOGUE.filter((t) => names.includes(t.name)) : CATALOGUE;
  return applyFilters(base, filters, {
    fields: {
      'instance-type': (t) => [t.name],
      'vcpu-info.default-vcpus': (t) => [String(t.vcpus)],
      'memory-info.size-in-mib': (t) => [String(t.memoryMib)],
      'instance-storage-supported': (t) => [String(t.instanceStoreGb > 0)],
      // Every type kumo offers is a current EC2 generation.
      'current-generation': () => ['true'],
    },
  });
}
