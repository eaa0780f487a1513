import type { Tag } from '../core/tags.js';

/** EC2's volume states (VolumeState); kumo never reports `deleted` rows (they are gone). */
export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'error';

/** EC2's attachment states (VolumeAttachmentState) that a recorded attachment can be in. */
export type AttachmentState = 'attaching' | 'attached' | 'detaching';

export const VOLUME_TYPES = ['gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1', 'standard'] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];
export const DEFAULT_VOLUME_TYPE: VolumeType = 'gp3';

/** EC2's size limits per type, in GiB (gp2/gp3/io1/io2: 1-16384; st1/sc1: 125-16384; standard: 1-1024). */
export const SIZE_LIMITS_GIB: Readonly<Record<VolumeType, { min: number; max: number }>> = {
  gp3: { min: 1, max: 16384 },
  gp2: { min: 1, max: 16384 },
  io1: { min: 4, max: 16384 },
  io2: { min: 4, max: 16384 },
  st1: { min: 125, max: 16384 },
  sc1: { min: 125, max: 16384 },
  standard: { min: 1, max: 1024 },
};

export const GIB = 1024 ** 3;

/** Where a volume is attached. One instance at a time (no multi-attach). */
export interface Attachment {
  readonly instanceId: string;
  /** The device name asked for (/dev/sdf), or the root device for root volumes. */
  readonly device: string;
  readonly state: AttachmentState;
  readonly attachTime: Date;
  readonly deleteOnTermination: boolean;
}

/** The latest ModifyVolume of a volume (EC2's VolumeModification). */
export interface VolumeModification {
  readonly state: 'modifying' | 'optimizing' | 'completed' | 'failed';
  readonly statusMessage?: string | undefined;
  readonly originalSizeGiB: number;
  readonly targetSizeGiB: number;
  readonly originalVolumeType: VolumeType;
  readonly targetVolumeType: VolumeType;
  readonly originalIops?: number | undefined;
  readonly targetIops?: number | undefined;
  readonly originalThroughput?: number | undefined;
  readonly targetThroughput?: number | undefined;
  readonly progress: number;
  readonly startTime: Date;
  readonly endTime?: Date | undefined;
}

/** An EBS volume: a qcow2 file (an overlay when made from an image or a snapshot). */
export interface Volume {
  readonly id: string;
  readonly sizeGiB: number;
  readonly volumeType: VolumeType;
  readonly iops?: number | undefined;
  readonly throughput?: number | undefined;
  readonly availabilityZone: string;
  readonly state: VolumeState;
  readonly createTime: Date;
  readonly snapshotId?: string | undefined;
  /** The image this volume is a copy-on-write overlay of (root volumes): the image must stay. */
  readonly imageId?: string | undefined;
  /** The file, once made (absent while `creating` before the file exists). */
  readonly path?: string | undefined;
  readonly tags: readonly Tag[];
  readonly attachment?: Attachment | undefined;
  /** True for an instance's root volume (made at launch, the boot disk). */
  readonly root?: boolean | undefined;
  readonly modification?: VolumeModification | undefined;
}

/**
 * The serial the guest sees (/sys/block/vdX/serial, /dev/disk/by-id/virtio-…). virtio-blk serials
 * hold 20 bytes and `vol-` + 17 hex digits is 21, so the dash goes, as in EC2's NVMe serials
 * (`vol0123…`).
 */
export const guestSerial = (volumeId: string): string => volumeId.replace('-', '');

export { DEVICE_NAME_PATTERN } from '../compute/block-device-mappings.js';
