import { chmod, copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageManifest, ImageStore } from '../compute/ports.js';

/** Images copied into the state directory as read-only files (so rebuilding never changes a base in use). */
export class FileImageStore implements ImageStore {
  constructor(private readonly imagesDir: string) {}

  async readManifest(dir: string): Promise<ImageManifest | undefined> {
    try {
      const m = JSON.parse(
        await readFile(join(dir, 'manifest.json'), 'utf8'),
      ) as Partial<ImageManifest>;
      if (!m.name || !m.kernel || !m.initrd || !m.disk || !m.recipeHash) return undefined;
      return {
        name: m.name,
        description: m.description ?? '',
        architecture: m.architecture ?? 'x86_64',
        kernel: m.kernel,
        initrd: m.initrd,
        disk: m.disk,
        kernelCmdline: m.kernelCmdline ?? 'console=ttyS0',
        defaultUser: m.defaultUser ?? 'root',
        recipeHash: m.recipeHash,
      };
    } catch {
      return undefined;
    }
  }

  async import(imageId: string, dir: string, m: ImageManifest) {
    const target = join(this.imagesDir, imageId);
    await mkdir(target, { recursive: true, mode: 0o755 });
    const copy = async (name: string): Promise<string> => {
      const to = join(target, name);
      await copyFile(join(dir, name), to);
      await chmod(to, 0o444);
      return to;
    };
    const kernelPath = await copy(m.kernel);
    const initrdPath = await copy(m.initrd);
    const diskPath = await copy(m.disk);
    const sizeBytes = (await stat(diskPath)).size;
    return { kernelPath, initrdPath, diskPath, sizeBytes };
  }
}
