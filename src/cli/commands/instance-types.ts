import type { Command } from 'commander';
import { DescribeInstanceTypesRequest } from '../../gen/kumo/v1/instance_types.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { enumOf, FILTERS, type CommandInput } from '../request-shapes.js';
import { parseFilters } from '../structured-params.js';

const INPUT: CommandInput = {
  operation: 'DescribeInstanceTypes',
  members: [
    {
      name: 'InstanceTypes',
      shape: { type: 'list', member: enumOf('t3.micro') },
      option: 'instanceTypes',
    },
    { name: 'Filters', shape: FILTERS, option: 'filters' },
  ],
};

/** describe-instance-types. */
export function registerInstanceTypeCommands(program: Command, ctx: CliContext): void {
  withCliInput(program.command('describe-instance-types'), INPUT)
    .description('Describe the instance types this host offers (EC2 DescribeInstanceTypes)')
    .option('--instance-types <types...>', 'instance type names')
    .option('--filters <filter...>', 'Name=current-generation,Values=true or JSON')
    .action(async (o: { instanceTypes?: string[]; filters?: string[] }) => {
      const c = ctx.clients.instanceTypes;
      const request = DescribeInstanceTypesRequest.fromPartial({
        instanceTypes: o.instanceTypes ?? [],
        filters: parseFilters(o.filters),
      });
      const res = await ctx.call('DescribeInstanceTypes', c.describeInstanceTypes.bind(c), request);
      ctx.print('DescribeInstanceTypes', res);
    });
}
