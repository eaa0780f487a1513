import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, open, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Image } from '../compute/image.js';
import type {
  DiskInspection,
  ImageFiles,
  StagedUpload,
  StoredImageFiles,
  UploadChunk,
  UploadPart,
  UploadSizes,
} from '../compute/image-files.js';
import { invalidParameter, KumoError } from '../core/errors.js';
import { HostCommandError, type CommandRunner } from './command-runner.js';
import {
  diskSignature,
  isRefusal,
  parseQemuImgCheck,
  parseQemuImgInfo,
  virtualSizeOf,
} from './qemu-img-inspect.js';

const PART_ORDER: readonly UploadPart[] = ['kernel', 'ramdisk', 'disk'];
const STORED_NAMES: Readonly<Record<UploadPart, string>> = {
  kernel: 'vmlinuz',
  ramdisk: 'initrd.img',
  disk: 'disk.qcow2',
};
const INSPECT_TIMEOUT_MS = 60_000;

/** How long a conversion may take: a minute plus 20 s per GiB (qemu-img does ~100 MiB/s here). */
export const convertTimeoutMs = (bytes: number): number =>
  60_000 + Math.ceil(bytes / 1024 ** 3) * 20_000;

/**
 * Registered images' files: uploads land in `<images>/.incoming/<ami>/` (root-only), are checked
 * with qemu-img, and the disk is converted to `<images>/<ami>/disk.qcow2` (read-only). The
 * client's bytes are the only input: no path a client names is ever opened.
 */
export class UploadedImageFiles implements ImageFiles {
  constructor(
    private readonly runner: CommandRunner,
    private readonly imagesDir: string,
  ) {}

  private incoming(imageId: string): string {
    return join(this.imagesDir, '.incoming', imageId);
  }

  async freeBytes(): Promise<number> {
    await mkdir(this.imagesDir, { recursive: true, mode: 0o755 });
    const s = await statfs(this.imagesDir);
    return s.bavail * s.bsize;
  }

