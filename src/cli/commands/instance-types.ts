import type { Command } from 'commander';
import { DescribeInstanceTypesRequest } from '../../gen/kumo/v1/instance_types.js';
import type { CliContext } from '../context.js';
import { parseFilters } from '../structured-params.js';

/** describe-instance-types. */
export function registerInstanceTypeCommands(program: Command, ctx: CliContext): void {
  program
    .command('describe-instance-types')
    .description('Describe the instance types this host offers (EC2 DescribeInstanceTypes)')
    .option('--instance-types <types...>', 'instance type names')
    .option('--filters <filter...>', 'Name=current-generation,Values=true or JSON')
    .action(async (o: { instanceTypes?: string[]; filters?: string[] }) => {
      const c = ctx.clients.instanceTypes;
      const request = DescribeInstanceTypesRequest.fromPartial({
        instanceTypes: o.instanceTypes ?? [],
        filters: parseFilters(o.filters),
      });
      ctx.print(await ctx.call('DescribeInstanceTypes', c.describeInstanceTypes.bind(c), request));
    });
}
