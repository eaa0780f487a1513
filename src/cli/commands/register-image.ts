import { Option, type Command } from 'commander';
import { basename } from 'node:path';
import { DeregisterImageRequest } from '../../gen/kumo/v1/images.js';
import type { CliContext } from '../context.js';
import { withCliInput } from '../cli-input.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { UsageError } from '../errors.js';
import { progressLine, uploadImage } from '../image-upload.js';
import { enumOf, STRING, tagSpecifications, type CommandInput } from '../request-shapes.js';
import { parseTagSpecifications } from '../structured-params.js';

/** botocore's members (in its order) that register-image takes; --kernel and friends are kumo's. */
const REGISTER_INPUT: CommandInput = {
  operation: 'RegisterImage',
  members: [
    { name: 'ImageLocation', shape: STRING, option: 'imageLocation' },
    { name: 'BootMode', shape: enumOf('uefi'), option: 'bootMode' },
    {
      name: 'TagSpecifications',
      shape: tagSpecifications('image'),
      option: 'tagSpecifications',
    },
    DRY_RUN,
    { name: 'Name', shape: STRING, option: 'name' },
    { name: 'Description', shape: STRING, option: 'description' },
    { name: 'Architecture', shape: enumOf('x86_64'), option: 'architecture' },
    { name: 'RootDeviceName', shape: STRING, option: 'rootDeviceName' },
  ],
};

const DEREGISTER_INPUT: CommandInput = {
  operation: 'DeregisterImage',
  members: [{ name: 'ImageId', shape: STRING, option: 'imageId' }, DRY_RUN],
};

interface RegisterOptions {
  name: string;
  imageLocation: string;
  description?: string;
  architecture?: string;
  bootMode?: string;
  rootDeviceName?: string;
  kernel?: string;
  ramdisk?: string;
  kernelCmdline?: string;
  defaultUser?: string;
  tagSpecifications?: string[];
  dryRun?: boolean;
}

/** A registration's deadline: ten minutes plus two per GiB sent (upload, check, conversion). */
const deadlineFor = (bytes: number): number => 600_000 + Math.ceil(bytes / 1024 ** 3) * 120_000;

/** register-image and deregister-image. */
export function registerImageLifecycleCommands(program: Command, ctx: CliContext): void {
  const register = withCliInput(program.command('register-image'), REGISTER_INPUT)
    .description(
      'Register an image from a local qcow2 or raw disk file (EC2 RegisterImage); the file is read by the CLI and streamed to kumod, never modified',
    )
    .requiredOption('--name <name>', 'image name')
    .requiredOption('--image-location <file>', 'qcow2 or raw disk image file')
    .option('--description <text>', 'description')
    .addOption(new Option('--architecture <arch>', 'architecture').choices(['x86_64']))
    .addOption(
      new Option(
        '--boot-mode <mode>',
        'firmware boot: legacy-bios (SeaBIOS, default) or uefi (OVMF)',
      ).choices(['legacy-bios', 'uefi']),
    )
    .option('--root-device-name <dev>', 'root device name (default /dev/vda)')
    .option('--kernel <file>', 'kernel to boot directly instead of firmware (kumo)')
    .option('--ramdisk <file>', 'initrd for --kernel (kumo)')
    .option('--kernel-cmdline <text>', 'kernel command line for --kernel (kumo)')
    .option('--default-user <user>', 'the user kumo ssh logs in as (kumo; default root)')
    .option('--tag-specifications <spec...>', 'ResourceType=image,Tags=[{Key=k,Value=v}] or JSON');
  withDryRun(register).action(async (o: RegisterOptions) => {
    if ((o.ramdisk || o.kernelCmdline) && !o.kernel)
      throw new UsageError('--ramdisk and --kernel-cmdline need --kernel');
    const started = Date.now();
    const tty = process.stderr.isTTY && ctx.options.output !== 'text';
    let shown = false;
    const res = await uploadImage(
      ctx.clients.images,
      {
        name: o.name,
        description: o.description ?? '',
        architecture: o.architecture ?? '',
        bootMode: o.bootMode ?? '',
        rootDeviceName: o.rootDeviceName ?? '',
        kernelCmdline: o.kernelCmdline ?? '',
        imageLocation: basename(o.imageLocation),
        defaultUser: o.defaultUser ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      },
      { disk: o.imageLocation, kernel: o.kernel, ramdisk: o.ramdisk },
      tty
        ? (sent, total) => {
            shown = true;
            ctx.io.stderr(progressLine(sent, total, Date.now() - started));
          }
        : undefined,
      deadlineFor,
    ).finally(() => {
      if (shown) ctx.io.stderr('\n');
    });
    ctx.print('RegisterImage', res);
  });

  const deregister = withCliInput(program.command('deregister-image'), DEREGISTER_INPUT)
    .description(
      'Deregister an image (EC2 DeregisterImage); instances launched from it keep running',
    )
    .requiredOption('--image-id <id>', 'image id');
  withDryRun(deregister).action(async (o: { imageId: string; dryRun?: boolean }) => {
    const c = ctx.clients.images;
    const request = DeregisterImageRequest.fromPartial({
      imageId: o.imageId,
      dryRun: isDryRun(o),
    });
    ctx.print(
      'DeregisterImage',
      await ctx.call('DeregisterImage', c.deregisterImage.bind(c), request),
    );
  });
}
