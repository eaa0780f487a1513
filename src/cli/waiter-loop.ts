import { setTimeout as sleep } from 'node:timers/promises';
import { CliFailure } from './errors.js';
import { decidingAcceptor, type PollOutcome, type WaiterDefinition } from './waiters.js';

/** How the resources a waiter polls are described in its messages. */
export interface WaitReporter {
  /** The resources whose value is `expected`, the value a failure acceptor matched. */
  readonly failed: (response: unknown, expected: unknown) => string;
  /** What the wait still waits for, from the last response. */
  readonly pending: (response: unknown) => string;
}

export interface WaitTiming {
  readonly pollIntervalMs: number;
  readonly timeoutS: number;
  /** Injected by tests; the real clock and timer otherwise. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

/**
 * Polls until an acceptor of `waiter` says success (resolves) or failure (rejects with a
 * one-line CliFailure at once), or time runs out; botocore's loop, with kumo's timing.
 */
export async function runWaiter(
  name: string,
  waiter: WaiterDefinition,
  poll: () => Promise<PollOutcome>,
  report: WaitReporter,
  timing: WaitTiming,
): Promise<void> {
  const now = timing.now ?? Date.now;
  const pause = timing.sleep ?? sleep;
  const deadline = now() + timing.timeoutS * 1000;
  for (;;) {
    const outcome = await poll();
    const acceptor = decidingAcceptor(waiter, outcome);
    if (acceptor?.state === 'success') return;
    if (acceptor?.state === 'failure') {
      const what =
        'error' in outcome
          ? `${outcome.error.code}: ${outcome.error.message}`
          : report.failed(outcome.response, acceptor.expected);
      throw new CliFailure(`Waiter ${name} failed: ${what}; ${name} gives up on that`);
    }
    // An error no acceptor expects ends the wait, as in botocore.
    if (acceptor === undefined && 'error' in outcome)
      throw new CliFailure(
        `Waiter ${name} failed: An error occurred (${outcome.error.code}): ${outcome.error.message}`,
      );
    if (now() + timing.pollIntervalMs > deadline) {
      const waiting =
        'error' in outcome
          ? `the last call failed with ${outcome.error.code}: ${outcome.error.message}`
          : `still waiting for ${report.pending(outcome.response)}`;
      throw new CliFailure(
        `Waiter ${name} failed: timed out after ${timing.timeoutS} s; ${waiting}`,
      );
    }
    await pause(timing.pollIntervalMs);
  }
}
