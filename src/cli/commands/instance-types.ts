import type { Command } from 'commander';
import { DescribeInstanceTypesRequest } from '../../gen/kumo/v1/instance_types.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
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
    MAX_RESULTS,
    NEXT_TOKEN,
  ],
};

/** describe-instance-types. */
export function registerInstanceTypeCommands(program: Command, ctx: CliContext): void {
  const describe = withCliInput(program.command('describe-instance-types'), INPUT)
    .description(
      'Describe the instance types this host offers (EC2 DescribeInstanceTypes); every page unless --no-paginate',
    )
    .option('--instance-types <types...>', 'instance type names')
    .option('--filters <filter...>', 'Name=current-generation,Values=true or JSON');
  withPagingOptions(describe, 'instance types').action(
    async (o: { instanceTypes?: string[]; filters?: string[] }, command: Command) => {
      const c = ctx.clients.instanceTypes;
      const request = { instanceTypes: o.instanceTypes ?? [], filters: parseFilters(o.filters) };
      await callPaged(ctx, command, PAGINATORS.DescribeInstanceTypes, (page) =>
        ctx.call(
          'DescribeInstanceTypes',
          c.describeInstanceTypes.bind(c),
          DescribeInstanceTypesRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );
}
