import type { Image } from './image.js';

/** The files one registration carries, in the order they travel. */
export type UploadPart = 'kernel' | 'ramdisk' | 'disk';

/** One chunk of an upload, as the API layer reads it off the client's stream. */
export interface UploadChunk {
  readonly part: UploadPart;
  readonly data: Uint8Array;
}

/** How many bytes of each file the client announced (0: that file is not sent). */
export type UploadSizes = Readonly<Record<UploadPart, number>>;

/** The files of an upload in the staging area, once every announced byte has arrived. */
export interface StagedUpload {
  readonly disk: string;
  readonly kernel?: string | undefined;
  readonly ramdisk?: string | undefined;
}

/** What `qemu-img info` (and `check`) found in an uploaded disk. */
export interface DiskInspection {
  readonly format: 'qcow2' | 'raw';
  readonly virtualSizeBytes: number;
}

/** The stored files of a registered image. */
export interface StoredImageFiles {
  readonly diskPath: string;
  readonly kernelPath?: string | undefined;
  readonly initrdPath?: string | undefined;
  readonly sizeBytes: number;
  readonly virtualSizeBytes: number;
}

/**
 * Where registered images' files live (host adapter: src/host/image-uploads.ts). Every method
 * that creates something has its undo here too (discard, remove).
 */
export interface ImageFiles {
  /** Bytes free for the store (and its staging area) now. */
  freeBytes(): Promise<number>;
  /**
   * Writes the stream's chunks to a staging area of `imageId`; refuses (InvalidParameterValue) a
   * stream whose files do not have exactly the announced sizes, or whose parts come out of order.
   */
  receive(
    imageId: string,
    sizes: UploadSizes,
    chunks: AsyncIterable<UploadChunk>,
    signal: AbortSignal,
  ): Promise<StagedUpload>;
  /** Checks the uploaded disk: qcow2 or raw, undamaged, self-contained; refuses anything else. */
  inspect(path: string, signal: AbortSignal): Promise<DiskInspection>;
  /** Converts/moves the staged files into the store as read-only files (qcow2 disk). */
  store(
    imageId: string,
    staged: StagedUpload,
    inspection: DiskInspection,
    signal: AbortSignal,
  ): Promise<StoredImageFiles>;
  /**
   * Copies a disk kumod already has (a stored image, a stopped instance's root overlay, read
   * through its backing file) into the store as image `imageId`'s standalone qcow2, with the
   * kernel and initrd when given. Nothing is left under `imageId` if it fails.
   */
  copyIn(
    imageId: string,
    source: {
      readonly disk: string;
      readonly kernel?: string | undefined;
      readonly initrd?: string | undefined;
    },
    signal: AbortSignal,
  ): Promise<StoredImageFiles>;
  /**
   * As copyIn, for a disk in use: makes an empty qcow2 of the source's virtual size in the store,
   * lets `fill` write the disk into it (a hypervisor's point-in-time copy), then stores it.
   */
  copyInUsing(
    imageId: string,
    source: {
      readonly disk: string;
      readonly kernel?: string | undefined;
      readonly initrd?: string | undefined;
    },
    fill: (target: string) => Promise<void>,
    signal: AbortSignal,
  ): Promise<StoredImageFiles>;
  /** Removes the staging area of `imageId` (after success or failure). */
  discard(imageId: string): Promise<void>;
  /** Removes every staging area (at start-up: uploads a stopped kumod was receiving). */
  discardAll(): Promise<void>;
  /** Deletes a stored image's files (deregistered, nothing depends on it any more). */
  remove(image: Image): Promise<void>;
}
