import { invalidParameter, quoted } from '../core/errors.js';
import type { Image } from './image.js';

/** The root device of every instance (the guest's first virtio disk). */
export const ROOT_DEVICE = '/dev/vda';

const GIB = 1024 ** 3;

/** What RunInstances' BlockDeviceMappings ask of the root volume. */
export interface RootVolumeSpec {
  /** GiB; the overlay on the image is grown to it. Undefined: the image's size. */
  readonly sizeGiB?: number | undefined;
  /** Undefined: true, as EC2's default for root volumes. */
  readonly deleteOnTermination?: boolean | undefined;
  readonly volumeType?: string | undefined;
}

export interface BlockDeviceMappingInput {
  readonly deviceName: string;
  readonly ebs?:
    | {
        readonly volumeSize?: number | undefined;
        readonly deleteOnTermination?: boolean | undefined;
        readonly volumeType?: string | undefined;
      }
    | undefined;
}

/** The image's size in whole GiB: the smallest root volume it fits. */
export const imageSizeGiB = (image: Image): number => Math.max(1, Math.ceil(image.sizeBytes / GIB));

const bad = (message: string) => invalidParameter(message, 'InvalidBlockDeviceMapping');

/**
 * Validates RunInstances' BlockDeviceMappings; kumo takes the root device's entry (size,
 * DeleteOnTermination, type). Other devices are refused with a pointer to attach-volume.
 */
export function rootVolumeSpec(
  image: Image,
  mappings: readonly BlockDeviceMappingInput[],
): RootVolumeSpec | undefined {
  if (mappings.length === 0) return undefined;
  const other = mappings.find((m) => m.deviceName !== ROOT_DEVICE);
  if (other) {
    throw bad(
      `kumo takes only the root device (${ROOT_DEVICE}) in BlockDeviceMappings, not ` +
        `${quoted(other.deviceName)}; create extra volumes with create-volume and attach them ` +
        'with attach-volume',
    );
  }
  if (mappings.length > 1) throw bad(`The device ${ROOT_DEVICE} is mapped more than once`);
  const ebs = mappings[0]?.ebs ?? {};
  const min = imageSizeGiB(image);
  const size = ebs.volumeSize || undefined;
  if (size !== undefined && (!Number.isInteger(size) || size < min || size > 16384)) {
    throw bad(
      `Volume of size ${size} GiB is smaller than the image (${min} GiB) or larger than ` +
        `16384 GiB; pass VolumeSize from ${min} to 16384`,
    );
  }
  return {
    sizeGiB: size,
    deleteOnTermination: ebs.deleteOnTermination,
    volumeType: ebs.volumeType || undefined,
  };
}
