import { notFound } from '../core/errors.js';
import { assertId, newId, OWNER_ID } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { Filter } from '../core/tags.js';
import { applyFilters } from '../core/tags.js';
import type { Image } from './image.js';
import type { ImageRepository, ImageStore } from './ports.js';

/**
 * DescribeImages by ids, owners and filters. Owners as in EC2: `self` or the owner id match this
 * host's images; any other owner (`amazon`, an account id) owns nothing here.
 */
export function describeImages(
  repo: ImageRepository,
  ids: readonly string[],
  filters: readonly Filter[],
  owners: readonly string[] = [],
): Image[] {
  for (const id of ids) assertId('ami', id, 'InvalidAMIID.Malformed');
  const missing = ids.filter((id) => !repo.get(id));
  if (missing.length > 0) {
    throw notFound(
      'InvalidAMIID.NotFound',
      `The image id '[${missing.join(', ')}]' does not exist`,
    );
  }
  const mine = owners.length === 0 || owners.some((o) => o === 'self' || o === OWNER_ID);
  const base = !mine
    ? []
    : ids.length > 0
      ? repo.list().filter((i) => ids.includes(i.id))
      : repo.list();
  return applyFilters(base, filters, {
    fields: {
      name: (i) => [i.name],
      'image-id': (i) => [i.id],
      architecture: (i) => [i.architecture],
      state: () => ['available'],
      'owner-id': () => [OWNER_ID],
    },
  });
}

/**
 * Registers the image built in `dir` unless an image with the same name and recipe hash exists.
 * Returns the registered (or existing) image, or undefined when nothing is built there.
 */
export async function registerBuiltImage(
  deps: { images: ImageRepository; store: ImageStore; clock: Clock; logger: Logger },
  dir: string,
): Promise<Image | undefined> {
  const manifest = await deps.store.readManifest(dir);
  if (!manifest) {
    deps.logger.warn('no built image found; run scripts/build-image', { dir });
    return undefined;
  }
  const existing = deps.images
    .list()
    .find((i) => i.name === manifest.name && i.sourceHash === manifest.recipeHash);
  if (existing) return existing;
  const id = newId('ami');
  const files = await deps.store.import(id, dir, manifest);
  const image: Image = {
    id,
    name: manifest.name,
    description: manifest.description,
    architecture: manifest.architecture,
    kernelPath: files.kernelPath,
    initrdPath: files.initrdPath,
    diskPath: files.diskPath,
    kernelCmdline: manifest.kernelCmdline,
    defaultUser: manifest.defaultUser,
    sizeBytes: files.sizeBytes,
    createdAt: deps.clock.now(),
    sourceHash: manifest.recipeHash,
  };
  deps.images.put(image);
  deps.logger.info('registered image', { imageId: id, name: image.name });
  return image;
}
