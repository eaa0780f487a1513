import {
  dryRunOperation,
  invalidCombination,
  invalidParameter,
  KumoError,
  quoted,
} from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { withRollback } from '../core/rollback.js';
import { BOOT_MODES, DEFAULT_ROOT_DEVICE_NAME, type BootMode, type Image } from './image.js';
import type { ImageFiles, UploadChunk, UploadSizes } from './image-files.js';
import type { ImageRepository } from './ports.js';
import { validateTagSpecifications, type TagSpecification } from './tag-specifications.js';

/** What RegisterImage is asked for (the files' bytes come separately, as a stream). */
export interface ImageRegistrationInput {
  readonly name: string;
  readonly description?: string | undefined;
  readonly architecture?: string | undefined;
  readonly bootMode?: string | undefined;
  readonly rootDeviceName?: string | undefined;
  readonly kernelCmdline?: string | undefined;
  readonly imageLocation?: string | undefined;
  readonly defaultUser?: string | undefined;
  readonly sizes: UploadSizes;
  readonly tagSpecifications?: readonly TagSpecification[] | undefined;
  readonly dryRun?: boolean | undefined;
}

export interface RegisterImageDeps {
  readonly images: ImageRepository;
  readonly imageFiles: ImageFiles;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** EC2's limits on image names: 3 to 128 characters of letters, digits and ()[] ./-'@_ */
const NAME_PATTERN = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;
const DEVICE_PATTERN = /^\/dev\/(xvd|sd|vd|hd|nvme)[a-z0-9]{1,4}$/;
/** The largest disk kumo takes in one registration (EC2's largest root volume is 64 TiB). */
export const MAX_IMAGE_BYTES = 16 * 1024 ** 4;
const MAX_KERNEL_BYTES = 512 * 1024 ** 2;
/** Room left free on the store's file system after a registration (logs, state, overlays). */
export const FREE_SPACE_RESERVE_BYTES = 1024 ** 3;

/** Checks the parameters; returns the normalised ones. Nothing is read or written. */
export function validateRegistration(input: ImageRegistrationInput) {
  if (!NAME_PATTERN.test(input.name)) {
    throw invalidParameter(
      `Invalid image name ${quoted(input.name)}: use 3 to 128 letters, digits, spaces and ( ) [ ] . / - ' @ _`,
    );
  }
  const description = input.description ?? '';
  if (description.length > 255) {
    throw invalidParameter('The image description is longer than 255 characters');
  }
  const architecture = input.architecture || 'x86_64';
  if (architecture !== 'x86_64') {
    throw invalidParameter(
      `Invalid value ${quoted(architecture)} for Architecture: this host runs x86_64 guests only`,
    );
  }
  const rootDeviceName = input.rootDeviceName || DEFAULT_ROOT_DEVICE_NAME;
  if (!DEVICE_PATTERN.test(rootDeviceName)) {
    throw invalidParameter(
      `Invalid value ${quoted(rootDeviceName)} for RootDeviceName: give a device name like /dev/xvda or /dev/sda1`,
    );
  }
  const { disk, kernel, ramdisk } = input.sizes;
  if (!Number.isSafeInteger(disk) || disk <= 0) {
    throw invalidParameter(
      'The image file is empty: --image-location must name a qcow2 or raw disk image',
    );
  }
  if (disk > MAX_IMAGE_BYTES) {
    throw invalidParameter(`The image file is ${disk} bytes; kumo takes at most 16 TiB`);
  }
  for (const [what, size] of [
    ['kernel', kernel],
    ['ramdisk', ramdisk],
  ] as const) {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_KERNEL_BYTES) {
      throw invalidParameter(`The ${what} file is ${size} bytes; at most 512 MiB is accepted`);
    }
  }
  const hasKernel = kernel > 0;
  if (ramdisk > 0 && !hasKernel) {
    throw invalidCombination('--ramdisk needs --kernel (a ramdisk is only used for kernel boot)');
  }
  if (input.kernelCmdline && !hasKernel) {
    throw invalidCombination('--kernel-cmdline needs --kernel (firmware boot reads its own)');
  }
  if ((input.kernelCmdline ?? '').length > 4096) {
    throw invalidParameter('The kernel command line is longer than 4096 characters');
  }
  let bootMode: BootMode | undefined;
  if (input.bootMode) {
    if (hasKernel) {
      throw invalidCombination(
        '--boot-mode and --kernel exclude each other: a kernel is booted directly, without firmware',
      );
    }
    if (!(BOOT_MODES as readonly string[]).includes(input.bootMode)) {
      throw invalidParameter(
        `Invalid value ${quoted(input.bootMode)} for BootMode: use legacy-bios or uefi`,
      );
    }
    bootMode = input.bootMode as BootMode;
  } else if (!hasKernel) {
    // EC2's default for x86_64 images without a boot mode.
    bootMode = 'legacy-bios';
  }
  const defaultUser = input.defaultUser || 'root';
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(defaultUser)) {
    throw invalidParameter(`Invalid login user ${quoted(defaultUser)}`);
  }
  const tags = validateTagSpecifications(input.tagSpecifications ?? [], ['image']);
  return { description, architecture, rootDeviceName, bootMode, hasKernel, defaultUser, tags };
}

