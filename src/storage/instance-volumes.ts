import {
  imageSizeGiB,
  ROOT_DEVICE,
  type DataVolumeSpec,
  type RootVolumeSpec,
} from '../compute/block-device-mappings.js';
import type { Image } from '../compute/image.js';
import type { InstanceDisk, RootDisks } from '../compute/ports.js';
import { newId } from '../core/ids.js';
import { withRollback, type Rollback } from '../core/rollback.js';
import type { StorageDeps } from './deps.js';
import { makeVolumeFile, planVolume } from './volumes.js';
import { volumeThrottle } from './volume-performance.js';
import { GIB, guestSerial, VOLUME_TYPES, type Volume, type VolumeType } from './volume.js';

/**
 * Compute's view of an instance's disks, kept by the storage domain: the root disk is a volume
 * (vol-…, DeleteOnTermination true), data volumes come and go with attach/detach.
 */
export class InstanceVolumes implements RootDisks {
  constructor(private readonly deps: StorageDeps) {}

  checkLaunchVolumes(specs: readonly DataVolumeSpec[]): void {
    for (const spec of specs) planVolume(this.deps, spec);
  }

  async create(
    instanceId: string,
    image: Image,
    spec: RootVolumeSpec = {},
    data: readonly DataVolumeSpec[] = [],
  ): Promise<string> {
    return withRollback(this.deps.logger, async (rollback) => {
      const root = await this.createRoot(instanceId, image, spec, rollback);
      for (const v of data) await this.createData(instanceId, v, rollback);
      return root;
    });
  }

  /**
   * A data volume of the launch, made and attached before the VM starts (so its first boot has
   * it); one already attached at that device is the one an interrupted launch made.
   */
  private async createData(instanceId: string, spec: DataVolumeSpec, rollback: Rollback) {
    const d = this.deps;
    const attached = d.volumes.byInstance(instanceId);
    if (attached.some((v) => v.attachment?.device === spec.deviceName)) return;
    const { type, size, snapshot } = planVolume(d, spec);
    const id = newId('vol');
    const path = await makeVolumeFile(d, id, size, snapshot);
    rollback.add(`volume file ${id}`, () => d.files.remove(path));
    const now = d.clock.now();
    d.volumes.put({
      id,
      sizeGiB: size,
      volumeType: type,
      iops: spec.iops,
      throughput: spec.throughput,
      availabilityZone: d.settings.availabilityZone,
      state: 'in-use',
      createTime: now,
      snapshotId: snapshot?.id,
      path,
      tags: [],
      attachment: {
        instanceId,
        device: spec.deviceName,
        state: 'attached',
        attachTime: now,
        deleteOnTermination: spec.deleteOnTermination,
      },
    });
    rollback.add(`row of ${id}`, () => Promise.resolve(d.volumes.delete(id)));
  }

  private async createRoot(
    instanceId: string,
    image: Image,
    spec: RootVolumeSpec,
    outer: Rollback,
  ): Promise<string> {
    const d = this.deps;
    // A launch redone after kumod was killed finds the root volume it made the first time.
    const existing = d.volumes.byInstance(instanceId).find((v) => v.root && v.path);
    if (existing?.path) return existing.path;
    const id = newId('vol');
    const made = await withRollback(d.logger, async (rollback) => {
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
    outer.add(`root volume ${id}`, async () => {
      await d.files.remove(made);
      d.volumes.delete(id);
    });
    return made;
  }

  /**
   * Undoes `create`: every volume attached to the instance goes. Sound only for a launch being
   * undone: until its first start an instance has no volumes but the ones its launch made
   * (attach-volume takes running or stopped instances only).
   */
  async remove(instanceId: string): Promise<void> {
    const d = this.deps;
    for (const v of d.volumes.byInstance(instanceId)) {
      if (v.path) await d.files.remove(v.path);
      d.volumes.delete(v.id);
    }
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
