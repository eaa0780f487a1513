import {
  dryRunOperation,
  incorrectState,
  invalidParameter,
  KumoError,
  notFound,
  quoted,
} from '../core/errors.js';
import { assertId, newId } from '../core/ids.js';
import type { Clock } from '../core/clock.js';
import type { KeyedMutex } from '../core/keyed-mutex.js';
import type { Logger } from '../core/logger.js';
import { withRollback } from '../core/rollback.js';
import { imageState, type Image } from './image.js';
import type { ImageFiles, StoredImageFiles } from './image-files.js';
import type { Hypervisor, ImageRepository, InstanceRepository } from './ports.js';
import { FREE_SPACE_RESERVE_BYTES, validateRegistration } from './register-image.js';
import { validateTagSpecifications, type TagSpecification } from './tag-specifications.js';

export interface CreateImageDeps {
  readonly images: ImageRepository;
  readonly instances: InstanceRepository;
  readonly imageFiles: ImageFiles;
  readonly locks: KeyedMutex;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Copies running guests' disks, and powers a guest off and boots it again around the copy
   * (create-image without --no-reboot); absent: only stopped instances.
   */
  readonly hypervisor?:
    Pick<Hypervisor, 'copyRootDisk' | 'powerOffGuest' | 'bootAgain'> | undefined;
  /** How long a guest gets to power off before its image is taken anyway (kumod --stop-timeout). */
  readonly powerOffTimeoutMs?: number | undefined;
}

interface NewImage {
  readonly name: string;
  readonly description?: string | undefined;
  readonly tagSpecifications?: readonly TagSpecification[] | undefined;
  readonly dryRun?: boolean | undefined;
}

/** Checks name, description and tags as RegisterImage does. */
function validateNew(input: NewImage) {
  const v = validateRegistration({
    name: input.name,
    description: input.description,
    sizes: { disk: 1, kernel: 0, ramdisk: 0 },
  });
  return {
    description: v.description,
    tags: validateTagSpecifications(input.tagSpecifications ?? [], ['image']),
  };
}

/**
 * Stores a new image copied from `source` with the boot settings of `like`: pending while the
 * disk is copied, then available. Free space (the disk's virtual size plus the reserve) is checked
 * first; a failure leaves no row and no file.
 */
async function storeCopy(
  deps: CreateImageDeps,
  like: Image,
  input: NewImage,
  extraTags: Image['tags'],
  copy: (imageId: string) => Promise<StoredImageFiles>,
): Promise<Image> {
  const { description, tags } = validateNew(input);
  const virtual = like.virtualSizeBytes ?? like.sizeBytes;
  const free = await deps.imageFiles.freeBytes();
  if (free < virtual + FREE_SPACE_RESERVE_BYTES) {
    throw new KumoError(
      'ResourceExhausted',
      'InsufficientVolumeCapacity',
      `Copying this ${mib(virtual)} MiB disk needs ${mib(virtual + FREE_SPACE_RESERVE_BYTES)} MiB ` +
        `free in the image store; ${mib(free)} MiB is free. Free some space or deregister unused images.`,
    );
  }
  const id = newId('ami');
  return withRollback(deps.logger, async (rollback) => {
    const pending: Image = {
      ...like,
      id,
      name: input.name,
      description,
      diskPath: '',
      kernelPath: undefined,
      initrdPath: undefined,
      sizeBytes: 0,
      createdAt: deps.clock.now(),
      sourceHash: '',
      state: 'pending',
      imageLocation: undefined,
      tags: [...(extraTags ?? []), ...tags],
    };
    deps.images.put(pending);
    rollback.add(`row of ${id}`, () => Promise.resolve(deps.images.delete(id)));
    rollback.add(`files of ${id}`, () => deps.imageFiles.remove(pending));
    const files = await copy(id);
    const available: Image = { ...pending, ...files, state: 'available' };
    deps.images.put(available);
    return available;
  });
}

const mib = (bytes: number): number => Math.ceil(bytes / 1024 ** 2);

/** An image that can be read: registered, available (not pending, not deregistered). */
function availableImage(deps: CreateImageDeps, imageId: string): Image {
  assertId('ami', imageId, 'InvalidAMIID.Malformed');
  const image = deps.images.get(imageId);
  if (!image || imageState(image) === 'deregistered') {
    throw notFound('InvalidAMIID.NotFound', `The image id ${quoted(imageId)} does not exist`);
  }
  if (imageState(image) !== 'available') {
    throw incorrectState(
      `The image ${imageId} is ${imageState(image)}`,
      'InvalidAMIID.Unavailable',
    );
  }
  return image;
}

