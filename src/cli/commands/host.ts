import type { Command } from 'commander';
import { DescribeHostRequest } from '../../gen/kumo/v1/host.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';

/** describe-host (a kumo extension): accelerator, capacity and versions of kumod's host. */
export function registerHostCommands(program: Command, ctx: CliContext): void {
  // No EC2 model to follow: the call takes nothing, so its skeleton is {}.
  withCliInput(program.command('describe-host'), { operation: 'DescribeHost', members: [] })
    .description("Show kumod's host: accelerator (and why), capacity, versions (kumo extension)")
    .action(async () => {
      const c = ctx.clients.host;
      const request = DescribeHostRequest.fromPartial({});
      ctx.print('DescribeHost', await ctx.call('DescribeHost', c.describeHost.bind(c), request));
    });
}
