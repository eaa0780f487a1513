import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageManifestError } from '../../../src/compute/images.js';
import type { ImageManifest } from '../../../src/compute/ports.js';
import { FileImageStore } from '../../../src/host/image-store.js';

/**
 * The store turns a manifest's file fields into paths: what a crafted image directory can make it
 * read (and copy into the store, for QEMU to open) is what these tests pin down.
 */
describe('FileImageStore', () => {
  let root: string;
  let imageDir: string;
  let storeDir: string;
  let outside: string;
  const manifest = (over: Partial<ImageManifest> = {}) => ({
    name: 'kumo-tiny',
    kernel: 'vmlinuz',
    initrd: 'initrd.img',
    disk: 'disk.qcow2',
    recipeHash: 'h',
    ...over,
  });
  const writeManifest = (m: object | string) =>
    writeFileSync(join(imageDir, 'manifest.json'), typeof m === 'string' ? m : JSON.stringify(m));
  const store = () => new FileImageStore(storeDir);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kumo-image-store-'));
    imageDir = join(root, 'built');
    storeDir = join(root, 'store');
    outside = join(root, 'secret');
    mkdirSync(imageDir);
    writeFileSync(outside, 'not part of any image');
    for (const f of ['vmlinuz', 'initrd.img', 'disk.qcow2']) writeFileSync(join(imageDir, f), f);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a good manifest and copies its files into the store, read-only', async () => {
    writeManifest(manifest());
    const m = await store().readManifest(imageDir);
    expect(m).toMatchObject({ kernel: 'vmlinuz', kernelCmdline: 'console=ttyS0' });
    const files = await store().import('ami-1', imageDir, m!);
    expect(files.kernelPath).toBe(join(storeDir, 'ami-1', 'vmlinuz'));
    expect(statSync(files.diskPath).mode & 0o777).toBe(0o444);
    expect(files.sizeBytes).toBe('disk.qcow2'.length);
  });

  it('says there is no image when the directory has no manifest', async () => {
    expect(await store().readManifest(imageDir)).toBeUndefined();
    expect(await store().readManifest(join(root, 'nowhere'))).toBeUndefined();
  });

  it('refuses a manifest that is not JSON or lacks a field, saying which', async () => {
    writeManifest('{ "name": ');
    await expect(store().readManifest(imageDir)).rejects.toThrow(/not valid JSON/);
    writeManifest({ name: 'x', kernel: 'vmlinuz', recipeHash: 'h' });
    await expect(store().readManifest(imageDir)).rejects.toThrow(/lacks initrd, disk/);
  });

  it.each([
    ['kernel', '../secret'],
    ['initrd', `${'../'.repeat(8)}etc/passwd`],
    ['disk', '/etc/passwd'],
  ])('refuses a crafted manifest with %s = %j before touching the store', async (field, value) => {
    writeManifest(manifest({ [field]: value }));
    const read = store().readManifest(imageDir);
    await expect(read).rejects.toThrow(ImageManifestError);
    await expect(read).rejects.toThrow(`"${field}" must be the name of a file`);
    // The same manifest handed straight to import (another caller) is refused there too.
    await expect(
      store().import('ami-1', imageDir, { ...manifest(), [field]: value } as ImageManifest),
    ).rejects.toThrow(ImageManifestError);
    expect(existsSync(storeDir)).toBe(false);
  });

  it('refuses a file name that is a symlink to a file outside the image directory', async () => {
    rmSync(join(imageDir, 'vmlinuz'));
    symlinkSync(outside, join(imageDir, 'vmlinuz'));
    writeManifest(manifest());
    const m = await store().readManifest(imageDir);
    await expect(store().import('ami-1', imageDir, m!)).rejects.toThrow(
      /kernel file vmlinuz resolves to .*secret, outside the image directory/,
    );
    expect(existsSync(join(storeDir, 'ami-1')) ? readdirSync(join(storeDir, 'ami-1')) : []).toEqual(
      [],
    );
  });

  it('refuses a file that is missing or is not a regular file', async () => {
    rmSync(join(imageDir, 'initrd.img'));
    writeManifest(manifest());
    const m = await store().readManifest(imageDir);
    await expect(store().import('ami-1', imageDir, m!)).rejects.toThrow(
      /initrd file initrd.img named by manifest.json is not there/,
    );
    mkdirSync(join(imageDir, 'initrd.img'));
    await expect(store().import('ami-1', imageDir, m!)).rejects.toThrow(/not a regular file/);
  });
});