/**
 * CreateImage. A stopped instance: its root disk (an overlay on its image) is flattened into a
 * new standalone image while the instance's lock keeps it from starting, so the copy is
 * consistent. A running instance with NoReboot: QEMU copies the disk as it is at that moment
 * (crash-consistent, like pulling the plug), the guest running on; the lock keeps it from being
 * stopped or terminated meanwhile. Without NoReboot, as EC2 does: the guest is shut down
 * cleanly (ACPI, waiting up to the stop timeout), its disk copied while it is off, and it boots
 * again in the same QEMU (same addresses, volumes and instance store); a guest that ignores the
 * power button is copied crash-consistent and reset. The new image boots like the instance's
 * image (same boot mode, or the same kernel).
 */
export async function createImage(
  deps: CreateImageDeps,
  input: NewImage & { readonly instanceId: string; readonly noReboot?: boolean | undefined },
  signal: AbortSignal,
): Promise<Image> {
  assertId('i', input.instanceId, 'InvalidInstanceID.Malformed');
  validateNew(input);
  const check = () => {
    const instance = deps.instances.get(input.instanceId);
    if (!instance || instance.state === 'terminated') {
      throw notFound(
        'InvalidInstanceID.NotFound',
        `The instance ID ${quoted(input.instanceId)} does not exist`,
      );
    }
    const hv = deps.hypervisor;
    const canReboot = input.noReboot || (hv?.powerOffGuest && hv.bootAgain);
    const live = instance.state === 'running' && instance.runtime && hv?.copyRootDisk && canReboot;
    if (instance.state !== 'stopped' && !live) {
      throw incorrectState(
        `The instance ${instance.id} is ${instance.state}; make images of stopped or running ` +
          'instances. Wait until it is stopped or running.',
      );
    }
    if (!instance.rootDisk) {
      throw incorrectState(`The instance ${instance.id} has no root disk to make an image of`);
    }
    const image = deps.images.get(instance.imageId);
    if (!image) {
      throw incorrectState(`The image ${instance.imageId} of ${instance.id} is gone`);
    }
    return { instance, image, rootDisk: instance.rootDisk };
  };
  check();
  if (input.dryRun) throw dryRunOperation();
  return deps.locks.run(input.instanceId, async () => {
    const { instance, image, rootDisk } = check();
    const source = { disk: rootDisk, kernel: image.kernelPath, initrd: image.initrdPath };
    const runtime = instance.runtime;
    const hv = deps.hypervisor;
    const copyRunning = hv?.copyRootDisk?.bind(hv);
    const running = instance.state === 'running' && runtime !== undefined;
    const reboot = running && !input.noReboot;
    if (reboot && hv?.powerOffGuest) {
      const off = await hv.powerOffGuest(runtime, deps.powerOffTimeoutMs ?? 60_000);
      if (!off) {
        deps.logger.warn('the guest did not power off for create-image; copying it as it runs', {
          instanceId: instance.id,
        });
      }
    }
    try {
      const made = await storeCopy(deps, image, input, [], (id) =>
        running && copyRunning
          ? deps.imageFiles.copyInUsing(
              id,
              source,
              (target) => copyRunning(runtime, target, signal),
              signal,
            )
          : deps.imageFiles.copyIn(id, source, signal),
      );
      deps.logger.info('created image', {
        imageId: made.id,
        instanceId: input.instanceId,
        whileRunning: running && !reboot,
        rebooted: reboot,
      });
      return made;
    } finally {
      // Whatever became of the copy, the guest boots again (EC2's reboot).
      if (reboot && hv?.bootAgain) await hv.bootAgain(runtime);
    }
  });
}

/** CopyImage within this host (its only region): a new image with its own copy of the files. */
export async function copyImage(
  deps: CreateImageDeps,
  input: NewImage & {
    readonly sourceImageId: string;
    readonly sourceRegion?: string | undefined;
    readonly copyImageTags?: boolean | undefined;
  },
  region: string,
  signal: AbortSignal,
): Promise<Image> {
  if (input.sourceRegion && input.sourceRegion !== region) {
    throw invalidParameter(
      `Invalid value ${quoted(input.sourceRegion)} for SourceRegion: this host is region ${region}`,
    );
  }
  const source = availableImage(deps, input.sourceImageId);
  validateNew(input);
  if (input.dryRun) throw dryRunOperation();
  const made = await storeCopy(
    deps,
    source,
    input,
    input.copyImageTags ? (source.tags ?? []) : [],
    (id) =>
      deps.imageFiles.copyIn(
        id,
        { disk: source.diskPath, kernel: source.kernelPath, initrd: source.initrdPath },
        signal,
      ),
  );
  deps.logger.info('copied image', { imageId: made.id, sourceImageId: source.id });
  return made;
}
