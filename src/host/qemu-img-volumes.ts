import { chmod, mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeFiles } from '../storage/ports.js';
import type { CommandRunner } from './command-runner.js';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from './deadline.js';

/** qemu-img create is metadata only; this bounds a stuck file system, not real work. */
const CREATE_DEADLINE_MS = 30_000;

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

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  async freeBytes(): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o711 });
    const s = await withDeadline(statfs(this.dir), KERNEL_FILE_DEADLINE_MS, `statfs ${this.dir}`);
    return s.bavail * s.bsize;
  }
}
