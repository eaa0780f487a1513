import { dryRunOperation, incorrectState, invalidParameter, quoted } from '../core/errors.js';
import { assertId } from '../core/ids.js';
import { assertFits, demand, usage } from './capacity.js';
import type { ComputeDeps } from './deps.js';
import { getInstances } from './describe-instances.js';
import { launch } from './instance-launcher.js';
import { REASONS, type Instance, type InstanceStateName } from './instance.js';
import { findInstanceType } from './instance-types.js';

export interface StateChange {
  readonly instanceId: string;
  readonly previous: InstanceStateName;
  readonly current: InstanceStateName;
}

/** Options every mutating use-case takes. */
export interface MutationOptions {
  /** Validate only: answers DryRunOperation when the call would have been accepted. */
  readonly dryRun?: boolean | undefined;
  /** Cancels waiting work (client gone, daemon stopping). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * StartInstances: stopped -> pending (QEMU started now) -> running; running is a no-op. The
 * capacity check and the move to pending happen together under the capacity lock; the VMs then
 * start in parallel outside it, each under its own instance lock.
 */
export async function startInstances(
  deps: ComputeDeps,
  ids: readonly string[],
  options: MutationOptions = {},
): Promise<StateChange[]> {
  const instances = getInstances(deps.instances, ids);
  for (const i of instances) {
    if (i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending') {
      throw incorrectState(
        `The instance '${i.id}' is ${i.state} and cannot be started; only stopped instances can be started`,
      );
    }
  }
  if (options.dryRun) throw dryRunOperation();
  const pending = await deps.locks.run('capacity', () => {
    const toStart = instances
      .map((i) => deps.instances.get(i.id) ?? i)
      .filter((i) => i.state === 'stopped');
    const store = deps.settings.instanceStore;
    const extra = toStart.reduce(
      (u, i) => {
        const d = demand(findInstanceType(i.instanceType), store);
        return { vcpus: u.vcpus + d.vcpus, memoryMib: u.memoryMib + d.memoryMib };
      },
      { vcpus: 0, memoryMib: 0 },
    );
    assertFits(
      deps.capacity,
      usage(deps.instances.list(), store),
      extra,
      `starting ${toStart.length} instance(s)`,
    );
    return deps.uow.run(() =>
      toStart.map((i) => {
        // EC2's LaunchTime is the last start, not the first launch.
        const next: Instance = {
          ...i,
          state: 'pending',
          stateReason: REASONS.pending,
          stateTransitionReason: '',
          launchTime: deps.clock.now(),
        };
        deps.instances.put(next);
        return next;
      }),
    );
  });
  const results = await Promise.allSettled(
    pending.map((i) => deps.locks.run(i.id, () => startOne(deps, i, options.signal))),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const started = new Set(pending.map((i) => i.id));
  return instances.map((i) =>
    started.has(i.id)
      ? { instanceId: i.id, previous: 'stopped' as const, current: 'pending' as const }
      : { instanceId: i.id, previous: i.state, current: i.state },
  );
}

async function startOne(deps: ComputeDeps, i: Instance, signal?: AbortSignal): Promise<void> {
  try {
    await launch(deps, [i], signal);
  } catch (error) {
    deps.instances.put({
      ...(deps.instances.get(i.id) ?? i),
      state: 'stopped',
      stateReason: REASONS.launchFailed,
      runtime: undefined,
    });
    throw error;
  }
}

/** StopInstances: running -> stopping; the reconciler finishes the stop (ACPI, then force). */
export async function stopInstances(
  deps: ComputeDeps,
  ids: readonly string[],
  force: boolean,
  options: MutationOptions = {},
): Promise<StateChange[]> {
  const instances = getInstances(deps.instances, ids);
  for (const i of instances) {
    if (i.state === 'terminated' || i.state === 'shutting-down') {
      throw incorrectState(`The instance '${i.id}' is ${i.state} and cannot be stopped`);
    }
  }
  if (options.dryRun) throw dryRunOperation();
  const changes: StateChange[] = [];
  for (const original of instances) {
    changes.push(
      await deps.locks.run(original.id, async () => {
        const i = deps.instances.get(original.id) ?? original;
        const previous = i.state;
        if (i.state === 'stopped') return { instanceId: i.id, previous, current: i.state };
        if (i.state === 'stopping' && !force)
          return { instanceId: i.id, previous, current: i.state };
        let next: Instance = {
          ...i,
          state: 'stopping',
          stateReason: REASONS.userStop,
          stateTransitionReason: `User initiated (${deps.clock.now().toISOString()})`,
        };
        if (i.runtime) {
          if (force) {
            await deps.hypervisor.kill(i.runtime);
          } else {
            await deps.hypervisor.powerDown(i.runtime).catch((e: unknown) => {
              deps.logger.warn('ACPI power-down failed; the stop will be forced', {
                instanceId: i.id,
                error: String(e),
              });
            });
            next = {
              ...next,
              runtime: { ...i.runtime, powerDownSentAt: deps.clock.now().toISOString() },
            };
            // The reconciler forces the stop if the guest has not powered off by then.
            deps.wake(i.id, deps.settings.stopTimeoutMs);
          }
        }
        deps.instances.put(next);
        return { instanceId: i.id, previous, current: 'stopping' as const };
      }),
    );
  }
  return changes;
}

/** RebootInstances: soft reboot with a hard-reset fallback; only running instances. */
export async function rebootInstances(
  deps: ComputeDeps,
  ids: readonly string[],
  options: MutationOptions = {},
): Promise<void> {
  const instances = getInstances(deps.instances, ids);
  for (const i of instances) {
    if (i.state !== 'running' || !i.runtime) {
      throw incorrectState(
        `The instance '${i.id}' is ${i.state}; only running instances can be rebooted`,
      );
    }
  }
  if (options.dryRun) throw dryRunOperation();
  for (const i of instances) {
    await deps.locks.run(i.id, () => {
      const runtime = deps.instances.get(i.id)?.runtime;
      if (!runtime) return;
      // EC2 returns at once; the soft reboot and its hard-reset fallback run in the background.
      void deps.hypervisor.reboot(runtime, deps.settings.rebootTimeoutMs).catch((e: unknown) => {
        deps.logger.warn('reboot failed', { instanceId: i.id, error: String(e) });
      });
    });
  }
}

/** TerminateInstances: -> shutting-down now; the reconciler kills, cleans up and marks terminated. */
export async function terminateInstances(
  deps: ComputeDeps,
  ids: readonly string[],
  options: MutationOptions = {},
): Promise<StateChange[]> {
  const instances = getInstances(deps.instances, ids);
  if (options.dryRun) throw dryRunOperation();
  const changes: StateChange[] = [];
  for (const original of instances) {
    changes.push(
      await deps.locks.run(original.id, () => {
        const i = deps.instances.get(original.id) ?? original;
        const previous = i.state;
        if (i.state === 'terminated' || i.state === 'shutting-down') {
          return { instanceId: i.id, previous, current: i.state };
        }
        deps.instances.put({
          ...i,
          state: 'shutting-down',
          stateReason: REASONS.userTerminate,
          stateTransitionReason: `User initiated (${deps.clock.now().toISOString()})`,
        });
        return { instanceId: i.id, previous, current: 'shutting-down' as const };
      }),
    );
  }
  return changes;
}

/** ModifyInstanceAttribute --instance-type: only while stopped, as in EC2. */
export async function modifyInstanceType(
  deps: ComputeDeps,
  id: string,
  instanceType: string,
  options: MutationOptions = {},
): Promise<void> {
  assertId('i', id, 'InvalidInstanceID.Malformed');
  if (!findInstanceType(instanceType)) {
    throw invalidParameter(
      `Invalid value ${quoted(instanceType)} for InstanceType; list the types with kumo describe-instance-types`,
    );
  }
  if (options.dryRun) {
    const [i] = getInstances(deps.instances, [id]);
    if (i && i.state !== 'stopped') {
      throw incorrectState(
        `The instance '${id}' is ${i.state}; stop it first (kumo stop-instances) to change its instance type`,
      );
    }
    throw dryRunOperation();
  }
  await deps.locks.run(id, () => {
    const [i] = getInstances(deps.instances, [id]);
    if (!i) return Promise.resolve();
    if (i.state !== 'stopped') {
      throw incorrectState(
        `The instance '${id}' is ${i.state}; stop it first (kumo stop-instances) to change its instance type`,
      );
    }
    deps.instances.put({ ...i, instanceType });
    return Promise.resolve();
  });
}

/** GetConsoleOutput: the last 64 KiB of the serial console. */
export async function consoleOutput(deps: ComputeDeps, id: string): Promise<string> {
  const [i] = getInstances(deps.instances, [id]);
  if (!i) return '';
  return deps.hypervisor.consoleOutput(i.id, 64 * 1024);
}
