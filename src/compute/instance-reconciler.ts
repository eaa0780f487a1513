import type { ComputeDeps } from './deps.js';
import { bringDown, launch } from './instance-launcher.js';
import { REASONS, type Instance, type StateReason } from './instance.js';

/**
 * Makes the host match each instance's recorded state, one idempotent step at a time. Driven by
 * events (QEMU's, via the hypervisor's watch, and the API's kicks) plus a slow safety sweep, not
 * by polling; at start-up it also runs with `heal`, which re-plugs the network of running
 * instances and finishes or redoes launches a killed kumod left half-done. Never deletes user
 * data to recover.
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
        return reconcilePending(deps, i, heal);
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

async function reconcilePending(deps: ComputeDeps, i: Instance, heal: boolean): Promise<void> {
  if (!i.runtime?.launched) {
    // While kumod runs, a launch belongs to the API call that started it (RunInstances or
    // StartInstances), which finishes it or undoes it. Only at start-up (heal) is a half-done
    // launch an orphan: kumod was killed in the middle of it. Whatever QEMU it left (paused, maybe
    // outside its cgroup) goes, then the launch is done again from the start.
    if (!heal) return;
    if (i.runtime) {
      deps.logger.warn('killing the QEMU of an interrupted launch', {
        instanceId: i.id,
        pid: i.runtime.pid,
      });
      await deps.hypervisor.kill(i.runtime);
    }
    const fresh = { ...i, runtime: undefined };
    deps.instances.put(fresh);
    deps.logger.info('redoing a launch that kumod was interrupted in', { instanceId: i.id });
    try {
      await launch(deps, [fresh]);
    } catch (e) {
      deps.logger.error('launch failed', { instanceId: i.id, error: String(e) });
      await toStopped(deps, deps.instances.get(i.id) ?? fresh, REASONS.launchFailed);
      return;
    }
    return reconcilePending(deps, deps.instances.get(i.id) ?? fresh, false);
  }
  const status = await deps.hypervisor.inspect(i.runtime);
  if (status === 'running') {
    await deps.hypervisor.watch(i.runtime);
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
  await deps.hypervisor.watch(i.runtime);
  if (!heal) return;
  const port = (await deps.network.plug([i.id])).get(i.id);
  await deps.network.activate([i.id]);
  if (port?.created) await restartForLostPort(deps, i);
}

/**
 * The instance's port vanished while kumod was away (a tap deleted by hand): the one just made
 * is not connected to the running QEMU, which still holds the old one. Like EC2 recovering an
 * instance from a failed host, the VM is restarted (disk, addresses and id kept) so that it
 * comes back on a working port.
 */
async function restartForLostPort(deps: ComputeDeps, i: Instance): Promise<void> {
  deps.logger.warn('the network port of a running instance was lost; restarting its VM', {
    instanceId: i.id,
  });
  if (i.runtime) await deps.hypervisor.kill(i.runtime);
  const restarting: Instance = {
    ...i,
    state: 'pending',
    stateReason: REASONS.portLost,
    runtime: undefined,
    launchTime: deps.clock.now(),
  };
  deps.instances.put(restarting);
  try {
    await launch(deps, [restarting]);
  } catch (e) {
    deps.logger.error('could not restart the instance', { instanceId: i.id, error: String(e) });
    await toStopped(deps, deps.instances.get(i.id) ?? restarting, REASONS.launchFailed);
    return;
  }
  await reconcilePending(deps, deps.instances.get(i.id) ?? restarting, false);
}

async function reconcileStopping(deps: ComputeDeps, i: Instance): Promise<void> {
  const reason = i.stateReason ?? REASONS.userStop;
  if (!i.runtime) return toStopped(deps, i, reason);
  const status = await deps.hypervisor.inspect(i.runtime);
  if (status === 'gone') return toStopped(deps, i, reason);
  if (status === 'guest-shutdown') return toStopped(deps, i, reason);
  await deps.hypervisor.watch(i.runtime);
  const sentAt = i.runtime.powerDownSentAt;
  if (!sentAt) {
    await deps.hypervisor.powerDown(i.runtime);
    deps.instances.put({
      ...i,
      runtime: { ...i.runtime, powerDownSentAt: deps.clock.now().toISOString() },
    });
    deps.wake(i.id, deps.settings.stopTimeoutMs);
    return;
  }
  const waited = deps.clock.now().getTime() - Date.parse(sentAt);
  if (waited >= deps.settings.stopTimeoutMs) {
    deps.logger.warn('guest did not power down in time; forcing the stop', { instanceId: i.id });
    await toStopped(deps, i, reason);
  } else {
    deps.wake(i.id, deps.settings.stopTimeoutMs - waited);
  }
}

async function reconcileShuttingDown(deps: ComputeDeps, i: Instance): Promise<void> {
  const down = await bringDown(deps, i);
  // Volumes with DeleteOnTermination (the root's default) go; the others become available.
  await deps.rootDisks.terminate(i.id);
  await deps.hypervisor.removeVariableStore?.(i.id);
  // The seed holds the user data and goes with the instance (a stop keeps it; a start rewrites it).
  await deps.seeds.remove(i.id);
  const terminated: Instance = {
    ...down,
    rootDisk: undefined,
    state: 'terminated',
    terminatedAt: deps.clock.now(),
  };
  // The row and the interface's release land together: its addresses are free from now on.
  deps.uow.run(() => {
    deps.instances.put(terminated);
    deps.network.release([i.id]);
  });
  deps.wake(i.id, deps.settings.terminatedRetentionMs);
  // The image may have been deregistered while this root disk kept it.
  await deps.onRootDiskGone?.(i.imageId);
  if (i.network) await deps.network.sync(i.network.vpcId);
  deps.logger.info('instance terminated', { instanceId: i.id });
}

async function reconcileTerminated(deps: ComputeDeps, i: Instance): Promise<void> {
  const since = i.terminatedAt?.getTime() ?? 0;
  if (deps.clock.now().getTime() - since < deps.settings.terminatedRetentionMs) return;
  await deps.hypervisor.removeArtifacts(i.id);
  deps.instances.delete(i.id);
}
