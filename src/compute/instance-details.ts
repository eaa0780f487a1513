import type { ComputeDeps } from './deps.js';
import type { Image } from './image.js';
import type { Instance } from './instance.js';
import { findInstanceType, type InstanceType } from './instance-types.js';
import type { InstanceDisk } from './ports.js';

/** An instance with its image and type, as describe shows them. */
export interface InstanceDetails {
  readonly instance: Instance;
  /** Undefined once the image is gone (deregistered and deleted). */
  readonly image: Image | undefined;
  readonly type: InstanceType | undefined;
  /** Its attached volumes, root first. */
  readonly disks: readonly InstanceDisk[];
}

/**
 * Looks up each distinct image and type once for the whole list (a describe of a hundred
 * instances of one image reads that image once), not once per instance.
 */
export function instanceDetails(
  deps: Pick<ComputeDeps, 'images' | 'rootDisks'>,
  instances: readonly Instance[],
): InstanceDetails[] {
  const images = new Map<string, Image | undefined>();
  const types = new Map<string, InstanceType | undefined>();
  return instances.map((instance) => {
    if (!images.has(instance.imageId))
      images.set(instance.imageId, deps.images.get(instance.imageId));
    if (!types.has(instance.instanceType))
      types.set(instance.instanceType, findInstanceType(instance.instanceType));
    return {
      instance,
      image: images.get(instance.imageId),
      type: types.get(instance.instanceType),
      disks: deps.rootDisks.disks(instance.id),
    };
  });
}
