import type { Image } from '../compute/image.js';
import type { InstanceDisk, RootDisks } from '../compute/ports.js';
import { newId } from '../core/ids.js';
import { withRollback } from '../core/rollback.js';
import type { StorageDeps } from './deps.js';
import { GIB, guestSerial, type Volume } from './volume.js';

/** The device name of every instance's root volume (the guest's first virtio disk). */
export const ROOT_DEVICE = '/dev/vda';

/** A root volume's size: its image's, in whole GiB (EC2 sizes volumes in GiB). */
const rootSizeGiB = (image: Image): number => Math.max(1, Math.ceil(image.sizeBytes / GIB));

/**
 * Compute's view of an instance's disks, kept by the storage domain: the root disk is a volume
 * (vol-…, DeleteOnTermination true), data volumes come and go with attach/detach.
 */
export class InstanceVolumes implements RootDisks {
  constructor(private readonly deps: StorageDeps) {}

  async create(instanceId: string, image: Image): Promise<string> {
    const d = this.deps;
    // A launch redone after kumod was killed finds the root volume it made the first time.
    const existing = d.volumes.byInstance(instanceId).find((v) => v.root && v.path);
    if (existing?.path) return existing.path;
    const id = newId('vol');
    return withRollback(d.logger, async (rollback) => {
      const path = await d.files.createOverlay(id, image.diskPath);
      rollback.add(`root volume file ${id}`, () => d.files.remove(path));
      const now = d.clock.now();
      const volume: Volume = {
        id,
        sizeGiB: rootSizeGiB(image),
        volumeType: 'gp3',
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
          deleteOnTermination: true,
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
