import type { Instance } from '../gen/kumo/v1/instances.js';

/**
 * The instance waiters of `aws ec2 wait`: which state ends the wait, and which states mean it can
 * never end (a terminated instance never runs again), so the CLI fails at once instead of polling
 * until the timeout.
 */
export interface Waiter {
  /** aws' waiter name, used in messages ("Waiter InstanceRunning failed: ..."). */
  readonly name: string;
  readonly target: string;
  readonly hopeless: readonly string[];
}

export const WAITERS: Readonly<Record<string, Waiter>> = {
  'instance-running': {
    name: 'InstanceRunning',
    target: 'running',
    hopeless: ['shutting-down', 'terminated'],
  },
  'instance-stopped': {
    name: 'InstanceStopped',
    target: 'stopped',
    hopeless: ['shutting-down', 'terminated'],
  },
  'instance-terminated': { name: 'InstanceTerminated', target: 'terminated', hopeless: [] },
};

/** What one poll found. */
export type WaitVerdict =
  | { readonly kind: 'done' }
  | { readonly kind: 'waiting'; readonly pending: string }
  | { readonly kind: 'failed'; readonly message: string };

const stateOf = (i: Instance): string => i.state?.name ?? 'unknown';

/** Judges one DescribeInstances answer for `ids`: done, still waiting (on what), or hopeless. */
export function judgeWait(
  waiter: Waiter,
  ids: readonly string[],
  instances: readonly Instance[],
): WaitVerdict {
  const byId = new Map(instances.map((i) => [i.instanceId, i]));
  const pending: string[] = [];
  for (const id of ids) {
    const instance = byId.get(id);
    if (instance === undefined) {
      pending.push(`${id} (not found yet)`);
      continue;
    }
    const state = stateOf(instance);
    if (state === waiter.target) continue;
    if (waiter.hopeless.includes(state)) {
      const reason = instance.stateReason?.message ? ` (${instance.stateReason.message})` : '';
      return {
        kind: 'failed',
        message: `Waiter ${waiter.name} failed: ${id} is ${state}${reason} and can no longer become ${waiter.target}`,
      };
    }
    pending.push(`${id} (${state})`);
  }
  return pending.length === 0 ? { kind: 'done' } : { kind: 'waiting', pending: pending.join(', ') };
}