  async receive(
    imageId: string,
    sizes: UploadSizes,
    chunks: AsyncIterable<UploadChunk>,
    signal: AbortSignal,
  ): Promise<StagedUpload> {
    const dir = this.incoming(imageId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const paths: Partial<Record<UploadPart, string>> = {};
    const got: Record<UploadPart, number> = { kernel: 0, ramdisk: 0, disk: 0 };
    let current: { part: UploadPart; out: ReturnType<typeof createWriteStream> } | undefined;
    const close = async (): Promise<void> => {
      if (!current) return;
      const out = current.out;
      await new Promise<void>((resolve, reject) =>
        out.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
      current = undefined;
    };
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) throw signal.reason;
        if (current?.part !== chunk.part) {
          const from = current ? PART_ORDER.indexOf(current.part) : -1;
          if (PART_ORDER.indexOf(chunk.part) <= from) {
            throw invalidParameter(
              `The upload sent the ${chunk.part} after the ${current?.part ?? ''}: send kernel, ramdisk, then disk`,
            );
          }
          await close();
          const path = join(dir, chunk.part);
          paths[chunk.part] = path;
          current = { part: chunk.part, out: createWriteStream(path, { mode: 0o600 }) };
        }
        got[chunk.part] += chunk.data.length;
        if (got[chunk.part] > sizes[chunk.part]) {
          throw invalidParameter(
            `The upload carries more ${chunk.part} bytes than the ${sizes[chunk.part]} announced`,
          );
        }
        const out = current.out;
        if (!out.write(chunk.data)) {
          await new Promise<void>((resolve, reject) => {
            out.once('drain', resolve);
            out.once('error', reject);
          });
        }
      }
      await close();
    } catch (e) {
      current?.out.destroy();
      throw isNoSpace(e) ? noSpace(e) : e;
    }
    for (const part of PART_ORDER) {
      if (got[part] !== sizes[part]) {
        throw invalidParameter(
          `The upload ended after ${got[part]} of the ${sizes[part]} ${part} bytes announced; ` +
            'nothing was registered. Run register-image again.',
        );
      }
    }
    if (!paths.disk) throw invalidParameter('The upload carried no disk');
    return { disk: paths.disk, kernel: paths.kernel, ramdisk: paths.ramdisk };
  }

  async inspect(path: string, signal: AbortSignal): Promise<DiskInspection> {
    if (signal.aborted) throw signal.reason;
    const info = await this.runner
      .run('qemu-img', ['info', '--output=json', path], { timeoutMs: INSPECT_TIMEOUT_MS })
      .catch((e: unknown) => {
        throw notAnImage(`qemu-img cannot read it (${commandDetail(e)})`);
      });
    let parsed;
    try {
      parsed = parseQemuImgInfo(info.stdout);
    } catch (e) {
      throw isRefusal(e) ? notAnImage(e.message) : e;
    }
    if (parsed.format === 'qcow2') {
      const check = await this.runner.run(
        'qemu-img',
        ['check', '--output=json', '-f', 'qcow2', path],
        { timeoutMs: INSPECT_TIMEOUT_MS, okExitCodes: [1, 2, 3] },
      );
      const problem = parseQemuImgCheck(check.exitCode, check.stdout, check.stderr);
      if (problem) throw notAnImage(problem);
      return { format: 'qcow2', virtualSizeBytes: parsed.virtualSizeBytes };
    }
    // qemu-img calls anything it does not recognise "raw": a raw disk must look like one.
    const head = Buffer.alloc(128 * 1024);
    const fh = await open(path, 'r');
    try {
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
    const size = (await stat(path)).size;
    const problem = diskSignature(head, size);
    if (problem) throw notAnImage(problem);
    return { format: 'raw', virtualSizeBytes: size };
  }

  async store(
    imageId: string,
    staged: StagedUpload,
    inspection: DiskInspection,
    signal: AbortSignal,
  ): Promise<StoredImageFiles> {
    if (signal.aborted) throw signal.reason;
    const target = join(this.imagesDir, imageId);
    await mkdir(target, { recursive: true, mode: 0o755 });
    const diskPath = join(target, STORED_NAMES.disk);
    const tmp = `${diskPath}.part`;
    const size = (await stat(staged.disk)).size;
    // Written under a temporary name and renamed when complete: a stored disk.qcow2 is whole.
    await this.runner
      .run(
        'qemu-img',
        ['convert', '-q', '-f', inspection.format, '-O', 'qcow2', staged.disk, tmp],
        { timeoutMs: convertTimeoutMs(size) },
      )
      .catch((e: unknown) => {
        if (e instanceof HostCommandError && /No space left/i.test(e.stderr)) throw noSpace(e);
        throw e;
      });
    await chmod(tmp, 0o444);
    await rename(tmp, diskPath);
    const moveIn = async (part: 'kernel' | 'ramdisk'): Promise<string | undefined> => {
      const from = staged[part];
      if (!from) return undefined;
      const to = join(target, STORED_NAMES[part]);
      await rename(from, to);
      await chmod(to, 0o444);
      return to;
    };
    const kernelPath = await moveIn('kernel');
    const initrdPath = await moveIn('ramdisk');
    return {
      diskPath,
      kernelPath,
      initrdPath,
      sizeBytes: (await stat(diskPath)).size,
      virtualSizeBytes: inspection.virtualSizeBytes,
    };
  }

  async copyIn(
    imageId: string,
    source: { disk: string; kernel?: string | undefined; initrd?: string | undefined },
    signal: AbortSignal,
  ): Promise<StoredImageFiles> {
    // convert reads an overlay through its backing chain: the result stands alone.
    return this.copyInWith(imageId, source, false, signal, async (tmp, virtualSizeBytes) => {
      await this.runner
        .run('qemu-img', ['convert', '-q', '-O', 'qcow2', source.disk, tmp], {
          timeoutMs: convertTimeoutMs(virtualSizeBytes),
        })
        .catch((e: unknown) => {
          if (e instanceof HostCommandError && /No space left/i.test(e.stderr)) throw noSpace(e);
          throw e;
        });
    });
  }

  async copyInUsing(
    imageId: string,
    source: { disk: string; kernel?: string | undefined; initrd?: string | undefined },
    fill: (target: string) => Promise<void>,
    signal: AbortSignal,
  ): Promise<StoredImageFiles> {
    return this.copyInWith(imageId, source, true, signal, async (tmp, virtualSizeBytes) => {
      await this.runner.run('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        tmp,
        String(virtualSizeBytes),
      ]);
      await fill(tmp);
    });
  }

  /**
   * Writes image `imageId`'s disk with `write` under a temporary name, then makes it read-only
   * under its final name, with copies of the kernel and initrd. `inUse`: the source is open in a
   * running QEMU (read its size without taking its lock).
   */
  private async copyInWith(
    imageId: string,
    source: { disk: string; kernel?: string | undefined; initrd?: string | undefined },
    inUse: boolean,
    signal: AbortSignal,
    write: (tmp: string, virtualSizeBytes: number) => Promise<void>,
  ): Promise<StoredImageFiles> {
    if (signal.aborted) throw signal.reason;
    const target = join(this.imagesDir, imageId);
    await mkdir(target, { recursive: true, mode: 0o755 });
    const diskPath = join(target, STORED_NAMES.disk);
    const tmp = `${diskPath}.part`;
    // kumod's own file (an image, a root overlay on one): its backing file is kumod's too.
    const info = await this.runner.run(
      'qemu-img',
      ['info', '--output=json', ...(inUse ? ['-U'] : []), source.disk],
      { timeoutMs: INSPECT_TIMEOUT_MS },
    );
    const virtualSizeBytes = virtualSizeOf(info.stdout);
    await write(tmp, virtualSizeBytes);
    await chmod(tmp, 0o444);
    await rename(tmp, diskPath);
    const copy = async (from: string | undefined, name: string): Promise<string | undefined> => {
      if (!from) return undefined;
      const to = join(target, name);
      await copyFile(from, to);
      await chmod(to, 0o444);
      return to;
    };
    return {
      diskPath,
      kernelPath: await copy(source.kernel, STORED_NAMES.kernel),
      initrdPath: await copy(source.initrd, STORED_NAMES.ramdisk),
      sizeBytes: (await stat(diskPath)).size,
      virtualSizeBytes,
    };
  }

  async discard(imageId: string): Promise<void> {
    await rm(this.incoming(imageId), { recursive: true, force: true });
  }

  async discardAll(): Promise<void> {
    await rm(join(this.imagesDir, '.incoming'), { recursive: true, force: true });
  }

  async remove(image: Image): Promise<void> {
    // Only ever this store's own directory for the id (never a path from a row).
    await rm(join(this.imagesDir, image.id), { recursive: true, force: true });
  }
}

const notAnImage = (why: string): KumoError =>
  invalidParameter(
    `The file given as --image-location is not a usable disk image: ${why}. ` +
      'Give a qcow2 or raw disk image (a raw disk has a partition table or a file system).',
  );

const commandDetail = (e: unknown): string =>
  e instanceof HostCommandError
    ? (e.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 200)
    : String(e).slice(0, 200);

const isNoSpace = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'ENOSPC';
const noSpace = (cause: unknown): KumoError =>
  new KumoError(
    'ResourceExhausted',
    'InsufficientVolumeCapacity',
    'The image store ran out of disk space while registering the image; nothing was kept. Free some space and try again.',
    { cause },
  );