/**
 * RegisterImage: the client's stream goes to a staging area, the disk is inspected (qcow2 or
 * raw, undamaged, no backing file), then converted into the store as a read-only qcow2 while the
 * image is `pending`; it turns `available` when the file is complete. Free space is checked
 * before anything is written. Any failure (bad file, short stream, client gone, disk full) leaves
 * no file and no row.
 */
export async function registerImage(
  deps: RegisterImageDeps,
  input: ImageRegistrationInput,
  chunks: AsyncIterable<UploadChunk>,
  signal: AbortSignal,
): Promise<Image> {
  const v = validateRegistration(input);
  if (input.dryRun) throw dryRunOperation();
  const { disk, kernel, ramdisk } = input.sizes;
  // The staged upload plus its converted copy (a qcow2 is never larger than the raw data).
  const needed = 2 * (disk + kernel + ramdisk) + FREE_SPACE_RESERVE_BYTES;
  const free = await deps.imageFiles.freeBytes();
  if (free < needed) {
    throw new KumoError(
      'ResourceExhausted',
      'InsufficientVolumeCapacity',
      `Registering this ${mib(disk)} MiB image needs ${mib(needed)} MiB free in the image store ` +
        `(a staged copy, the converted image and a ${mib(FREE_SPACE_RESERVE_BYTES)} MiB reserve); ` +
        `${mib(free)} MiB is free. Free some space or deregister unused images.`,
    );
  }
  const id = newId('ami');
  return withRollback(deps.logger, async (rollback) => {
    rollback.add(`staging of ${id}`, () => deps.imageFiles.discard(id));
    const staged = await deps.imageFiles.receive(id, input.sizes, chunks, signal);
    const inspection = await deps.imageFiles.inspect(staged.disk, signal);
    const pending: Image = {
      id,
      name: input.name,
      description: v.description,
      architecture: v.architecture,
      diskPath: '',
      kernelCmdline: input.kernelCmdline || 'console=ttyS0 root=/dev/vda',
      defaultUser: v.defaultUser,
      sizeBytes: 0,
      createdAt: deps.clock.now(),
      sourceHash: '',
      state: 'pending',
      bootMode: v.bootMode,
      rootDeviceName: v.rootDeviceName,
      virtualSizeBytes: inspection.virtualSizeBytes,
      imageLocation: input.imageLocation || undefined,
      tags: v.tags,
    };
    deps.images.put(pending);
    rollback.add(`row of ${id}`, () => Promise.resolve(deps.images.delete(id)));
    const files = await deps.imageFiles.store(id, staged, inspection, signal);
    rollback.add(`files of ${id}`, () => deps.imageFiles.remove({ ...pending, ...files }));
    await deps.imageFiles.discard(id);
    const available: Image = { ...pending, ...files, state: 'available' };
    deps.images.put(available);
    deps.logger.info('registered image', {
      imageId: id,
      name: input.name,
      format: inspection.format,
      bytes: files.sizeBytes,
    });
    return available;
  });
}

const mib = (bytes: number): number => Math.ceil(bytes / 1024 ** 2);

/**
 * Images a kumod stopped in the middle of registering: their upload cannot resume, so their
 * files and rows are removed (the client saw the call fail).
 */
export async function abandonPendingImages(deps: RegisterImageDeps): Promise<void> {
  await deps.imageFiles.discardAll();
  for (const image of deps.images.list()) {
    if (image.state !== 'pending') continue;
    deps.logger.warn('removing an image whose registration was interrupted', {
      imageId: image.id,
    });
    await deps.imageFiles.remove(image);
    deps.images.delete(image.id);
  }
}
