import { describe, expect, it } from 'vitest';
import { demand, usage } from '../../../src/compute/capacity.js';
import {
  DEFAULT_INSTANCE_STORE_POLICY,
  instanceStoreMib,
} from '../../../src/compute/instance-store.js';
import { findInstanceType } from '../../../src/compute/instance-types.js';
import { runInstances } from '../../../src/compute/run-instances.js';
import { KumoError } from '../../../src/core/errors.js';
import { fakeComputeDeps } from '../../fakes/compute-deps.js';

const type = (name: string) => {
  const t = findInstanceType(name);
  if (!t) throw new Error(`no type ${name}`);
  return t;
};

describe('instance store sizing policy', () => {
  it("scales EC2's decimal GB down to MiB, capped per instance", () => {
    // 75 GB x 0.02 = 1.5e9 bytes = 1430.5 MiB, rounded down.
    expect(instanceStoreMib(type('m5d.large'), DEFAULT_INSTANCE_STORE_POLICY)).toBe(1430);
    // 300 GB x 0.02 = 5722 MiB: above the 4096 MiB cap.
    expect(instanceStoreMib(type('m5d.2xlarge'), DEFAULT_INSTANCE_STORE_POLICY)).toBe(4096);
    expect(instanceStoreMib(type('c5d.large'), { scale: 0.002, maxMib: 4096 })).toBe(95);
  });

  it('gives no store to types without one, and at least 1 MiB to types with one', () => {
    expect(instanceStoreMib(type('t3.micro'), { scale: 1, maxMib: 1 << 20 })).toBe(0);
    expect(instanceStoreMib(type('c5d.large'), { scale: 0, maxMib: 4096 })).toBe(1);
  });

  it("counts the store in an instance's memory demand and in the host's usage", () => {
    const policy = { scale: 0.02, maxMib: 4096 };
    expect(demand(type('c5d.large'), policy)).toEqual({ vcpus: 2, memoryMib: 4096 + 953 });
    expect(demand(type('c5.large'), policy)).toEqual({ vcpus: 2, memoryMib: 4096 });
    const running = { state: 'running', instanceType: 'c5d.large' } as const;
    const stopped = { state: 'stopped', instanceType: 'c5d.large' } as const;
    expect(usage([running, stopped] as never, policy)).toEqual({ vcpus: 2, memoryMib: 5049 });
  });
});

describe('launching a type with instance store', () => {
  it('gives the VM its scaled store', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, { minCount: 1, maxCount: 1, instanceType: 'c5d.large' });
    expect(d.hypervisor.vmOf(i!.id)?.spec.instanceStoreMib).toBe(953);
  });

  it('refuses with InsufficientInstanceCapacity when RAM fits but RAM plus store does not', async () => {
    // 8192 MiB of capacity: one c5d.large needs 4096 MiB of RAM; a 4096 MiB store breaks it.
    const d = fakeComputeDeps({ settings: { instanceStore: { scale: 1, maxMib: 4097 } } });
    const error = await runInstances(d, {
      minCount: 1,
      maxCount: 1,
      instanceType: 'c5d.large',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KumoError);
    expect((error as KumoError).code).toBe('InsufficientInstanceCapacity');
    expect((error as KumoError).message).toContain('8193 MiB (memory and instance store)');
    expect(d.instances.list()).toEqual([]);
  });
});
