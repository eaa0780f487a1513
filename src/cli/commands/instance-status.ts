import type { Command } from 'commander';
import { DescribeInstanceStatusRequest } from '../../gen/kumo/v1/instances.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
import { BOOLEAN, FILTERS, STRING_LIST, type CommandInput } from '../request-shapes.js';
import { parseFilters } from '../structured-params.js';

const INPUT: CommandInput = {
  operation: 'DescribeInstanceStatus',
  members: [
    { name: 'InstanceIds', shape: STRING_LIST, option: 'instanceIds' },
    MAX_RESULTS,
    NEXT_TOKEN,
    { name: 'Filters', shape: FILTERS, option: 'filters' },
    { name: 'IncludeAllInstances', shape: BOOLEAN, option: 'includeAllInstances' },
  ],
};

interface StatusOptions {
  instanceIds?: string[];
  filters?: string[];
  includeAllInstances?: boolean;
}

/** describe-instance-status. */
export function registerInstanceStatusCommands(program: Command, ctx: CliContext): void {
  const describe = withCliInput(program.command('describe-instance-status'), INPUT)
    .description(
      'Describe the system and instance status of instances (EC2 DescribeInstanceStatus); running ones unless --include-all-instances',
    )
    .option('--instance-ids <ids...>', 'instance ids')
    .option('--filters <filter...>', 'Name=instance-status.status,Values=impaired or JSON')
    .option('--include-all-instances', 'also instances that are not running')
    .option('--no-include-all-instances', 'running instances only (the default)');
  withPagingOptions(describe, 'instance statuses').action(
    async (o: StatusOptions, command: Command) => {
      const c = ctx.clients.instances;
      const request = {
        instanceIds: o.instanceIds ?? [],
        filters: parseFilters(o.filters),
        includeAllInstances: o.includeAllInstances === true,
      };
      await callPaged(ctx, command, PAGINATORS.DescribeInstanceStatus, (page) =>
        ctx.call(
          'DescribeInstanceStatus',
          c.describeInstanceStatus.bind(c),
          DescribeInstanceStatusRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );
}
