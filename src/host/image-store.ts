import { chmod, copyFile, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  assertManifestFileNames,
  ImageManifestError,
  MANIFEST_FILE_FIELDS,
} from '../compute/images.js';
import type { ImageManifest, ImageStore } from '../compute/ports.js';

type FileField = (typeof MANIFEST_FILE_FIELDS)[number];

/**
 * Images copied into the state directory as read-only files (so rebuilding never changes a base in
 * use). The manifest's file fields become paths here, so they are checked twice: each must be a
 * plain file name, and the file it names must really be a regular file in the image directory once
 * symlinks are resolved (a `vmlinuz -> /etc/shadow` link would otherwise be copied, world-readable,
 * into the store and handed to QEMU).
 */
export class FileImageStore implements ImageStore {
  constructor(private readonly imagesDir: string) {}

  /**
   * The manifest of a built image directory, or undefined when there is none (no manifest.json).
   * A manifest that is there but unusable (not JSON, a field missing, a file field that is not a
   * plain file name) is refused with an ImageManifestError that says why.
   */
  async readManifest(dir: string): Promise<ImageManifest | undefined> {
    const file = join(dir, 'manifest.json');
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined) return undefined;
    let m: Partial<ImageManifest>;
    try {
      m = JSON.parse(text) as Partial<ImageManifest>;
    } catch (e) {
      throw new ImageManifestError(`image manifest ${file} is not valid JSON: ${String(e)}`);
    }
    const missing = (['name', 'kernel', 'initrd', 'disk', 'recipeHash'] as const).filter(
      (k) => typeof m[k] !== 'string' || m[k] === '',
    );
    if (missing.length > 0) {
      throw new ImageManifestError(`image manifest ${file} lacks ${missing.join(', ')}`);
    }
    const manifest: ImageManifest = {
      name: m.name as string,
      description: m.description ?? '',
      architecture: m.architecture ?? 'x86_64',
      kernel: m.kernel as string,
      initrd: m.initrd as string,
      disk: m.disk as string,
      kernelCmdline: m.kernelCmdline ?? 'console=ttyS0',
      defaultUser: m.defaultUser ?? 'root',
      recipeHash: m.recipeHash as string,
    };
    assertManifestFileNames(manifest, file);
    return manifest;
  }

  async import(imageId: string, dir: string, m: ImageManifest) {
    // Whoever calls, nothing outside `dir` is read and nothing outside the store is written.
    assertManifestFileNames(m, join(dir, 'manifest.json'));
    const sources = {
      kernel: await this.sourceFile(dir, 'kernel', m.kernel),
      initrd: await this.sourceFile(dir, 'initrd', m.initrd),
      disk: await this.sourceFile(dir, 'disk', m.disk),
    };
    const target = join(this.imagesDir, imageId);
    await mkdir(target, { recursive: true, mode: 0o755 });
    const copy = async (field: FileField): Promise<string> => {
      const to = join(target, m[field]);
      await copyFile(sources[field], to);
      await chmod(to, 0o444);
      return to;
    };
    const kernelPath = await copy('kernel');
    const initrdPath = await copy('initrd');
    const diskPath = await copy('disk');
    const sizeBytes = (await stat(diskPath)).size;
    return { kernelPath, initrdPath, diskPath, sizeBytes };
  }

  /** The real path of a manifest's file: a regular file directly in `dir`, symlinks resolved. */
  private async sourceFile(dir: string, field: FileField, name: string): Promise<string> {
    const root = await realpath(dir);
    const real = await realpath(join(dir, name)).catch((e: NodeJS.ErrnoException) => {
      throw new ImageManifestError(
        `image ${dir}: the ${field} file ${name} named by manifest.json is not there (${e.code ?? String(e)})`,
      );
    });
    if (dirname(real) !== root) {
      throw new ImageManifestError(
        `image ${dir}: the ${field} file ${name} resolves to ${real}, outside the image directory`,
      );
    }
    if (!(await stat(real)).isFile()) {
      throw new ImageManifestError(`image ${dir}: the ${field} file ${name} is not a regular file`);
    }
    return real;
  }
}
