import { describe, expect, it } from 'vitest';
import { reconcileAll } from '../../../src/compute/instance-reconciler.js';
import { startInstances, stopInstances } from '../../../src/compute/instance-lifecycle.js';
import type { VmRuntime } from '../../../src/compute/instance.js';
import type { VmSpec } from '../../../src/compute/ports.js';
import { runInstances } from '../../../src/compute/run-instances.js';
import { KumoError } from '../../../src/core/errors.js';
import { fakeComputeDeps } from '../../fakes/compute-deps.js';

const one = { minCount: 1, maxCount: 1 };

/** A promise whose resolution the test controls. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('launch', () => {
  it('does the VPC-wide network work once for --count N', async () => {
    const d = fakeComputeDeps();
    await runInstances(d, { minCount: 4, maxCount: 4 });
    expect(d.network.plugCalls).toEqual([4]);
    expect(d.network.ports.size).toBe(4);
  });

  it('undoes everything when the network cannot be plugged: no disk, VM or row', async () => {
    const d = fakeComputeDeps();
    d.network.failNextPlug = new Error('ip: boom');
    await expect(runInstances(d, { minCount: 2, maxCount: 2 })).rejects.toThrow('ip: boom');
    expect(d.instances.list()).toEqual([]);
    expect(d.storage.files.files.size).toBe(0);
    expect(d.hypervisor.running()).toBe(0);
    expect(d.network.ports.size).toBe(0); // the port made before the failure went too
    expect(d.network.syncs).toHaveLength(1);
  });

  it('holds the capacity lock only for the decision: a second launch lands while the first starts', async () => {
    const d = fakeComputeDeps();
    const slow = gate();
    const realStart = d.hypervisor.start.bind(d.hypervisor);
    let starts = 0;
    d.hypervisor.start = async (spec: VmSpec, record: (rt: VmRuntime) => void) => {
      if (++starts === 1) await slow.wait;
      return realStart(spec, record);
    };
    const first = runInstances(d, one);
    const second = await runInstances(d, one);
    expect(second).toHaveLength(1);
    expect(d.instances.list().map((i) => i.state)).toEqual(['pending', 'pending']);
    slow.open();
    expect(await first).toHaveLength(1);
  });

  it('counts instances that are still launching against capacity', async () => {
    const d = fakeComputeDeps(); // 8 vCPUs: four t3.micro (2 vCPUs each)
    const slow = gate();
    const realStart = d.hypervisor.start.bind(d.hypervisor);
    d.hypervisor.start = async (spec: VmSpec, record: (rt: VmRuntime) => void) => {
      await slow.wait;
      return realStart(spec, record);
    };
    const launching = runInstances(d, { minCount: 4, maxCount: 4 });
    await expect(runInstances(d, one)).rejects.toMatchObject({
      code: 'InsufficientInstanceCapacity',
    });
    slow.open();
    await launching;
  });

  it('records the VM before it runs guest code, and launched only once it is confined and resumed', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    expect(d.hypervisor.recorded[0]).toMatchObject({ instanceId: i!.id, launched: false });
    expect(d.instances.get(i!.id)?.runtime?.launched).toBe(true);
  });

  it('answers a dry run with DryRunOperation and creates nothing', async () => {
    const d = fakeComputeDeps();
    const e = await runInstances(d, { ...one, dryRun: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KumoError);
    expect((e as KumoError).code).toBe('DryRunOperation');
    expect(d.instances.list()).toEqual([]);
    // A dry run still validates: a bad request gets its own error, not DryRunOperation.
    const bad = await runInstances(d, { ...one, instanceType: 'x1.nope', dryRun: true }).catch(
      (x: unknown) => x,
    );
    expect((bad as KumoError).code).toBe('InvalidParameterValue');
  });

  it('a failed start ends stopped with the reason, and no VM or port is left', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    await reconcileAll(d);
    await stopInstances(d, [i!.id], true);
    await reconcileAll(d);
    d.hypervisor.failNextStart = new Error('qemu: could not open disk');
    await expect(startInstances(d, [i!.id])).rejects.toThrow('could not open disk');
    const after = d.instances.get(i!.id)!;
    expect(after.state).toBe('stopped');
    expect(after.stateReason?.code).toBe('Server.InternalError');
    expect(after.runtime).toBeUndefined();
    expect(d.hypervisor.running()).toBe(0);
    expect(d.network.ports.size).toBe(0);
    expect(after.rootDisk).toBeDefined();
  });
});

describe('recovery of launches kumod was killed in', () => {
  it('leaves a launch in flight alone during normal passes', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    const half = { ...d.instances.get(i!.id)!, state: 'pending' as const, runtime: undefined };
    d.instances.put(half);
    await reconcileAll(d);
    expect(d.instances.get(i!.id)?.runtime).toBeUndefined();
    expect(d.hypervisor.recorded).toHaveLength(1);
  });

  it('at start-up kills the half-started QEMU and launches again', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    const first = d.hypervisor.recorded[0]!;
    // As a kill -9 after the spawn leaves it: pending, runtime recorded but never launched.
    d.instances.put({ ...d.instances.get(i!.id)!, state: 'pending', runtime: first });
    await reconcileAll(d, true);
    expect(d.hypervisor.released).toContain(first.pid);
    const after = d.instances.get(i!.id)!;
    expect(after.state).toBe('running');
    expect(after.runtime?.pid).not.toBe(first.pid);
    expect(d.hypervisor.running()).toBe(1);
  });

  it('at start-up launches a pending instance that never reached QEMU', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    await reconcileAll(d);
    await stopInstances(d, [i!.id], true);
    await reconcileAll(d);
    d.instances.put({ ...d.instances.get(i!.id)!, state: 'pending', runtime: undefined });
    await reconcileAll(d, true);
    expect(d.instances.get(i!.id)?.state).toBe('running');
    expect(d.hypervisor.running()).toBe(1);
  });
});

describe('stop timeout', () => {
  it('asks to be woken when the ACPI grace period ends', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    await reconcileAll(d);
    await stopInstances(d, [i!.id], false);
    expect(d.wakes).toContainEqual({ instanceId: i!.id, afterMs: 60_000 });
  });
});

describe('healing a running instance whose port was lost', () => {
  it('restarts its VM at start-up (disk and addresses kept), and leaves it alone otherwise', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    await reconcileAll(d);
    const before = d.instances.get(i!.id)!;
    // A normal start-up heal: the port is there, the VM is left alone.
    await reconcileAll(d, true);
    expect(d.instances.get(i!.id)?.runtime?.pid).toBe(before.runtime?.pid);
    // The tap was deleted while kumod was away: heal makes a new one the VM is not connected to.
    d.network.lostPorts.add(i!.id);
    await reconcileAll(d, true);
    const after = d.instances.get(i!.id)!;
    expect(d.hypervisor.released).toContain(before.runtime!.pid);
    expect(after.state).toBe('running');
    expect(after.runtime?.pid).not.toBe(before.runtime?.pid);
    expect(after.rootDisk).toBe(before.rootDisk);
    expect(after.network).toEqual(before.network);
    expect(d.hypervisor.running()).toBe(1);
  });
});

describe('rules before guests run', () => {
  it('resumes no guest before the rules are in, and undoes the launch when they fail', async () => {
    const d = fakeComputeDeps();
    const [i] = await runInstances(d, one);
    expect(d.network.activated.has(i!.id)).toBe(true);

    d.network.failNextActivate = new Error('iptables-restore: boom');
    await expect(runInstances(d, { minCount: 2, maxCount: 2 })).rejects.toThrow('boom');
    expect(d.instances.list()).toHaveLength(1);
    expect(d.hypervisor.running()).toBe(1);
    expect(d.network.ports.size).toBe(1);
  });
});
