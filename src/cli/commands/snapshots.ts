import type { Command } from 'commander';
import {
  CopySnapshotRequest,
  CreateSnapshotRequest,
  DeleteSnapshotRequest,
  DescribeSnapshotsRequest,
} from '../../gen/kumo/v1/snapshots.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
import {
  FILTERS,
  STRING,
  STRING_LIST,
  tagSpecifications,
  type CommandInput,
} from '../request-shapes.js';
import { parseFilters, parseTagSpecifications } from '../structured-params.js';

const DESCRIPTION = { name: 'Description', shape: STRING, option: 'description' };
const SNAPSHOT_TAGS = {
  name: 'TagSpecifications',
  shape: tagSpecifications('snapshot'),
  option: 'tagSpecifications',
};

// Members in botocore's order (test/unit/cli/cli-input.test.ts checks them).
const CREATE_INPUT: CommandInput = {
  operation: 'CreateSnapshot',
  members: [
    DESCRIPTION,
    { name: 'VolumeId', shape: STRING, option: 'volumeId' },
    SNAPSHOT_TAGS,
    DRY_RUN,
  ],
};
const DESCRIBE_INPUT: CommandInput = {
  operation: 'DescribeSnapshots',
  members: [
    MAX_RESULTS,
    NEXT_TOKEN,
    { name: 'OwnerIds', shape: STRING_LIST, option: 'ownerIds' },
    { name: 'SnapshotIds', shape: STRING_LIST, option: 'snapshotIds' },
    { name: 'Filters', shape: FILTERS, option: 'filters' },
  ],
};
const DELETE_INPUT: CommandInput = {
  operation: 'DeleteSnapshot',
  members: [{ name: 'SnapshotId', shape: STRING, option: 'snapshotId' }, DRY_RUN],
};
const COPY_INPUT: CommandInput = {
  operation: 'CopySnapshot',
  members: [
    DESCRIPTION,
    { name: 'SourceRegion', shape: STRING, option: 'sourceRegion' },
    { name: 'SourceSnapshotId', shape: STRING, option: 'sourceSnapshotId' },
    SNAPSHOT_TAGS,
    DRY_RUN,
  ],
};
const TAGS_HELP = 'ResourceType=snapshot,Tags=[{Key=k,Value=v}] or JSON';

/** create/describe/delete/copy-snapshot(s), as aws ec2 has them. */
export function registerSnapshotCommands(program: Command, ctx: CliContext): void {
  const create = withCliInput(program.command('create-snapshot'), CREATE_INPUT)
    .description('Snapshot a volume, attached (crash-consistent, live) or not (EC2 CreateSnapshot)')
    .requiredOption('--volume-id <id>', 'volume id')
    .option('--description <text>', 'description')
    .option('--tag-specifications <spec...>', TAGS_HELP);
  withDryRun(create).action(
    async (o: {
      volumeId: string;
      description?: string;
      tagSpecifications?: string[];
      dryRun?: boolean;
    }) => {
      const c = ctx.clients.snapshots;
      const request = CreateSnapshotRequest.fromPartial({
        volumeId: o.volumeId,
        description: o.description ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      });
      const res = await ctx.call('CreateSnapshot', c.createSnapshot.bind(c), request);
      ctx.print('CreateSnapshot', res.snapshot ?? {});
    },
  );

  const describe = withCliInput(program.command('describe-snapshots'), DESCRIBE_INPUT)
    .description('Describe snapshots (EC2 DescribeSnapshots); every page unless --no-paginate')
    .option('--snapshot-ids <ids...>', 'snapshot ids')
    .option('--owner-ids <ids...>', 'owner ids (self)')
    .option('--filters <filter...>', 'Name=volume-id,Values=vol-... or JSON');
  withPagingOptions(describe, 'snapshots').action(
    async (
      o: { snapshotIds?: string[]; ownerIds?: string[]; filters?: string[] },
      command: Command,
    ) => {
      const c = ctx.clients.snapshots;
      const request = {
        snapshotIds: o.snapshotIds ?? [],
        ownerIds: o.ownerIds ?? [],
        filters: parseFilters(o.filters),
      };
      await callPaged(ctx, command, PAGINATORS.DescribeSnapshots, (page) =>
        ctx.call(
          'DescribeSnapshots',
          c.describeSnapshots.bind(c),
          DescribeSnapshotsRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );

  const remove = withCliInput(program.command('delete-snapshot'), DELETE_INPUT)
    .description('Delete a snapshot no volume or image uses (EC2 DeleteSnapshot)')
    .requiredOption('--snapshot-id <id>', 'snapshot id');
  withDryRun(remove).action(async (o: { snapshotId: string; dryRun?: boolean }) => {
    const c = ctx.clients.snapshots;
    const request = DeleteSnapshotRequest.fromPartial({
      snapshotId: o.snapshotId,
      dryRun: isDryRun(o),
    });
    await ctx.call('DeleteSnapshot', c.deleteSnapshot.bind(c), request);
  });

  const copy = withCliInput(program.command('copy-snapshot'), COPY_INPUT)
    .description('Copy a snapshot (EC2 CopySnapshot)')
    .requiredOption('--source-snapshot-id <id>', 'snapshot to copy')
    .option('--source-region <region>', "the source's region (this host's)")
    .option('--description <text>', 'description')
    .option('--tag-specifications <spec...>', TAGS_HELP);
  withDryRun(copy).action(
    async (o: {
      sourceSnapshotId: string;
      sourceRegion?: string;
      description?: string;
      tagSpecifications?: string[];
      dryRun?: boolean;
    }) => {
      const c = ctx.clients.snapshots;
      const request = CopySnapshotRequest.fromPartial({
        sourceSnapshotId: o.sourceSnapshotId,
        sourceRegion: o.sourceRegion ?? '',
        description: o.description ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      });
      ctx.print('CopySnapshot', await ctx.call('CopySnapshot', c.copySnapshot.bind(c), request));
    },
  );
}
