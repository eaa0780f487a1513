import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { DescribeInstancesRequest } from '../../gen/kumo/v1/instances.js';
import type { CliContext } from '../context.js';
import { CliFailure, UsageError } from '../errors.js';
import { judgeWait, WAITERS, type Waiter } from '../waiters.js';

/** How often a waiter polls DescribeInstances. */
const POLL_INTERVAL_MS = 2_000;
const DEFAULT_TIMEOUT_S = 600;

function parseTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_S;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`Invalid --timeout '${value}' (expected a number of seconds above 0)`);
  return seconds;
}

async function waitFor(
  ctx: CliContext,
  waiter: Waiter,
  ids: readonly string[],
  timeoutS: number,
): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  const request = DescribeInstancesRequest.fromPartial({ instanceIds: [...ids] });
  for (;;) {
    const c = ctx.clients.instances;
    const res = await ctx.call('DescribeInstances', c.describeInstances.bind(c), request);
    const verdict = judgeWait(
      waiter,
      ids,
      res.reservations.flatMap((r) => r.instances),
    );
    if (verdict.kind === 'done') return;
    if (verdict.kind === 'failed') throw new CliFailure(verdict.message);
    if (Date.now() + POLL_INTERVAL_MS > deadline)
      throw new CliFailure(
        `Waiter ${waiter.name} failed: timed out after ${timeoutS} s; still waiting for ${verdict.pending}`,
      );
    await sleep(POLL_INTERVAL_MS);
  }
}

/** `kumo wait instance-running|instance-stopped|instance-terminated --instance-ids ...`. */
export function registerWaitCommands(program: Command, ctx: CliContext): void {
  const wait = program
    .command('wait')
    .description('Wait until instances reach a state (like aws ec2 wait)');
  for (const [name, waiter] of Object.entries(WAITERS)) {
    wait
      .command(name)
      .description(`Wait until every instance is ${waiter.target}`)
      .requiredOption('--instance-ids <ids...>', 'instance ids')
      .option('--timeout <seconds>', `give up after this long (default ${DEFAULT_TIMEOUT_S})`)
      .action(async (o: { instanceIds: string[]; timeout?: string }) => {
        await waitFor(ctx, waiter, o.instanceIds, parseTimeout(o.timeout));
      });
  }
}
