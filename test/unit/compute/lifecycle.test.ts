import { describe, expect, it } from 'vitest';
import { reconcileAll } from '../../../src/compute/instance-reconciler.js';
import {
  modifyInstanceType,
  rebootInstances,
  startInstances,
  stopInstances,
  terminateInstances,
} from '../../../src/compute/instance-lifecycle.js';
import { runInstances } from '../../../src/compute/run-instances.js';
import { describeInstances } from '../../../src/compute/describe-instances.js';
import { fakeComputeDeps, type FakeComputeDeps } from '../../fakes/compute-deps.js';

async function launched(d: FakeComputeDeps) {
  const [i] = await runInstances(d, { minCount: 1, maxCount: 1 });
  await reconcileAll(d);
  return d.instances.get(i!.id)!;
}

describe('instance lifecycle', () => {
  it('goes pending -> running once QEMU runs', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    expect(i.state).toBe('running');
    expect(i.stateReason).toBeUndefined();
  });

  it('stops with ACPI first, then forces after the timeout', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const [change] = await stopInstances(d, [i.id], false);
    expect(change).toEqual({ instanceId: i.id, previous: 'running', current: 'stopping' });
    const vm = d.hypervisor.vmOf(i.id)!;
    expect(vm.powerDowns).toBe(1);
    await reconcileAll(d);
    expect(d.instances.get(i.id)?.state).toBe('stopping');
    d.clock.advance(60_000);
    await reconcileAll(d);
    const stopped = d.instances.get(i.id)!;
    expect(stopped.state).toBe('stopped');
    expect(stopped.stateReason?.code).toBe('Client.UserInitiatedShutdown');
    expect(d.hypervisor.running()).toBe(0);
    expect(d.network.ports.size).toBe(0);
    expect(stopped.rootDisk).toBeDefined();
  });

  it('finishes a stop as soon as the guest powers off', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    await stopInstances(d, [i.id], false);
    d.hypervisor.vmOf(i.id)!.status = 'guest-shutdown';
    await reconcileAll(d);
    expect(d.instances.get(i.id)?.state).toBe('stopped');
  });

  it('force-stops at once with --force', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    await stopInstances(d, [i.id], true);
    expect(d.hypervisor.running()).toBe(0);
    await reconcileAll(d);
    expect(d.instances.get(i.id)?.state).toBe('stopped');
  });

  it('a poweroff inside the guest ends as stopped with Client.InstanceInitiatedShutdown', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    d.hypervisor.vmOf(i.id)!.status = 'guest-shutdown';
    await reconcileAll(d);
    const s = d.instances.get(i.id)!;
    expect(s.state).toBe('stopped');
    expect(s.stateReason?.code).toBe('Client.InstanceInitiatedShutdown');
    expect(d.hypervisor.running()).toBe(0);
  });

  it('a QEMU crash ends as stopped with a reason that says so', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const pid = i.runtime!.pid;
    d.hypervisor.vmOf(i.id)!.status = 'gone';
    await reconcileAll(d);
    const s = d.instances.get(i.id)!;
    expect(s.state).toBe('stopped');
    expect(s.stateReason?.message).toMatch(/QEMU process exited unexpectedly/);
    // What the dead process held (its cgroup) is released too.
    expect(d.hypervisor.released).toContain(pid);
  });

  it('starts a stopped instance again with the same disk and addresses', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    await stopInstances(d, [i.id], true);
    await reconcileAll(d);
    const [change] = await startInstances(d, [i.id]);
    expect(change?.current).toBe('pending');
    await reconcileAll(d);
    const s = d.instances.get(i.id)!;
    expect(s.state).toBe('running');
    expect(s.rootDisk).toBe(i.rootDisk);
    expect(s.network).toEqual(i.network);
  });

  it('terminates: VM gone, disk deleted, visible for the retention period, then purged', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    const [change] = await terminateInstances(d, [i.id]);
    expect(change?.current).toBe('shutting-down');
    await reconcileAll(d);
    expect(d.instances.get(i.id)?.state).toBe('terminated');
    expect(d.storage.files.files.size).toBe(0);
    expect(d.hypervisor.running()).toBe(0);
    d.clock.advance(3_599_000);
    await reconcileAll(d);
    expect(d.instances.get(i.id)).toBeDefined();
    d.clock.advance(2_000);
    await reconcileAll(d);
    expect(d.instances.get(i.id)).toBeUndefined();
  });

  it('refuses to start a terminated instance', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    await terminateInstances(d, [i.id]);
    await reconcileAll(d);
    await expect(startInstances(d, [i.id])).rejects.toMatchObject({
      code: 'IncorrectInstanceState',
    });
  });

  it('changes the instance type only while stopped', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    await expect(modifyInstanceType(d, i.id, 't3.small')).rejects.toMatchObject({
      code: 'IncorrectInstanceState',
    });
    await stopInstances(d, [i.id], true);
    await reconcileAll(d);
    await modifyInstanceType(d, i.id, 't3.small');
    await startInstances(d, [i.id]);
    expect(d.hypervisor.vmOf(i.id)?.spec.memoryMib).toBe(2048);
  });

  it('reboots only running instances', async () => {
    const d = fakeComputeDeps();
    const i = await launched(d);
    await rebootInstances(d, [i.id]);
    expect(d.hypervisor.vmOf(i.id)?.reboots).toBe(1);
    await stopInstances(d, [i.id], true);
    await expect(rebootInstances(d, [i.id])).rejects.toMatchObject({
      code: 'IncorrectInstanceState',
    });
  });

  it('describes with filters and fails on unknown or malformed ids', async () => {
    const d = fakeComputeDeps();
    const a = await launched(d);
    const [b] = await runInstances(d, {
      minCount: 1,
      maxCount: 1,
      instanceType: 't3.small',
      tagSpecifications: [{ resourceType: 'instance', tags: [{ key: 'Name', value: 'web' }] }],
    });
    const names = (f: { name: string; values: string[] }[]) =>
      describeInstances(d.instances, [], f).map((i) => i.id);
    expect(names([{ name: 'instance-type', values: ['t3.small'] }])).toEqual([b!.id]);
    expect(names([{ name: 'tag:Name', values: ['w*'] }])).toEqual([b!.id]);
    expect(names([{ name: 'instance-state-name', values: ['running'] }])).toEqual([a.id]);
    expect(() => describeInstances(d.instances, ['i-00000000000000000'], [])).toThrow(
      /does not exist/,
    );
    expect(() => describeInstances(d.instances, ['i-xyz'], [])).toThrow(/Invalid id/);
    expect(() => describeInstances(d.instances, [], [{ name: 'bogus', values: ['x'] }])).toThrow(
      /filter 'bogus'/,
    );
    // Also when there is nothing to match against.
    expect(() =>
      describeInstances(fakeComputeDeps().instances, [], [{ name: 'bogus', values: ['x'] }]),
    ).toThrow(/filter 'bogus'/);
    expect(
      describeInstances(fakeComputeDeps().instances, [], [{ name: 'tag:x', values: ['y'] }]),
    ).toEqual([]);
  });
});
