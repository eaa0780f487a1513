import { describe, expect, it } from 'vitest';
import { recoverAfterHostReboot } from '../../../src/compute/host-reboot.js';
import { reconcileAll } from '../../../src/compute/instance-reconciler.js';
import { stopInstances } from '../../../src/compute/instance-lifecycle.js';
import type { HostFacts } from '../../../src/compute/ports.js';
import { runInstances } from '../../../src/compute/run-instances.js';
import { fakeComputeDeps } from '../../fakes/compute-deps.js';

class MemoryFacts implements HostFacts {
  readonly facts = new Map<string, string>();
  get(key: string) {
    return this.facts.get(key);
  }
  set(key: string, value: string) {
    this.facts.set(key, value);
  }
}

/** Two running instances and a stopped one, on a host whose boot id kumod recorded as boot-1. */
async function hostWithInstances() {
  const d = fakeComputeDeps();
  const hostFacts = new MemoryFacts();
  recoverAfterHostReboot({ ...d, hostFacts }, 'boot-1');
  const ids = (await runInstances(d, { minCount: 3, maxCount: 3 })).map((i) => i.id);
  await reconcileAll(d);
  await stopInstances(d, [ids[2]!], true);
  await reconcileAll(d);
  return { d, hostFacts, ids };
}

describe('recoverAfterHostReboot', () => {
  it('changes nothing when kumod restarts on the same boot', async () => {
    const { d, hostFacts } = await hostWithInstances();
    const before = d.instances.list();
    expect(recoverAfterHostReboot({ ...d, hostFacts }, 'boot-1')).toEqual([]);
    expect(d.instances.list()).toEqual(before);
  });

  it('after a reboot, starts what was running again and leaves stopped instances stopped', async () => {
    const { d, hostFacts, ids } = await hostWithInstances();
    const [a, b, stopped] = ids as [string, string, string];
    const oldPids = [a, b].map((id) => d.instances.get(id)!.runtime!.pid);
    // The reboot: every VM of the previous boot is gone.
    for (const vm of d.hypervisor.vms.values()) vm.status = 'gone';

    expect(recoverAfterHostReboot({ ...d, hostFacts }, 'boot-2')).toEqual([a, b]);
    expect(d.instances.get(a)!.state).toBe('pending');
    expect(d.instances.get(a)!.stateReason?.code).toBe('Server.HostRestart');
    expect(d.instances.get(a)!.runtime).toBeUndefined();
    expect(hostFacts.get('boot-id')).toBe('boot-2');

    await reconcileAll(d, true);
    await reconcileAll(d, true);
    for (const id of [a, b]) {
      const i = d.instances.get(id)!;
      expect(i.state).toBe('running');
      expect(oldPids).not.toContain(i.runtime!.pid);
    }
    expect(d.instances.get(stopped)!.state).toBe('stopped');
    expect(d.hypervisor.running()).toBe(2);
  });

  it('records the boot id on first start without touching anything', () => {
    const d = fakeComputeDeps();
    const hostFacts = new MemoryFacts();
    expect(recoverAfterHostReboot({ ...d, hostFacts }, 'boot-9')).toEqual([]);
    expect(hostFacts.get('boot-id')).toBe('boot-9');
  });
});
