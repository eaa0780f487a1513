import type { ComputeDeps } from './deps.js';
import { bringDown, bringUp } from './instance-launcher.js';
import { REASONS, type Instance, type StateReason } from './instance.js';

/**
 * Makes the host match each instance's recorded state, one idempotent step at a time. Runs every
 * tick and at start-up (with `heal`, which also re-plugs the network of running instances, so a
 * host reboot or a crashed kumod heals). Never deletes user data to recover.
 */
export async function reconcileAll(deps: ComputeDeps, heal = false): Promise<void> {
  for (const i of deps.instances.list()) {
    try {
      await reconcileInstance(deps, i.id, heal);
    } catch (e) {
      deps.logger.error('reconcile failed', { instanceId: i.id, state: i.state, error: String(e) });
    }
  }
}

export function reconcileInstance(deps: ComputeDeps, id: string, heal = false): Promise<void> {
  return deps.locks.run(id, async () => {
    const i = deps.instances.get(id);
    if (!i) return;
    switch (i.state) {
      case 'pending':
        return reconcilePending(deps, i);
      case 'running':
        return reconcileRunning(deps, i, heal);
      case 'stopping':
        return reconcileStopping(deps, i);
      case 'shutting-down':
        return reconcileShuttingDown(deps, i);
      case 'stopped':
        if (i.runtime) deps.instances.put(await bringDown(deps, i));
        return;
      case 'terminated':
        return reconcileTerminated(deps, i);
    }
  });
}

async function toStopped(deps: ComputeDeps, i: Instance, reason: StateReason): Promise<void> {
  // bringDown also when QEMU is already gone: the hypervisor still releases what the process
  // held (its cgroup), and it checks pid + start time, so it never signals a reused pid.
  const down = await bringDown(deps, i);
  deps.instances.put({ ...down, state: 'stopped', stateReason: reason });
  deps.logger.info('instance stopped', { instanceId: i.id, reason: reason.code });
}

async function reconcilePending(deps: ComputeDeps, i: Instance): Promise<void> {
  if (!i.runtime) {
    // kumod went away between writing "pending" and starting QEMU: finish the launch now.
    try {
      deps.instances.put(await bringUp(deps, i));
    } catch (e) {
      deps.logger.error('launch failed', { instanceId: i.id, error: String(e) });
      await toStopped(deps, i, REASONS.launchFailed);
    }
    return;
  }
  const status = await deps.hypervisor.inspect(i.runtime);
  if (status === 'running') {
    deps.instances.put({ ...i, state: 'running', stateReason: undefined });
    deps.logger.info('instance running', { instanceId: i.id });
  } else if (status === 'gone') {
    await toStopped(deps, i, REASONS.crashed);
  } else if (status === 'guest-shutdown') {
    await toStopped(deps, i, REASONS.guestStop);
  }
}

async function reconcileRunning(deps: ComputeDeps, i: Instance, heal: boolean): Promise<void> {
  if (!i.runtime) return toStopped(deps, i, REASONS.crashed);
  const status = await deps.hypervisor.inspect(i.runtime);
  if (status === 'gone') return toStopped(deps, i, REASONS.crashed);
  if (status === 'guest-shutdown') return toStopped(deps, i, REASONS.guestStop);
  if (heal) await deps.network.plug(i);
}

async function reconcileStopping(deps: ComputeDeps, i: Instance): Promise<void> {
  const reason = i.stateReason ?? REASONS.userStop;
  if (!i.runtime) return toStopped(deps, i, reason);
  const status = await deps.hypervisor.inspect(i.runtime);
  if (status === 'gone') return toStopped(deps, i, reason);
  if (status === 'guest-shutdown') return toStopped(deps, i, reason);
  const sentAt = i.runtime.powerDownSentAt;
  if (!sentAt) {
    await deps.hypervisor.powerDown(i.runtime);
    deps.instances.put({
      ...i,
      runtime: { ...i.runtime, powerDownSentAt: deps.clock.now().toISOString() },
    });
    return;
  }
  if (deps.clock.now().getTime() - Date.parse(sentAt) >= deps.settings.stopTimeoutMs) {
    deps.logger.warn('guest did not power down in time; forcing the stop', { instanceId: i.id });
    await toStopped(deps, i, reason);
  }
}

async function reconcileShuttingDown(deps: ComputeDeps, i: Instance): Promise<void> {
  const down = await bringDown(deps, i);
  // The root disk is deleted on termination, as EC2 does with DeleteOnTermination (the default).
  if (down.rootDisk) await deps.rootDisks.remove(down.rootDisk);
  const terminated: Instance = {
    ...down,
    rootDisk: undefined,
    state: 'terminated',
    terminatedAt: deps.clock.now(),
  };
  deps.instances.put(terminated);
  if (i.network) await deps.network.sync(i.network.vpcId);
  deps.logger.info('instance terminated', { instanceId: i.id });
}

async function reconcileTerminated(deps: ComputeDeps, i: Instance): Promise<void> {
  const since = i.terminatedAt?.getTime() ?? 0;
  if (deps.clock.now().getTime() - since < deps.settings.terminatedRetentionMs) return;
  await deps.hypervisor.removeArtifacts(i.id);
  deps.instances.delete(i.id);
}
