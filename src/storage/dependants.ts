import type { StorageDeps } from './deps.js';

/**
 * What storage's files depend on, for the images domain: an image's file must stay while a
 * volume is an overlay on it (root volumes, and volumes kept after their instance terminated).
 * Snapshots are self-contained copies and depend on no image. Deregistering an image that is
 * listed here hides it but keeps its file until the last dependant is deleted.
 */
export function volumesUsingImage(deps: Pick<StorageDeps, 'volumes'>, imageId: string): string[] {
  return deps.volumes
    .list()
    .filter((v) => v.imageId === imageId)
    .map((v) => v.id);
}

/** Every image some volume depends on, with those volumes. */
export function imagesInUse(deps: Pick<StorageDeps, 'volumes'>): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const v of deps.volumes.list()) {
    if (!v.imageId) continue;
    used.set(v.imageId, [...(used.get(v.imageId) ?? []), v.id]);
  }
  return used;
}
