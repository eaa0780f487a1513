import type { Command } from 'commander';
import { CopyImageRequest, CreateImageRequest } from '../../gen/kumo/v1/images.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { BOOLEAN, STRING, tagSpecifications, type CommandInput } from '../request-shapes.js';
import { parseTagSpecifications } from '../structured-params.js';

const IMAGE_TAGS = {
  name: 'TagSpecifications',
  shape: tagSpecifications('image'),
  option: 'tagSpecifications',
};

/** botocore's members, in its order. */
const CREATE_INPUT: CommandInput = {
  operation: 'CreateImage',
  members: [
    IMAGE_TAGS,
    DRY_RUN,
    { name: 'InstanceId', shape: STRING, option: 'instanceId' },
    { name: 'Name', shape: STRING, option: 'name' },
    { name: 'Description', shape: STRING, option: 'description' },
    { name: 'NoReboot', shape: BOOLEAN, option: 'reboot' },
  ],
};

const COPY_INPUT: CommandInput = {
  operation: 'CopyImage',
  members: [
    { name: 'ClientToken', shape: STRING, option: 'clientToken' },
    { name: 'Description', shape: STRING, option: 'description' },
    { name: 'Name', shape: STRING, option: 'name' },
    { name: 'SourceImageId', shape: STRING, option: 'sourceImageId' },
    { name: 'SourceRegion', shape: STRING, option: 'sourceRegion' },
    { name: 'CopyImageTags', shape: BOOLEAN, option: 'copyImageTags' },
    IMAGE_TAGS,
    DRY_RUN,
  ],
};

/** Copying a disk takes a while: up to half an hour before the CLI gives up waiting. */
const COPY_DEADLINE_MS = 30 * 60_000;

/** create-image and copy-image. */
export function registerImageCopyCommands(program: Command, ctx: CliContext): void {
  const create = withCliInput(program.command('create-image'), CREATE_INPUT)
    .description(
      'Create an image of an instance root disk: stopped (consistent) or running with --no-reboot (crash-consistent) (EC2 CreateImage); returns once it is available',
    )
    .requiredOption('--instance-id <id>', 'instance id (stopped, or running with --no-reboot)')
    .requiredOption('--name <name>', 'image name')
    .option('--description <text>', 'description')
    .option('--no-reboot', 'copy a running instance as it is now (crash-consistent; EC2 NoReboot)')
    .option('--reboot', 'the default')
    .option('--tag-specifications <spec...>', 'ResourceType=image,Tags=[{Key=k,Value=v}] or JSON');
  withDryRun(create).action(
    async (o: {
      instanceId: string;
      name: string;
      description?: string;
      reboot?: boolean;
      tagSpecifications?: string[];
      dryRun?: boolean;
    }) => {
      const c = ctx.clients.images;
      const request = CreateImageRequest.fromPartial({
        instanceId: o.instanceId,
        name: o.name,
        description: o.description ?? '',
        noReboot: o.reboot === false,
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      });
      ctx.print(
        'CreateImage',
        await ctx.call('CreateImage', c.createImage.bind(c), request, COPY_DEADLINE_MS),
      );
    },
  );

  const copy = withCliInput(program.command('copy-image'), COPY_INPUT)
    .description('Copy an image of this host (EC2 CopyImage); returns once the copy is available')
    .requiredOption('--source-image-id <id>', 'image to copy')
    .requiredOption('--name <name>', 'name of the copy')
    .option('--source-region <region>', "the host's region (kumo has one)")
    .option('--description <text>', 'description')
    .option('--copy-image-tags', "copy the source image's tags")
    .option('--no-copy-image-tags', 'do not copy them (the default)')
    .option('--client-token <token>', 'accepted; kumo does not deduplicate copies')
    .option('--tag-specifications <spec...>', 'ResourceType=image,Tags=[{Key=k,Value=v}] or JSON');
  withDryRun(copy).action(
    async (o: {
      sourceImageId: string;
      name: string;
      sourceRegion?: string;
      description?: string;
      copyImageTags?: boolean;
      clientToken?: string;
      tagSpecifications?: string[];
      dryRun?: boolean;
    }) => {
      const c = ctx.clients.images;
      const request = CopyImageRequest.fromPartial({
        sourceImageId: o.sourceImageId,
        sourceRegion: o.sourceRegion ?? '',
        name: o.name,
        description: o.description ?? '',
        copyImageTags: o.copyImageTags === true,
        clientToken: o.clientToken ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      });
      ctx.print(
        'CopyImage',
        await ctx.call('CopyImage', c.copyImage.bind(c), request, COPY_DEADLINE_MS),
      );
    },
  );
}
