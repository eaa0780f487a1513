import type { ComputeDeps } from '../compute/deps.js';
import { reconcileAll, reconcileInstance } from '../compute/instance-reconciler.js';

/** Drives the reconciler: a steady tick plus immediate passes for instances the API just changed. */
export class ReconcilerLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: ComputeDeps,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const tick = (): void => {
      this.running ??= reconcileAll(this.deps).finally(() => {
        this.running = undefined;
      });
    };
    this.timer = setInterval(tick, this.intervalMs);
  }

  kick(ids: readonly string[]): void {
    for (const id of ids) {
      setTimeout(() => {
        reconcileInstance(this.deps, id).catch((e: unknown) =>
          this.deps.logger.error('reconcile failed', { instanceId: id, error: String(e) }),
        );
      }, 50);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
