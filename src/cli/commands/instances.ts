import type { Command } from 'commander';
import {
  DescribeInstancesRequest,
  GetConsoleOutputRequest,
  RunInstancesRequest,
} from '../../gen/kumo/v1/instances.js';
import type { CliContext } from '../context.js';
import { parseCount, parseFilters, parseTagSpecifications } from '../structured-params.js';
import { loadUserData } from '../user-data.js';

/** RunInstances waits for disks and networking to be prepared, so it gets a longer deadline. */
const RUN_INSTANCES_DEADLINE_MS = 300_000;

interface RunOptions {
  imageId?: string;
  instanceType: string;
  keyName?: string;
  count: string;
  userData?: string;
  clientToken?: string;
  tagSpecifications?: string[];
  subnetId?: string;
}

/** run-instances, describe-instances, get-console-output. */
export function registerInstanceCommands(program: Command, ctx: CliContext): void {
  program
    .command('run-instances')
    .description('Launch instances (EC2 RunInstances); prints the reservation')
    .option('--image-id <id>', "image to launch (default: the daemon's default image)")
    .option('--instance-type <type>', 'instance type', 't3.micro')
    .option('--key-name <name>', 'key pair whose public key the guest accepts')
    .option('--count <n>', 'how many: N or MIN:MAX', '1')
    .option('--user-data <data>', 'user data: literal text, file://path (text) or fileb://path')
    .option('--client-token <token>', 'idempotency token')
    .option(
      '--tag-specifications <spec...>',
      'ResourceType=instance,Tags=[{Key=k,Value=v}] or JSON',
    )
    .option('--subnet-id <id>', 'subnet to launch into (default: the default subnet)')
    .action(async (o: RunOptions) => {
      const request = RunInstancesRequest.fromPartial({
        imageId: o.imageId ?? '',
        instanceType: o.instanceType,
        keyName: o.keyName ?? '',
        ...parseCount(o.count),
        userData: o.userData === undefined ? Buffer.alloc(0) : loadUserData(o.userData),
        clientToken: o.clientToken ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        subnetId: o.subnetId ?? '',
      });
      const c = ctx.clients.instances;
      const res = await ctx.call(
        'RunInstances',
        c.runInstances.bind(c),
        request,
        RUN_INSTANCES_DEADLINE_MS,
      );
      // EC2 answers RunInstances with the reservation itself, not wrapped.
      ctx.print(res.reservation ?? {});
    });

  program
    .command('describe-instances')
    .description('Describe instances (EC2 DescribeInstances)')
    .option('--instance-ids <ids...>', 'instance ids')
    .option('--filters <filter...>', 'Name=instance-state-name,Values=running,stopped or JSON')
    .action(async (o: { instanceIds?: string[]; filters?: string[] }) => {
      const request = DescribeInstancesRequest.fromPartial({
        instanceIds: o.instanceIds ?? [],
        filters: parseFilters(o.filters),
      });
      const c = ctx.clients.instances;
      ctx.print(await ctx.call('DescribeInstances', c.describeInstances.bind(c), request));
    });

  program
    .command('get-console-output')
    .description("Show an instance's serial console (EC2 GetConsoleOutput)")
    .requiredOption('--instance-id <id>', 'instance id')
    .option('--latest', 'the most recent output (kumo always returns the latest 64 KiB)')
    .action(async (o: { instanceId: string }) => {
      const request = GetConsoleOutputRequest.fromPartial({ instanceId: o.instanceId });
      const c = ctx.clients.instances;
      const res = await ctx.call('GetConsoleOutput', c.getConsoleOutput.bind(c), request);
      // With --output text, the console itself is what anyone wants to read.
      ctx.print(res, () =>
        res.output === '' || res.output.endsWith('\n') ? res.output : `${res.output}\n`,
      );
    });
}
