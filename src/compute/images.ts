import { listed, notFound } from '../core/errors.js';
import { assertId, newId, OWNER_ID } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { Filter } from '../core/tags.js';
import { applyFilters } from '../core/tags.js';
import { bootOf, DEFAULT_ROOT_DEVICE_NAME, imageState, type Image } from './image.js';
import type { ImageManifest, ImageRepository, ImageStore } from './ports.js';

/** A built image's manifest that kumod will not use; the message says which field and why. */
export class ImageManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageManifestError';
  }
}

/** The manifest fields that name files of the image (kumod turns them into paths). */
export const MANIFEST_FILE_FIELDS = ['kernel', 'initrd', 'disk'] as const;

/**
 * A plain file name: what a manifest may put in a file field. No directory part (`/` or `\`), no
 * `..` anywhere, not `.`, no NUL: joined to the image directory it can only name a file directly
 * in it, so a crafted manifest cannot make kumod copy (and boot) a file from elsewhere.
 */
export function isPlainFileName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    name !== '.' &&
    !name.includes('..') &&
    !/[/\\\0]/.test(name)
  );
}

/** Refuses a manifest whose file fields are not plain file names, naming the field and value. */
export function assertManifestFileNames(manifest: ImageManifest, source: string): void {
  for (const field of MANIFEST_FILE_FIELDS) {
    const value: unknown = manifest[field];
    if (typeof value !== 'string' || !isPlainFileName(value)) {
      throw new ImageManifestError(
        `image manifest ${source}: "${field}" must be the name of a file in the image directory ` +
          `(a plain file name, without "/" or ".."), not ${shorten(JSON.stringify(value) ?? String(value))}`,
      );
    }
  }
}

/** Echoes at most 100 characters of a bad value: enough to recognise it, never a flood. */
const shorten = (text: string): string => (text.length > 100 ? `${text.slice(0, 100)}…` : text);

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
  // A deregistered image kept for its dependants is gone for every client.
  const visible = (i: Image | undefined): i is Image => !!i && imageState(i) !== 'deregistered';
  const missing = ids.filter((id) => !visible(repo.get(id)));
  if (missing.length > 0) {
    throw notFound('InvalidAMIID.NotFound', `The image id '[${listed(missing)}]' does not exist`);
  }
  const mine = owners.length === 0 || owners.some((o) => o === 'self' || o === OWNER_ID);
  const base = !mine
    ? []
    : ids.length > 0
      ? repo.list().filter((i) => visible(i) && ids.includes(i.id))
      : repo.list().filter(visible);
  return applyFilters(base, filters, {
    fields: {
      name: (i) => [i.name],
      'image-id': (i) => [i.id],
      architecture: (i) => [i.architecture],
      state: (i) => [imageState(i)],
      'owner-id': () => [OWNER_ID],
      'owner-alias': () => ['self'],
      description: (i) => [i.description],
      'boot-mode': (i) => (bootOf(i) === 'kernel' ? [] : [bootOf(i)]),
      'root-device-name': (i) => [i.rootDeviceName ?? DEFAULT_ROOT_DEVICE_NAME],
      'root-device-type': () => ['ebs'],
      'virtualization-type': () => ['hvm'],
      'image-type': () => ['machine'],
      'is-public': () => ['false'],
      hypervisor: () => ['xen'],
      'block-device-mapping.device-name': (i) => [i.rootDeviceName ?? DEFAULT_ROOT_DEVICE_NAME],
      'block-device-mapping.volume-size': (i) => [String(volumeSizeGib(i))],
      'block-device-mapping.delete-on-termination': () => ['true'],
      'creation-date': (i) => [i.createdAt.toISOString()],
    },
    tags: (i) => i.tags ?? [],
  });
}

/** The root volume size an instance of the image gets: its disk's virtual size in GiB, rounded up. */
export const volumeSizeGib = (i: Image): number =>
  Math.max(1, Math.ceil((i.virtualSizeBytes ?? i.sizeBytes) / 1024 ** 3));

/**
 * Registers the image built in `dir` unless an image with the same name and recipe hash exists.
 * Returns the registered (or existing) image, or undefined when nothing is built there. A manifest
 * whose file fields are not plain file names in `dir` is refused (ImageManifestError), before
 * anything is copied or recorded.
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
  assertManifestFileNames(manifest, `${dir}/manifest.json`);
  const existing = deps.images
    .list()
    .find(
      (i) =>
        i.name === manifest.name &&
        i.sourceHash === manifest.recipeHash &&
        imageState(i) !== 'deregistered',
    );
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
