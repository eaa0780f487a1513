import type { ComputeDeps } from '../compute/deps.js';
import { reconcileAll, reconcileInstance } from '../compute/instance-reconciler.js';

/**
 * Drives the reconciler without polling guests: passes run when something happened (an API call,
 * a QEMU event, a timer an instance asked for) plus a slow safety sweep. An idle host with many
 * guests costs kumod nothing between sweeps.
 */
export class ReconcilerLoop {
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly wakeTimers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private deps: ComputeDeps | undefined;

  constructor(private readonly sweepIntervalMs: number) {}

  /** Starts the sweep; kicks that come earlier are dropped (the start-up heal covers them). */
  start(deps: ComputeDeps, alsoOnSweep?: () => Promise<void>): void {
    this.deps = deps;
    this.sweepTimer = setInterval(() => {
      const pass = async () => {
        await reconcileAll(deps);
        // e.g. VPC rules that failed to apply (their instances isolated meanwhile) are retried.
        await alsoOnSweep?.();
      };
      this.sweeping ??= this.track(pass()).finally(() => {
        this.sweeping = undefined;
      });
    }, this.sweepIntervalMs);
  }

  /** Reconciles these instances now. */
  kick(ids: readonly string[]): void {
    const deps = this.deps;
    if (this.stopped || !deps) return;
    for (const id of ids) {
      void this.track(
        reconcileInstance(deps, id).catch((e: unknown) =>
          deps.logger.error('reconcile failed', { instanceId: id, error: String(e) }),
        ),
      );
    }
  }

  /** Reconciles an instance after a delay (its stop timeout, its purge); one timer per instance. */
  wakeAfter(id: string, afterMs: number): void {
    // Taken before start() too: the start-up heal asks for wake-ups (stop timeouts) it must keep.
    if (this.stopped) return;
    clearTimeout(this.wakeTimers.get(id));
    const timer = setTimeout(
      () => {
        this.wakeTimers.delete(id);
        this.kick([id]);
      },
      // setTimeout's limit; a later wake-up is picked up by a sweep.
      Math.min(Math.max(0, afterMs), 2 ** 31 - 1),
    );
    timer.unref();
    this.wakeTimers.set(id, timer);
  }

  /** Stops starting passes and waits (at most `timeoutMs`) for the ones under way. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    for (const t of this.wakeTimers.values()) clearTimeout(t);
    this.wakeTimers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }
}
