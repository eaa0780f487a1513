import type { Command } from 'commander';
import { DescribeInstancesRequest } from '../../gen/kumo/v1/instances.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { ServiceCallError, UsageError } from '../errors.js';
import { toPascalCase } from '../pascal-case.js';
import { DESCRIBE_INSTANCES_INPUT, type CommandInput } from '../request-shapes.js';
import { parseFilters } from '../structured-params.js';
import { runWaiter, type WaitReporter } from '../waiter-loop.js';
import { WAITERS, type PollOutcome, type WaiterDefinition } from '../waiters.js';

/** kumo's timing (botocore: every 15 s, 40 times): guests start in seconds here. */
const POLL_INTERVAL_MS = 2_000;
/** botocore's 40 attempts of 15 s. */
const DEFAULT_TIMEOUT_S = 600;

interface WaitOptions {
  instanceIds?: string[];
  filters?: string[];
  timeout?: string;
}

/** How `kumo wait` polls one EC2 operation and describes what it found. */
interface Poller {
  readonly input: CommandInput;
  /** One call; the EC2-shaped response, as the acceptors read it. */
  readonly call: (ctx: CliContext, o: WaitOptions) => Promise<unknown>;
  readonly report: WaitReporter;
}

interface InstanceView {
  InstanceId?: string;
  State?: { Name?: string };
  StateReason?: { Message?: string };
}

const instancesIn = (response: unknown): InstanceView[] =>
  ((response as { Reservations?: { Instances?: InstanceView[] }[] }).Reservations ?? []).flatMap(
    (r) => r.Instances ?? [],
  );

const DESCRIBE_INSTANCES: Poller = {
  input: DESCRIBE_INSTANCES_INPUT,
  call: async (ctx, o) => {
    const c = ctx.clients.instances;
    const request = DescribeInstancesRequest.fromPartial({
      instanceIds: o.instanceIds ?? [],
      filters: parseFilters(o.filters),
    });
    return toPascalCase(await ctx.call('DescribeInstances', c.describeInstances.bind(c), request));
  },
  report: {
    failed: (response, expected) => {
      const matched = instancesIn(response)
        .filter((i) => i.State?.Name === expected)
        .map((i) => {
          const reason = i.StateReason?.Message ? ` (${i.StateReason.Message})` : '';
          return `${i.InstanceId} is ${i.State?.Name}${reason}`;
        });
      return matched.length > 0 ? matched.join(', ') : `an instance is ${String(expected)}`;
    },
    pending: (response) => {
      const all = instancesIn(response).map((i) => `${i.InstanceId} (${i.State?.Name})`);
      return all.length > 0 ? all.join(', ') : 'an instance to match';
    },
  },
};

/**
 * The operations kumo can poll. DescribeInstanceStatus (#5) belongs here once kumod serves it:
 * instance-status-ok and system-status-ok then appear on their own, since their acceptors are
 * already in WAITERS.
 */
const POLLERS: Readonly<Record<string, Poller>> = { DescribeInstances: DESCRIBE_INSTANCES };

/** botocore's name to aws-cli's command: InstanceStatusOk -> instance-status-ok. */
const waiterCommandName = (name: string): string =>
  name.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();

/** What ends each wait successfully, in the help; the rest of the line comes from the acceptors. */
const GOALS: Readonly<Record<string, string>> = {
  InstanceExists: 'at least one instance matches',
  InstanceRunning: 'every matching instance is running',
  InstanceStopped: 'every matching instance is stopped',
  InstanceTerminated: 'every matching instance is terminated',
};

/** `Wait until ...; fails at once on pending or terminated; retries InvalidInstanceID.NotFound`. */
function helpLine(name: string, waiter: WaiterDefinition): string {
  const list = (values: unknown[]) =>
    values.length > 1
      ? `${values.slice(0, -1).join(', ')} or ${String(values.at(-1))}`
      : values.join('');
  const failures = waiter.acceptors.filter((a) => a.state === 'failure').map((a) => a.expected);
  const retried = waiter.acceptors.filter((a) => a.state === 'retry' && a.matcher === 'error');
  return [
    `Wait until ${GOALS[name] ?? name}`,
    ...(failures.length > 0 ? [`fails at once on ${list(failures)}`] : []),
    ...(retried.length > 0 ? [`retries ${list(retried.map((a) => a.expected))}`] : []),
  ].join('; ');
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_S;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`Invalid --timeout '${value}' (expected a number of seconds above 0)`);
  return seconds;
}

/** The poll as an outcome: an EC2 error is something acceptors judge, not a crash. */
async function outcomeOf(call: () => Promise<unknown>): Promise<PollOutcome> {
  try {
    return { response: await call() };
  } catch (e) {
    // Without an EC2 code the call never reached kumod: report that as any other command does.
    if (e instanceof ServiceCallError && e.ec2Code !== undefined)
      return { error: { code: e.ec2Code, message: e.message } };
    throw e;
  }
}

/** `kumo wait instance-running|instance-stopped|...`, as `aws ec2 wait`. */
export function registerWaitCommands(program: Command, ctx: CliContext): void {
  const wait = program
    .command('wait')
    .description(
      `Wait until instances reach a state (aws ec2 wait); kumo polls every ${POLL_INTERVAL_MS / 1000} s`,
    );
  for (const [name, waiter] of Object.entries(WAITERS)) {
    const poller = POLLERS[waiter.operation];
    if (poller === undefined) continue;
    withCliInput(wait.command(waiterCommandName(name)), poller.input)
      .description(helpLine(name, waiter))
      .option('--instance-ids <ids...>', 'instance ids (default: every instance the filters match)')
      .option('--filters <filter...>', 'Name=instance-state-name,Values=running or JSON')
      .option(
        '--timeout <seconds>',
        `kumo extension: give up after this long (default ${DEFAULT_TIMEOUT_S}, aws' 40 polls of 15 s)`,
      )
      .action(async (o: WaitOptions) => {
        // --generate-cli-skeleton output: show what one poll returns, as aws does.
        if (ctx.sampleResponses) return ctx.print(waiter.operation, await poller.call(ctx, o));
        await runWaiter(name, waiter, () => outcomeOf(() => poller.call(ctx, o)), poller.report, {
          pollIntervalMs: POLL_INTERVAL_MS,
          timeoutS: parseTimeout(o.timeout),
        });
      });
  }
}
