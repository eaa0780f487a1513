import type { Command } from 'commander';
import { DescribeImagesRequest } from '../../gen/kumo/v1/images.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { FILTERS, STRING_LIST, type CommandInput } from '../request-shapes.js';
import { parseFilters } from '../structured-params.js';

const INPUT: CommandInput = {
  operation: 'DescribeImages',
  members: [
    { name: 'ImageIds', shape: STRING_LIST, option: 'imageIds' },
    { name: 'Owners', shape: STRING_LIST, option: 'owners' },
    { name: 'Filters', shape: FILTERS, option: 'filters' },
  ],
};

/** describe-images. */
export function registerImageCommands(program: Command, ctx: CliContext): void {
  withCliInput(program.command('describe-images'), INPUT)
    .description('Describe images (EC2 DescribeImages)')
    .option('--image-ids <ids...>', 'image ids')
    .option('--owners <owners...>', 'owner ids or aliases (self, ...)')
    .option('--filters <filter...>', 'Name=name,Values=kumo-* or JSON')
    .action(async (o: { imageIds?: string[]; owners?: string[]; filters?: string[] }) => {
      const c = ctx.clients.images;
      const request = DescribeImagesRequest.fromPartial({
        imageIds: o.imageIds ?? [],
        owners: o.owners ?? [],
        filters: parseFilters(o.filters),
      });
      ctx.print(
        'DescribeImages',
        await ctx.call('DescribeImages', c.describeImages.bind(c), request),
      );
    });
}
