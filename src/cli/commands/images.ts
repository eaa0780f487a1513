import type { Command } from 'commander';
import { DescribeImagesRequest } from '../../gen/kumo/v1/images.js';
import type { CliContext } from '../context.js';
import { parseFilters } from '../structured-params.js';

/** describe-images. */
export function registerImageCommands(program: Command, ctx: CliContext): void {
  program
    .command('describe-images')
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
      ctx.print(await ctx.call('DescribeImages', c.describeImages.bind(c), request));
    });
}
