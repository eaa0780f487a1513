import { InvalidArgumentError, type Command } from 'commander';
import {
  AttachVolumeRequest,
  CreateVolumeRequest,
  DescribeVolumesModificationsRequest,
  ModifyVolumeRequest,
  DeleteVolumeRequest,
  DescribeVolumesRequest,
  DetachVolumeRequest,
} from '../../gen/kumo/v1/volumes.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
import {
  BOOLEAN,
  enumOf,
  FILTERS,
  INTEGER,
  STRING,
  STRING_LIST,
  tagSpecifications,
  type CommandInput,
} from '../request-shapes.js';
import { parseFilters, parseTagSpecifications } from '../structured-params.js';

const VOLUME_ID = { name: 'VolumeId', shape: STRING, option: 'volumeId' };
const INSTANCE_ID = { name: 'InstanceId', shape: STRING, option: 'instanceId' };
const DEVICE = { name: 'Device', shape: STRING, option: 'device' };

// Members in botocore's order (test/unit/cli/cli-input.test.ts checks them).
const CREATE_INPUT: CommandInput = {
  operation: 'CreateVolume',
  members: [
    { name: 'AvailabilityZone', shape: STRING, option: 'availabilityZone' },
    { name: 'Iops', shape: INTEGER, option: 'iops' },
    { name: 'Size', shape: INTEGER, option: 'size' },
    { name: 'SnapshotId', shape: STRING, option: 'snapshotId' },
    { name: 'VolumeType', shape: enumOf('gp3'), option: 'volumeType' },
    {
      name: 'TagSpecifications',
      shape: tagSpecifications('volume'),
      option: 'tagSpecifications',
    },
    { name: 'Throughput', shape: INTEGER, option: 'throughput' },
    DRY_RUN,
  ],
};

const DESCRIBE_INPUT: CommandInput = {
  operation: 'DescribeVolumes',
  members: [
    { name: 'VolumeIds', shape: STRING_LIST, option: 'volumeIds' },
    { name: 'Filters', shape: FILTERS, option: 'filters' },
    NEXT_TOKEN,
    MAX_RESULTS,
  ],
};

const DELETE_INPUT: CommandInput = { operation: 'DeleteVolume', members: [VOLUME_ID, DRY_RUN] };
const ATTACH_INPUT: CommandInput = {
  operation: 'AttachVolume',
  members: [DEVICE, INSTANCE_ID, VOLUME_ID, DRY_RUN],
};
const DETACH_INPUT: CommandInput = {
  operation: 'DetachVolume',
  members: [
    DEVICE,
    { name: 'Force', shape: BOOLEAN, option: 'force' },
    INSTANCE_ID,
    VOLUME_ID,
    DRY_RUN,
  ],
};

const MODIFY_INPUT: CommandInput = {
  operation: 'ModifyVolume',
  members: [
    DRY_RUN,
    VOLUME_ID,
    { name: 'Size', shape: INTEGER, option: 'size' },
    { name: 'VolumeType', shape: enumOf('gp3'), option: 'volumeType' },
    { name: 'Iops', shape: INTEGER, option: 'iops' },
    { name: 'Throughput', shape: INTEGER, option: 'throughput' },
  ],
};
const DESCRIBE_MODIFICATIONS_INPUT: CommandInput = {
  operation: 'DescribeVolumesModifications',
  members: [
    { name: 'VolumeIds', shape: STRING_LIST, option: 'volumeIds' },
    { name: 'Filters', shape: FILTERS, option: 'filters' },
    NEXT_TOKEN,
    MAX_RESULTS,
  ],
};

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${value}'`);
  return n;
};

interface CreateOptions {
  availabilityZone?: string;
  size?: number;
  snapshotId?: string;
  volumeType?: string;
  iops?: number;
  throughput?: number;
  tagSpecifications?: string[];
  dryRun?: boolean;
}

