import type { Tag } from '../core/tags.js';

/** EC2's BootMode of an image that firmware boots from its own disk. */
export type BootMode = 'legacy-bios' | 'uefi';
export const BOOT_MODES: readonly BootMode[] = ['legacy-bios', 'uefi'];

/**
 * EC2 image states kumo uses: `pending` while a registration converts the disk into the store,
 * `available` once it can be launched. A deregistered image that a root disk still needs is
 * hidden (`deregistered`, not listed) until the last dependant is gone; then it is deleted.
 */
export type ImageState = 'pending' | 'available' | 'deregistered';

/** A registered machine image: read-only files in the image store. */
export interface Image {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly architecture: string;
  /** Direct kernel boot: the kernel and initrd (images built by a recipe, or --kernel). */
  readonly kernelPath?: string | undefined;
  readonly initrdPath?: string | undefined;
  /** The read-only qcow2 base every root disk of this image is an overlay of. */
  readonly diskPath: string;
  readonly kernelCmdline: string;
  readonly defaultUser: string;
  /** Bytes the stored disk file takes. */
  readonly sizeBytes: number;
  readonly createdAt: Date;
  /** The recipe hash the image was built from, so a newer build registers as a new image. */
  readonly sourceHash: string;
  /** Absent on images stored before registration existed: available. */
  readonly state?: ImageState | undefined;
  /** Firmware boot from the disk (no kernel): legacy-bios (SeaBIOS) or uefi (OVMF). */
  readonly bootMode?: BootMode | undefined;
  /** As the user named it (EC2 RootDeviceName); absent: DEFAULT_ROOT_DEVICE_NAME. */
  readonly rootDeviceName?: string | undefined;
  /** The disk's virtual size in bytes (what a root volume of it holds). */
  readonly virtualSizeBytes?: number | undefined;
  /** Where the file came from, as the client named it (informational only). */
  readonly imageLocation?: string | undefined;
  readonly tags?: readonly Tag[] | undefined;
}

export const DEFAULT_IMAGE_NAME = 'kumo-tiny';
export const DEFAULT_ROOT_DEVICE_NAME = '/dev/vda';

export const imageState = (i: Image): ImageState => i.state ?? 'available';
/** How an instance of the image boots. */
export const bootOf = (i: Image): 'kernel' | BootMode =>
  i.kernelPath ? 'kernel' : (i.bootMode ?? 'legacy-bios');
