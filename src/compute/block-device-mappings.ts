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

/** A data volume RunInstances' BlockDeviceMappings make at launch (blank or from a snapshot). */
export interface DataVolumeSpec {
  readonly deviceName: string;
  /** GiB; undefined: the snapshot's size. */
  readonly sizeGiB?: number | undefined;
  readonly snapshotId?: string | undefined;
  readonly volumeType?: string | undefined;
  readonly iops?: number | undefined;
  readonly throughput?: number | undefined;
  /** False unless asked: EC2's default for volumes other than the root. */
  readonly deleteOnTermination: boolean;
}

/** What a launch's BlockDeviceMappings ask for: the root volume's shape and extra volumes. */
export interface LaunchVolumes {
  readonly root?: RootVolumeSpec | undefined;
  readonly data: readonly DataVolumeSpec[];
}

/** EC2's device names for data volumes: /dev/sd[b-z] and /dev/xvd[b-z] (optionally a digit). */
export const DEVICE_NAME_PATTERN = /^\/dev\/(sd|xvd)[b-z][0-9]?$/;

export interface BlockDeviceMappingInput {
  readonly deviceName: string;
  readonly ebs?:
    | {
        readonly volumeSize?: number | undefined;
        readonly deleteOnTermination?: boolean | undefined;
        readonly volumeType?: string | undefined;
        readonly snapshotId?: string | undefined;
        readonly iops?: number | undefined;
        readonly throughput?: number | undefined;
      }
    | undefined;
}

/** The image's size in whole GiB: the smallest root volume it fits. */
export const imageSizeGiB = (image: Image): number => Math.max(1, Math.ceil(image.sizeBytes / GIB));

const bad = (message: string) => invalidParameter(message, 'InvalidBlockDeviceMapping');

/**
 * Validates the shape of RunInstances' BlockDeviceMappings: the root device's entry (size,
 * DeleteOnTermination, type) and EBS volumes on /dev/sd[b-z] or /dev/xvd[b-z], each blank (with
 * a size) or from a snapshot. The volumes' types, sizes and snapshots are the storage domain's
 * to check (RootDisks.checkLaunchVolumes).
 */
export function launchVolumeSpecs(
  image: Image,
  mappings: readonly BlockDeviceMappingInput[],
): LaunchVolumes {
  const seen = new Set<string>();
  for (const m of mappings) {
    if (seen.has(m.deviceName))
      throw bad(`The device ${quoted(m.deviceName)} is mapped more than once`);
    seen.add(m.deviceName);
  }
  const rootMappings = mappings.filter((m) => m.deviceName === ROOT_DEVICE);
  const data = mappings
    .filter((m) => m.deviceName !== ROOT_DEVICE)
    .map((m): DataVolumeSpec => {
      if (!DEVICE_NAME_PATTERN.test(m.deviceName)) {
        throw bad(
          `Invalid device name ${quoted(m.deviceName)}: the root is ${ROOT_DEVICE}, data volumes ` +
            'take /dev/sd[b-z] or /dev/xvd[b-z]',
        );
      }
      const ebs = m.ebs;
      if (!ebs || (!ebs.volumeSize && !ebs.snapshotId)) {
        throw bad(
          `The mapping of ${m.deviceName} needs Ebs with a VolumeSize (a blank volume) or a ` +
            'SnapshotId; kumo has no NoDevice or VirtualName mappings (its instance store comes ' +
            'with the instance type)',
        );
      }
      return {
        deviceName: m.deviceName,
        sizeGiB: ebs.volumeSize || undefined,
        snapshotId: ebs.snapshotId || undefined,
        volumeType: ebs.volumeType || undefined,
        iops: ebs.iops || undefined,
        throughput: ebs.throughput || undefined,
        deleteOnTermination: ebs.deleteOnTermination ?? false,
      };
    });
  return { root: rootVolumeSpec(image, rootMappings), data };
}

/** The root device's entry (size, DeleteOnTermination, type); undefined when there is none. */
function rootVolumeSpec(
  image: Image,
  mappings: readonly BlockDeviceMappingInput[],
): RootVolumeSpec | undefined {
  if (mappings.length === 0) return undefined;
  const ebs = mappings[0]?.ebs ?? {};
  if (ebs.snapshotId) {
    throw bad(`The root volume comes from the image; ${ROOT_DEVICE} takes no SnapshotId`);
  }
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
