/** A registered machine image: read-only files in the image store. */
export interface Image {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly architecture: string;
  readonly kernelPath: string;
  readonly initrdPath: string;
  /** The read-only qcow2 base every root disk of this image is an overlay of. */
  readonly diskPath: string;
  readonly kernelCmdline: string;
  readonly defaultUser: string;
  readonly sizeBytes: number;
  readonly createdAt: Date;
  /** The recipe hash the image was built from, so a newer build registers as a new image. */
  readonly sourceHash: string;
}

export const DEFAULT_IMAGE_NAME = 'kumo-tiny';
