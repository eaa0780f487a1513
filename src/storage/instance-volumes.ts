import {
  imageSizeGiB,
  ROOT_DEVICE,
  type RootVolumeSpec,
} from '../compute/block-device-mappings.js';
import type { Image } from '../compute/image.js';
import type { InstanceDisk, RootDisks } from '../compute/ports.js';
import { newId } from '../core/ids.js';
import { withRollback } from '../core/rollback.js';
import type { StorageDeps } from './deps.js';
import { volumeThrottle } from './volume-performance.js';
import { GIB, guestSerial, VOLUME_TYPES, type Volume, type VolumeType } from './volume.js';

/**
 * Compute's view of an instance's disks, kept by the storage domain: the root disk is a volume
 * (vol-…, DeleteOnTermination true), data volumes come and go with attach/detach.
 */
export class InstanceVolumes implements RootDisks {
  constructor(private readonly deps: StorageDeps) {}

  async create(instanceId: string, image: Image, spec: RootVolumeSpec = {}): Promise<string> {
    const d = this.deps;
    // A launch redone after kumod was killed finds the root volume it made the first time.
    const existing = d.volumes.byInstance(instanceId).find((v) => v.root && v.path);
    if (existing?.path) return existing.path;
    const id = newId('vol');
    return withRollback(d.logger, async (rollback) => {
      // A larger root size grows the overlay's virtual size (the guest's file system stays
      // as the image made it unless the guest grows it, e.g. with growpart).
      const sizeGiB = spec.sizeGiB ?? imageSizeGiB(image);
      const path = await d.files.createOverlay(
        id,
        image.diskPath,
        spec.sizeGiB === undefined ? undefined : sizeGiB * GIB,
      );
      rollback.add(`root volume file ${id}`, () => d.files.remove(path));
      const now = d.clock.now();
      const volume: Volume = {
        id,
        sizeGiB,
        volumeType: (VOLUME_TYPES as readonly string[]).includes(spec.volumeType ?? '')
          ? (spec.volumeType as VolumeType)
          : 'gp3',
        availabilityZone: d.settings.availabilityZone,
        state: 'in-use',
        createTime: now,
        imageId: image.id,
        path,
        tags: [],
        root: true,
        attachment: {
          instanceId,
          device: ROOT_DEVICE,
          state: 'attached',
          attachTime: now,
          deleteOnTermination: spec.deleteOnTermination ?? true,
        },
      };
      d.volumes.put(volume);
      return path;
    });
  }

  async remove(path: string): Promise<void> {
    const d = this.deps;
    const v = d.volumes.list().find((x) => x.path === path);
    await d.files.remove(path);
    if (v) d.volumes.delete(v.id);
  }

  disks(instanceId: string): InstanceDisk[] {
    return this.deps.volumes
      .byInstance(instanceId)
      .flatMap((v): InstanceDisk[] =>
        v.attachment && v.path
          ? [
              {
                volumeId: v.id,
                path: v.path,
                serial: guestSerial(v.id),
                deviceName: v.attachment.device,
                status: v.attachment.state,
                attachTime: v.attachment.attachTime,
                deleteOnTermination: v.attachment.deleteOnTermination,
                root: v.root === true,
                throttle: volumeThrottle(v),
              },
            ]
          : [],
      )
      .sort((a, b) => Number(b.root) - Number(a.root));
  }

  async terminate(instanceId: string): Promise<void> {
    const d = this.deps;
    for (const v of d.volumes.byInstance(instanceId)) {
      await d.locks.run(v.id, async () => {
        const current = d.volumes.get(v.id);
        if (!current?.attachment || current.attachment.instanceId !== instanceId) return;
        if (current.attachment.deleteOnTermination) {
          d.volumes.put({ ...current, state: 'deleting' });
          if (current.path) await d.files.remove(current.path);
          d.volumes.delete(current.id);
          d.logger.info('volume deleted on termination', { volumeId: v.id, instanceId });
        } else {
          d.volumes.put({ ...current, state: 'available', attachment: undefined, root: undefined });
          d.logger.info('volume detached on termination', { volumeId: v.id, instanceId });
        }
      });
    }
  }
}
