import type { Logger } from '../core/logger.js';
import type { Image } from './image.js';
import type { ImageFiles } from './image-files.js';
import type { ImageRepository, InstanceRepository } from './ports.js';

/**
 * Who still needs an image's file: the ids of resources whose disks are backed by it. This is the
 * seam for other resource kinds (volumes, snapshots): each adds one source.
 */
export type DependantsOf = (imageId: string) => readonly string[];

/**
 * Instances whose root disk is (or, while they launch, is about to be) an overlay on the image:
 * every instance until it is terminated and its disk removed.
 */
export const instanceRootDisks =
  (instances: InstanceRepository): DependantsOf =>
  (imageId) =>
    instances
      .list()
      .filter(
        (i) => i.imageId === imageId && (i.rootDisk !== undefined || i.state !== 'terminated'),
      )
      .map((i) => i.id);

export const dependantsOf = (sources: readonly DependantsOf[], imageId: string): string[] =>
  sources.flatMap((s) => s(imageId));

export interface ImageCollectorDeps {
  readonly images: ImageRepository;
  readonly imageFiles: ImageFiles;
  readonly dependants: readonly DependantsOf[];
  readonly logger: Logger;
}

/**
 * Deletes a deregistered image once nothing depends on it: files first, then the row, so a
 * failure in between leaves a row that the next collection finishes (never a row without files
 * that a launch could pick). Returns whether it was deleted.
 */
export async function collectImage(deps: ImageCollectorDeps, image: Image): Promise<boolean> {
  if (image.state !== 'deregistered') return false;
  if (dependantsOf(deps.dependants, image.id).length > 0) return false;
  await deps.imageFiles.remove(image);
  deps.images.delete(image.id);
  deps.logger.info('deleted deregistered image', { imageId: image.id });
  return true;
}

/** Collects every deregistered image that nothing needs any more (after a terminate, at start). */
export async function collectImages(deps: ImageCollectorDeps): Promise<void> {
  for (const image of deps.images.list()) {
    if (image.state !== 'deregistered') continue;
    await collectImage(deps, image).catch((e: unknown) =>
      deps.logger.error('could not delete a deregistered image', {
        imageId: image.id,
        error: String(e),
      }),
    );
  }
}
