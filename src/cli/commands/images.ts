import type { Command } from 'commander';
import { DescribeImagesRequest } from '../../gen/kumo/v1/images.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
import { FILTERS, STRING_LIST, type CommandInput } from '../request-shapes.js';
import { parseFilters } from '../structured-params.js';

const INPUT: CommandInput = {
  operation: 'DescribeImages',
  members: [
    { name: 'ImageIds', shape: STRING_LIST, option: 'imageIds' },
    { name: 'Owners', shape: STRING_LIST, option: 'owners' },
    MAX_RESULTS,
    NEXT_TOKEN,
    { name: 'Filters', shape: FILTERS, option: 'filters' },
  ],
};

interface DescribeOptions {
  imageIds?: string[];
  owners?: string[];
  filters?: string[];
}

/** describe-images. */
export function registerImageCommands(program: Command, ctx: CliContext): void {
  const describe = withCliInput(program.command('describe-images'), INPUT)
    .description('Describe images (EC2 DescribeImages); every page unless --no-paginate')
    .option('--image-ids <ids...>', 'image ids')
    .option('--owners <owners...>', 'owner ids or aliases (self, ...)')
    .option('--filters <filter...>', 'Name=name,Values=kumo-* or JSON');
  withPagingOptions(describe, 'images').action(async (o: DescribeOptions, command: Command) => {
    const c = ctx.clients.images;
    const request = {
      imageIds: o.imageIds ?? [],
      owners: o.owners ?? [],
      filters: parseFilters(o.filters),
    };
    await callPaged(ctx, command, PAGINATORS.DescribeImages, (page) =>
      ctx.call(
        'DescribeImages',
        c.describeImages.bind(c),
        DescribeImagesRequest.fromPartial({ ...request, ...page }),
      ),
    );
  });
}
