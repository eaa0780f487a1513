import { chown } from 'node:fs/promises';
import type { VmRuntime } from '../../compute/instance.js';
import type { Logger } from '../../core/logger.js';
import type { GuestDisk, GuestDisks } from '../../storage/ports.js';
import { guestSerial } from '../../storage/volume.js';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from '../deadline.js';
import { blockDeviceId, blockNodeName } from './block-names.js';
import { QmpSession, type QmpMessage } from './qmp-client.js';

export interface QemuGuestDisksOptions {
  /** The user QEMU runs as (-runas): a hot-plugged file is opened with its rights. */
  readonly owner?: { uid: number; gid: number } | undefined;
  readonly logger: Logger;
}

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
