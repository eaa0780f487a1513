import { chown } from 'node:fs/promises';
import type { VmRuntime } from '../../compute/instance.js';
import type { DiskThrottle } from '../../compute/ports.js';
import type { Logger } from '../../core/logger.js';
import type { GuestDisk, GuestDisks } from '../../storage/ports.js';
import { guestSerial } from '../../storage/volume.js';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from '../deadline.js';
import { blockDeviceId, blockNodeName } from './block-names.js';
import { throttleArguments } from './disk-throttle.js';
import { qmpExecute, QmpSession, type QmpMessage } from './qmp-client.js';

export interface QemuGuestDisksOptions {
  /** The user QEMU runs as (-runas): a hot-plugged file is opened with its rights. */
  readonly owner?: { uid: number; gid: number } | undefined;
  readonly logger: Logger;
}

/** A full copy of a volume while the guest runs: minutes for tens of GiB on a slow disk. */
const BACKUP_DEADLINE_MS = 30 * 60_000;

/** How long the undo of a half-done plug waits for the guest to let the disk go. */
const UNDO_UNPLUG_MS = 10_000;

const notFound = (e: unknown): boolean => /not found|Failed to find|Cannot find/i.test(String(e));

/** Hot-plug of volumes into running QEMUs over QMP (blockdev-add + device_add, and back). */
export class QemuGuestDisks implements GuestDisks {
  constructor(private readonly o: QemuGuestDisksOptions) {}

  async plug(rt: VmRuntime, disk: GuestDisk): Promise<void> {
    const owner = this.o.owner;
    if (owner) {
      await withDeadline(chown(disk.path, owner.uid, owner.gid), KERNEL_FILE_DEADLINE_MS, 'chown');
    }
    const node = blockNodeName(disk.volumeId);
    const s = await QmpSession.open(rt.paths.qmpSocket);
    try {
      await s
        .execute('blockdev-add', {
          driver: 'qcow2',
          'node-name': node,
          discard: 'unmap',
          file: { driver: 'file', filename: disk.path },
        })
        .catch((e: unknown) => {
          if (!/Permission denied/.test(String(e))) throw e;
          throw new Error(
            `QEMU (running as its own user) cannot open ${disk.path}: every directory above the ` +
              'state directory must be searchable by that user (chmod o+x): ' +
              String(e),
          );
        });
      try {
        await s.execute('device_add', {
          driver: 'virtio-blk-pci',
          id: blockDeviceId(disk.volumeId),
          drive: node,
          serial: guestSerial(disk.volumeId),
        });
      } catch (e) {
        // The undo of blockdev-add, next to it: no block node outlives a failed plug.
        await s.execute('blockdev-del', { 'node-name': node }).catch((u: unknown) =>
          this.o.logger.error('could not drop a block node after a failed plug', {
            node,
            error: String(u),
          }),
        );
        throw e;
      }
    } finally {
      s.close();
    }
    // Right after device_add, before the guest has even probed the disk. A disk whose limits
    // cannot be set is not attached: it goes again (the guest lets go of a disk it never used).
    try {
      await qmpExecute(
        rt.paths.qmpSocket,
        'block_set_io_throttle',
        throttleArguments({ volumeId: disk.volumeId }, disk.throttle),
      );
    } catch (e) {
      await this.unplug(rt, disk.volumeId, UNDO_UNPLUG_MS).catch((u: unknown) =>
        this.o.logger.error('could not unplug a disk whose I/O limits failed', {
          volumeId: disk.volumeId,
          error: String(u),
        }),
      );
      throw e;
    }
  }

  async setThrottle(
    rt: VmRuntime,
    disk: { volumeId: string; root: boolean },
    throttle: DiskThrottle,
  ): Promise<void> {
    const target = disk.root ? { root: true as const } : { volumeId: disk.volumeId };
    await qmpExecute(
      rt.paths.qmpSocket,
      'block_set_io_throttle',
      throttleArguments(target, throttle),
    );
  }

