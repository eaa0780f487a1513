import type { Command } from 'commander';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { ServiceCallError, UsageError } from '../errors.js';
import { inModelOrder } from '../output-order.js';
import { RESOURCE_POLLERS } from '../resource-pollers.js';
import { POLLERS, type Poller, type WaitOptions } from '../wait-pollers.js';
import { runWaiter } from '../waiter-loop.js';
import { WAITERS, type PollOutcome, type WaiterDefinition } from '../waiters.js';

/** kumo's timing (botocore: every 15 s, 40 times): guests start in seconds here. */
const POLL_INTERVAL_MS = 2_000;
/** botocore's 40 attempts of 15 s. */
const DEFAULT_TIMEOUT_S = 600;

/** botocore's name to aws-cli's command: InstanceStatusOk -> instance-status-ok. */
const waiterCommandName = (name: string): string =>
  name.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();

/** What ends each wait successfully, in the help; the rest of the line comes from the acceptors. */
const GOALS: Readonly<Record<string, string>> = {
  InstanceExists: 'at least one instance matches',
  InstanceRunning: 'every matching instance is running',
  InstanceStopped: 'every matching instance is stopped',
  InstanceTerminated: 'every matching instance is terminated',
  InstanceStatusOk: "every matching running instance's instance status is ok",
  SystemStatusOk: "every matching running instance's system status is ok",
  ImageAvailable: 'every matching image is available',
  ImageExists: 'at least one image matches',
  VolumeAvailable: 'every matching volume is available',
  VolumeDeleted: 'every matching volume is deleted (gone)',
  VolumeInUse: 'every matching volume is in use',
  SnapshotCompleted: 'every matching snapshot is completed',
  KeyPairExists: 'at least one key pair matches',
  SecurityGroupExists: 'at least one security group matches',
  VpcAvailable: 'every matching VPC is available',
  VpcExists: 'DescribeVpcs answers (the VPCs exist)',
  SubnetAvailable: 'every matching subnet is available',
};

/** Every poller, by the EC2 operation a waiter polls. */
const ALL_POLLERS: Readonly<Record<string, Poller>> = { ...POLLERS, ...RESOURCE_POLLERS };

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
      `Wait until instances, images, volumes, snapshots, key pairs or groups reach a state (aws ec2 wait); kumo polls every ${POLL_INTERVAL_MS / 1000} s`,
    );
  for (const [name, waiter] of Object.entries(WAITERS)) {
    const poller = ALL_POLLERS[waiter.operation];
    // Every waiter in WAITERS polls an operation kumod serves; one without a poller is a bug here.
    if (poller === undefined) throw new Error(`No poller for ${waiter.operation} (${name})`);
    const command = withCliInput(wait.command(waiterCommandName(name)), poller.input)
      .description(helpLine(name, waiter))
      .option(poller.ids.flag, poller.ids.help)
      .option('--filters <filter...>', 'Name=NAME,Values=V1,V2 or JSON');
    poller
      .addOptions(command)
      .option(
        '--timeout <seconds>',
        `kumo extension: give up after this long (default ${DEFAULT_TIMEOUT_S}, aws' 40 polls of 15 s)`,
      )
      .action(async (o: WaitOptions) => {
        // --generate-cli-skeleton output: show what one poll returns, as aws does.
        if (ctx.sampleResponses) {
          const sample = await poller.call(ctx, o);
          return ctx.printShaped(waiter.operation, inModelOrder(waiter.operation, sample));
        }
        await runWaiter(name, waiter, () => outcomeOf(() => poller.call(ctx, o)), poller.report, {
          pollIntervalMs: POLL_INTERVAL_MS,
          timeoutS: parseTimeout(o.timeout),
        });
      });
  }
}
