import type { Logger } from './logger.js';

/**
 * The undo half of a multi-step change. Each step that changed something registers its undo right
 * after it succeeds (check, act, verify, then `add`), so the undo sits next to the step in the
 * code; on failure `unwind` runs the undos newest first. An undo that fails is logged and the
 * others still run: a rollback does as much as it can, and never hides the original error.
 */
export class Rollback {
  private readonly undos: { readonly what: string; readonly undo: () => Promise<void> }[] = [];

  constructor(private readonly logger: Logger) {}

  add(what: string, undo: () => Promise<void>): void {
    this.undos.push({ what, undo });
  }

  /** How many undos are waiting (for tests and logs). */
  get size(): number {
    return this.undos.length;
  }

  async unwind(): Promise<void> {
    for (const { what, undo } of this.undos.splice(0).reverse()) {
      try {
        await undo();
      } catch (e) {
        this.logger.error('rollback step failed', { step: what, error: String(e) });
      }
    }
  }
}

/**
 * Runs `fn`; if it throws, undoes every step it registered (newest first) and rethrows. On success
 * the undos are dropped: the change is complete.
 */
export async function withRollback<T>(
  logger: Logger,
  fn: (rollback: Rollback) => Promise<T>,
): Promise<T> {
  const rollback = new Rollback(logger);
  try {
    return await fn(rollback);
  } catch (e) {
    await rollback.unwind();
    throw e;
  }
}
