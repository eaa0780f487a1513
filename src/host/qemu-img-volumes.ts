import { chmod, mkdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeFiles } from '../storage/ports.js';
import type { CommandRunner } from './command-runner.js';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from './deadline.js';

/** qemu-img create is metadata only; this bounds a stuck file system, not real work. */
const CREATE_DEADLINE_MS = 30_000;
/** A full copy of a volume (qemu-img convert): minutes for tens of GiB on a slow disk. */
const COPY_DEADLINE_MS = 30 * 60_000;

/**
 * Volume files: thin qcow2 images under the state directory, made with qemu-img. A file whose
 * creation failed (or timed out) is removed before the error is passed on.
 */
export class QemuImgVolumes implements VolumeFiles {
  constructor(
    private readonly runner: CommandRunner,
    private readonly dir: string,
  ) {}

  private async prepare(volumeId: string): Promise<string> {
    // 0711: the QEMU user may open a hot-plugged volume by its path, but not list the others.
    await mkdir(this.dir, { recursive: true, mode: 0o711 });
    // The directory predates hot-plug on older state directories (it was 0700).
    await chmod(this.dir, 0o711);
    return join(this.dir, `${volumeId}.qcow2`);
  }

  private async make(path: string, args: readonly string[]): Promise<string> {
    try {
      await this.runner.run('qemu-img', ['create', '-q', '-f', 'qcow2', ...args], {
        timeoutMs: CREATE_DEADLINE_MS,
      });
      return path;
    } catch (e) {
      await rm(path, { force: true });
      throw e;
    }
  }

  async createBlank(volumeId: string, sizeBytes: number): Promise<string> {
    const path = await this.prepare(volumeId);
    return this.make(path, [path, String(sizeBytes)]);
  }

  async createOverlay(volumeId: string, backing: string, sizeBytes?: number): Promise<string> {
    const path = await this.prepare(volumeId);
    const size = sizeBytes === undefined ? [] : [String(sizeBytes)];
    return this.make(path, ['-F', 'qcow2', '-b', backing, path, ...size]);
  }

  snapshotPath(snapshotId: string): string {
    return join(this.dir, `${snapshotId}.qcow2`);
  }

  async copyFlat(source: string, snapshotId: string): Promise<string> {
    await this.prepare(snapshotId);
    const path = this.snapshotPath(snapshotId);
    const partial = `${path}.partial`;
    try {
      // convert reads through the backing chain: the copy stands alone.
      await this.runner.run('qemu-img', ['convert', '-q', '-O', 'qcow2', source, partial], {
        timeoutMs: COPY_DEADLINE_MS,
      });
      await rename(partial, path);
      return path;
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
  }

  async createSnapshotTarget(snapshotId: string, sizeBytes: number): Promise<string> {
    await this.prepare(snapshotId);
    const path = this.snapshotPath(snapshotId);
    return this.make(path, [path, String(sizeBytes)]);
  }

  async allocatedBytes(path: string): Promise<number> {
    const s = await withDeadline(stat(path), KERNEL_FILE_DEADLINE_MS, `stat ${path}`);
    return s.blocks * 512;
  }

  async resize(path: string, sizeBytes: number): Promise<void> {
    await this.runner.run('qemu-img', ['resize', '-q', '-f', 'qcow2', path, String(sizeBytes)], {
      timeoutMs: CREATE_DEADLINE_MS,
    });
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  async freeBytes(): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o711 });
    const s = await withDeadline(statfs(this.dir), KERNEL_FILE_DEADLINE_MS, `statfs ${this.dir}`);
    return s.bavail * s.bsize;
  }
}
