import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RootDisks } from '../compute/ports.js';
import type { CommandRunner } from './command-runner.js';

/** Root disks as qcow2 overlays on the image (qemu-img create -b): O(1) whatever the image size. */
export class QemuImgDisks implements RootDisks {
  constructor(
    private readonly runner: CommandRunner,
    private readonly volumesDir: string,
  ) {}

  async create(instanceId: string, baseImage: string): Promise<string> {
    await mkdir(this.volumesDir, { recursive: true, mode: 0o700 });
    const path = join(this.volumesDir, `${instanceId}-root.qcow2`);
    await this.runner.run('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      baseImage,
      path,
    ]);
    return path;
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }
}
