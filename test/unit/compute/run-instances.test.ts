import { describe, expect, it } from 'vitest';
import { runInstances } from '../../../src/compute/run-instances.js';
import { KumoError } from '../../../src/core/errors.js';
import { fakeComputeDeps, TINY_IMAGE } from '../../fakes/compute-deps.js';

const base = { minCount: 1, maxCount: 1 };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KumoError) return `${e.kind}/${e.code}`;
    throw e;
  }
  throw new Error('expected a KumoError');
}

describe('runInstances', () => {
  it('launches the default image with the default type when none is given', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, { ...base });
    expect(i?.imageId).toBe(TINY_IMAGE.id);
    expect(i?.instanceType).toBe('t3.micro');
    expect(i?.state).toBe('pending');
    expect(i?.runtime?.pid).toBeGreaterThan(0);
    expect(d.hypervisor.vmOf(i!.id)?.spec).toMatchObject({
      vcpus: 2,
      memoryMib: 1024,
      accel: 'tcg',
    });
    expect(d.network.ports.size).toBe(1);
  });

  it('launches count instances in one reservation with launch indexes', async () => {
    const d = fakeComputeDeps();
    const out = await runInstances(d, { minCount: 2, maxCount: 2 });
    expect(out.map((i) => i.launchIndex)).toEqual([0, 1]);
    expect(new Set(out.map((i) => i.reservationId)).size).toBe(1);
    expect(new Set(out.map((i) => i.network?.privateIp)).size).toBe(2);
  });

  it.each([
    [{ imageId: 'ami-nope' }, 'InvalidArgument/InvalidAMIID.Malformed'],
    [{ imageId: 'ami-00000000000000000' }, 'NotFound/InvalidAMIID.NotFound'],
    [{ instanceType: 't9.huge' }, 'InvalidArgument/InvalidParameterValue'],
    [{ keyName: 'missing' }, 'NotFound/InvalidKeyPair.NotFound'],
    [{ minCount: 0, maxCount: 0 }, 'InvalidArgument/InvalidParameterValue'],
    [{ minCount: 3, maxCount: 2 }, 'InvalidArgument/InvalidParameterValue'],
    [{ userData: new Uint8Array(16 * 1024 + 1) }, 'InvalidArgument/InvalidParameterValue'],
    [
      { tagSpecifications: [{ resourceType: 'volume', tags: [] }] },
      'InvalidArgument/InvalidParameterValue',
    ],
    [
      { tagSpecifications: [{ resourceType: 'instance', tags: [{ key: 'aws:x', value: '' }] }] },
      'InvalidArgument/InvalidParameterValue',
    ],
  ])('refuses %j with %s and creates nothing', async (input, expected) => {
    const d = fakeComputeDeps();
    expect(await codeOf(runInstances(d, { ...base, ...input }))).toBe(expected);
    expect(d.instances.list()).toEqual([]);
    expect(d.hypervisor.running()).toBe(0);
  });

  it('accepts exactly 16 KiB of user-data', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, { ...base, userData: new Uint8Array(16 * 1024) });
    expect(i?.userData?.length).toBe(16384);
  });

  it('refuses a launch past capacity with InsufficientInstanceCapacity', async () => {
    const d = fakeComputeDeps(); // 8 vCPUs: four t3.micro
    expect(await codeOf(runInstances(d, { minCount: 5, maxCount: 5 }))).toBe(
      'ResourceExhausted/InsufficientInstanceCapacity',
    );
    expect(d.instances.list()).toEqual([]);
  });

  it('launches as many as fit between MinCount and MaxCount', async () => {
    const d = fakeComputeDeps();
    expect(await runInstances(d, { minCount: 1, maxCount: 10 })).toHaveLength(4);
  });

  it('returns the same instances for a repeated client token and refuses other parameters', async () => {
    const d = fakeComputeDeps();
    const first = await runInstances(d, { ...base, clientToken: 'tok-1' });
    const again = await runInstances(d, { ...base, clientToken: 'tok-1' });
    expect(again.map((i) => i.id)).toEqual(first.map((i) => i.id));
    expect(d.instances.list()).toHaveLength(1);
    expect(
      await codeOf(runInstances(d, { ...base, clientToken: 'tok-1', instanceType: 't3.small' })),
    ).toBe('InvalidArgument/IdempotentParameterMismatch');
  });

  it('rolls a failed launch back completely: no VM, tap, disk or row', async () => {
    const d = fakeComputeDeps();
    d.hypervisor.failNextStart = undefined;
    let starts = 0;
    const realStart = d.hypervisor.start.bind(d.hypervisor);
    d.hypervisor.start = (spec, record) =>
      ++starts === 2 ? Promise.reject(new Error('qemu: boom')) : realStart(spec, record);
    await expect(runInstances(d, { minCount: 2, maxCount: 2 })).rejects.toThrow('qemu: boom');
    expect(d.instances.list()).toEqual([]);
    expect(d.hypervisor.running()).toBe(0);
    expect(d.network.ports.size).toBe(0);
    expect(d.storage.files.files.size).toBe(0);
  });
});

describe('messages that echo input', () => {
  it('cut what they echo: a 9000-character instance type or key name stays a short message', async () => {
    const d = fakeComputeDeps();
    for (const input of [{ instanceType: 't'.repeat(9000) }, { keyName: 'k'.repeat(9000) }]) {
      const e = await runInstances(d, { ...base, ...input }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KumoError);
      expect((e as KumoError).message.length).toBeLessThan(400);
    }
  });
});