/** create/describe/delete/attach/detach-volume(s), as aws ec2 has them. */
export function registerVolumeCommands(program: Command, ctx: CliContext): void {
  const create = withCliInput(program.command('create-volume'), CREATE_INPUT)
    .description('Create an EBS volume: blank (--size GiB) (EC2 CreateVolume)')
    .requiredOption('--availability-zone <zone>', "the host's zone (describe-instances shows it)")
    .option('--size <GiB>', 'size in GiB', integer)
    .option('--snapshot-id <id>', 'snapshot to make the volume from')
    .option('--volume-type <type>', 'gp3 (default), gp2, io1, io2, st1, sc1 or standard')
    .option('--iops <n>', 'IOPS (recorded)', integer)
    .option('--throughput <MiBps>', 'throughput in MiB/s (recorded)', integer)
    .option('--tag-specifications <spec...>', 'ResourceType=volume,Tags=[{Key=k,Value=v}] or JSON');
  withDryRun(create).action(async (o: CreateOptions) => {
    const c = ctx.clients.volumes;
    const request = CreateVolumeRequest.fromPartial({
      availabilityZone: o.availabilityZone ?? '',
      size: o.size ?? 0,
      snapshotId: o.snapshotId ?? '',
      volumeType: o.volumeType ?? '',
      iops: o.iops ?? 0,
      throughput: o.throughput ?? 0,
      tagSpecifications: parseTagSpecifications(o.tagSpecifications),
      dryRun: isDryRun(o),
    });
    const res = await ctx.call('CreateVolume', c.createVolume.bind(c), request);
    ctx.print('CreateVolume', res.volume ?? {});
  });

  const describe = withCliInput(program.command('describe-volumes'), DESCRIBE_INPUT)
    .description('Describe volumes (EC2 DescribeVolumes); every page unless --no-paginate')
    .option('--volume-ids <ids...>', 'volume ids')
    .option('--filters <filter...>', 'Name=status,Values=available or JSON');
  withPagingOptions(describe, 'volumes').action(
    async (o: { volumeIds?: string[]; filters?: string[] }, command: Command) => {
      const c = ctx.clients.volumes;
      const request = { volumeIds: o.volumeIds ?? [], filters: parseFilters(o.filters) };
      await callPaged(ctx, command, PAGINATORS.DescribeVolumes, (page) =>
        ctx.call(
          'DescribeVolumes',
          c.describeVolumes.bind(c),
          DescribeVolumesRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );

  const remove = withCliInput(program.command('delete-volume'), DELETE_INPUT)
    .description('Delete a volume that is not attached (EC2 DeleteVolume)')
    .requiredOption('--volume-id <id>', 'volume id');
  withDryRun(remove).action(async (o: { volumeId: string; dryRun?: boolean }) => {
    const c = ctx.clients.volumes;
    const request = DeleteVolumeRequest.fromPartial({ volumeId: o.volumeId, dryRun: isDryRun(o) });
    await ctx.call('DeleteVolume', c.deleteVolume.bind(c), request);
  });

  const attach = withCliInput(program.command('attach-volume'), ATTACH_INPUT)
    .description('Attach a volume to a running (hot-plug) or stopped instance (EC2 AttachVolume)')
    .requiredOption('--device <name>', 'device name, e.g. /dev/sdf')
    .requiredOption('--instance-id <id>', 'instance id')
    .requiredOption('--volume-id <id>', 'volume id');
  withDryRun(attach).action(
    async (o: { device: string; instanceId: string; volumeId: string; dryRun?: boolean }) => {
      const c = ctx.clients.volumes;
      const request = AttachVolumeRequest.fromPartial({
        device: o.device,
        instanceId: o.instanceId,
        volumeId: o.volumeId,
        dryRun: isDryRun(o),
      });
      const res = await ctx.call('AttachVolume', c.attachVolume.bind(c), request);
      ctx.print('AttachVolume', res.attachment ?? {});
    },
  );

  const detach = withCliInput(program.command('detach-volume'), DETACH_INPUT)
    .description('Detach a volume; a running guest must release it (EC2 DetachVolume)')
    .requiredOption('--volume-id <id>', 'volume id')
    .option('--device <name>', 'device name, to check the attachment')
    .option('--instance-id <id>', 'instance id, to check the attachment')
    .option('--force', 'accepted; QEMU cannot take a disk from a guest that holds it');
  withDryRun(detach).action(
    async (o: {
      volumeId: string;
      device?: string;
      instanceId?: string;
      force?: boolean;
      dryRun?: boolean;
    }) => {
      const c = ctx.clients.volumes;
      const request = DetachVolumeRequest.fromPartial({
        volumeId: o.volumeId,
        device: o.device ?? '',
        instanceId: o.instanceId ?? '',
        force: o.force === true,
        dryRun: isDryRun(o),
      });
      const res = await ctx.call('DetachVolume', c.detachVolume.bind(c), request);
      ctx.print('DetachVolume', res.attachment ?? {});
    },
  );

  const modify = withCliInput(program.command('modify-volume'), MODIFY_INPUT)
    .description('Grow a volume, online if its guest runs; record type/IOPS (EC2 ModifyVolume)')
    .requiredOption('--volume-id <id>', 'volume id')
    .option('--size <GiB>', 'new size in GiB (larger only)', integer)
    .option('--volume-type <type>', 'gp3, gp2, io1, io2, st1, sc1 or standard (recorded)')
    .option('--iops <n>', 'IOPS (recorded)', integer)
    .option('--throughput <MiBps>', 'throughput in MiB/s (recorded)', integer);
  withDryRun(modify).action(
    async (o: {
      volumeId: string;
      size?: number;
      volumeType?: string;
      iops?: number;
      throughput?: number;
      dryRun?: boolean;
    }) => {
      const c = ctx.clients.volumes;
      const request = ModifyVolumeRequest.fromPartial({
        volumeId: o.volumeId,
        size: o.size ?? 0,
        volumeType: o.volumeType ?? '',
        iops: o.iops ?? 0,
        throughput: o.throughput ?? 0,
        dryRun: isDryRun(o),
      });
      ctx.print('ModifyVolume', await ctx.call('ModifyVolume', c.modifyVolume.bind(c), request));
    },
  );

  const mods = withCliInput(
    program.command('describe-volumes-modifications'),
    DESCRIBE_MODIFICATIONS_INPUT,
  )
    .description('Describe the latest modification of volumes (EC2 DescribeVolumesModifications)')
    .option('--volume-ids <ids...>', 'volume ids')
    .option('--filters <filter...>', 'Name=modification-state,Values=completed or JSON');
  withPagingOptions(mods, 'volumes modifications').action(
    async (o: { volumeIds?: string[]; filters?: string[] }, command: Command) => {
      const c = ctx.clients.volumes;
      const request = { volumeIds: o.volumeIds ?? [], filters: parseFilters(o.filters) };
      await callPaged(ctx, command, PAGINATORS.DescribeVolumesModifications, (page) =>
        ctx.call(
          'DescribeVolumesModifications',
          c.describeVolumesModifications.bind(c),
          DescribeVolumesModificationsRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );
}