  async resize(
    rt: VmRuntime,
    disk: { volumeId: string; root: boolean },
    sizeBytes: number,
  ): Promise<void> {
    const s = await QmpSession.open(rt.paths.qmpSocket);
    try {
      // The root disk is QEMU's -drive id=root (a device name); data volumes are named nodes.
      await s.execute(
        'block_resize',
        disk.root
          ? { device: 'root', size: sizeBytes }
          : { 'node-name': blockNodeName(disk.volumeId), size: sizeBytes },
      );
    } finally {
      s.close();
    }
  }

  async backup(
    rt: VmRuntime,
    disk: { volumeId: string; root: boolean },
    targetPath: string,
    onProgress: (percent: number) => void,
  ): Promise<void> {
    const owner = this.o.owner;
    if (owner) {
      await withDeadline(chown(targetPath, owner.uid, owner.gid), KERNEL_FILE_DEADLINE_MS, 'chown');
    }
    // The root disk is QEMU's -drive id=root; data volumes are their own nodes.
    const device = disk.root ? 'root' : blockNodeName(disk.volumeId);
    const target = `bk-${disk.volumeId}`;
    const jobId = `job-${disk.volumeId}`;
    const s = await QmpSession.open(rt.paths.qmpSocket);
    try {
      await s.execute('blockdev-add', {
        driver: 'qcow2',
        'node-name': target,
        file: { driver: 'file', filename: targetPath },
      });
      try {
        let stop: (() => void) | undefined;
        const finished = new Promise<string | undefined>((resolve) => {
          stop = s.onEvent((m: QmpMessage) => {
            const data = m.data as { device?: string; error?: string } | undefined;
            if (data?.device !== jobId) return;
            if (m.event === 'BLOCK_JOB_COMPLETED') resolve(data.error);
            if (m.event === 'BLOCK_JOB_CANCELLED') resolve('cancelled');
          });
        });
        // sync=full: the point in time is now; the guest keeps running (copy-before-write).
        await s.execute('blockdev-backup', {
          'job-id': jobId,
          device,
          target,
          sync: 'full',
          'auto-dismiss': true,
        });
        const poll = setInterval(() => {
          void s
            .execute('query-jobs')
            .then((jobs) => {
              const job = (
                jobs as { id: string; 'current-progress': number; 'total-progress': number }[]
              ).find((j) => j.id === jobId);
              if (job && job['total-progress'] > 0)
                onProgress((100 * job['current-progress']) / job['total-progress']);
            })
            .catch(() => undefined);
        }, 500);
        try {
          const error = await withDeadline(
            finished,
            BACKUP_DEADLINE_MS,
            `backup of ${disk.volumeId}`,
          );
          if (error !== undefined)
            throw new Error(`the backup of ${disk.volumeId} failed: ${error}`);
        } catch (e) {
          await s
            .execute('block-job-cancel', { device: jobId, force: true })
            .catch(() => undefined);
          throw e;
        } finally {
          clearInterval(poll);
          stop?.();
        }
      } finally {
        await s.execute('blockdev-del', { 'node-name': target }).catch((u: unknown) =>
          this.o.logger.error('could not drop a backup target node', {
            target,
            error: String(u),
          }),
        );
      }
    } finally {
      s.close();
    }
  }

  async unplug(rt: VmRuntime, volumeId: string, timeoutMs: number): Promise<boolean> {
    const id = blockDeviceId(volumeId);
    const s = await QmpSession.open(rt.paths.qmpSocket);
    try {
      // Listening before asking: a guest may release the disk before device_del answers.
      let stop: (() => void) | undefined;
      const deleted = new Promise<void>((resolve) => {
        stop = s.onEvent((m: QmpMessage) => {
          const data = m.data as { device?: string } | undefined;
          if (m.event === 'DEVICE_DELETED' && data?.device === id) resolve();
        });
      });
      let present = true;
      try {
        await s.execute('device_del', { id });
      } catch (e) {
        if (!notFound(e)) throw e;
        present = false;
      }
      if (present) {
        const released = await withDeadline(deleted, timeoutMs, `release of ${volumeId}`).then(
          () => true,
          () => false,
        );
        stop?.();
        if (!released) return false;
      }
      await s
        .execute('blockdev-del', { 'node-name': blockNodeName(volumeId) })
        .catch((e: unknown) => {
          if (!notFound(e)) throw e;
        });
      return true;
    } finally {
      s.close();
    }
  }
}
