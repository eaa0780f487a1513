import { describe, expect, it } from 'vitest';
import {
  describeImages,
  ImageManifestError,
  isPlainFileName,
  registerBuiltImage,
} from '../../../src/compute/images.js';
import type { ImageManifest, ImageStore } from '../../../src/compute/ports.js';
import { silentLogger } from '../../../src/core/logger.js';
import { fakeComputeDeps, TINY_IMAGE } from '../../fakes/compute-deps.js';

describe('describeImages', () => {
  const { images } = fakeComputeDeps();
  const ids = (
    ...args: Parameters<typeof describeImages> extends [unknown, ...infer R] ? R : never
  ) => describeImages(images, ...args).map((i) => i.id);

  it('finds images by id, name filter and owner (self or kumo); other owners own nothing here', () => {
    expect(ids([], [])).toEqual([TINY_IMAGE.id]);
    expect(ids([TINY_IMAGE.id], [])).toEqual([TINY_IMAGE.id]);
    expect(ids([], [{ name: 'name', values: ['kumo-*'] }])).toEqual([TINY_IMAGE.id]);
    expect(ids([], [{ name: 'owner-id', values: ['kumo'] }])).toEqual([TINY_IMAGE.id]);
    expect(ids([], [], ['self'])).toEqual([TINY_IMAGE.id]);
    expect(ids([], [], ['amazon', 'kumo'])).toEqual([TINY_IMAGE.id]);
    expect(ids([], [], ['amazon'])).toEqual([]);
    expect(ids([], [], ['123456789012'])).toEqual([]);
  });

  it('fails like EC2 on malformed or unknown ids and unknown filters', () => {
    expect(() => ids(['ami-zz'], [])).toThrow(/Invalid id/);
    expect(() => ids(['ami-00000000000000000'], [])).toThrow(/does not exist/);
    expect(() => ids([], [{ name: 'colour', values: ['x'] }])).toThrow(/filter 'colour'/);
  });
});

describe('registerBuiltImage refuses manifests whose file fields are not plain file names', () => {
  const good: ImageManifest = {
    name: 'kumo-tiny',
    description: '',
    architecture: 'x86_64',
    kernel: 'vmlinuz',
    initrd: 'initrd.img',
    disk: 'disk.qcow2',
    kernelCmdline: 'console=ttyS0',
    defaultUser: 'root',
    recipeHash: 'new-recipe',
  };

  /** A store that hands out `manifest` and records every import it was asked to do. */
  function storeWith(manifest: ImageManifest) {
    const imported: string[] = [];
    const store: ImageStore = {
      readManifest: () => Promise.resolve(manifest),
      import: (id) => {
        imported.push(id);
        return Promise.resolve({
          kernelPath: `/store/${id}/k`,
          initrdPath: `/store/${id}/i`,
          diskPath: `/store/${id}/d`,
          sizeBytes: 1,
        });
      },
    };
    return { store, imported };
  }
  const register = (manifest: ImageManifest) => {
    const deps = fakeComputeDeps();
    const { store, imported } = storeWith(manifest);
    const before = deps.images.list().length;
    const result = registerBuiltImage(
      { images: deps.images, store, clock: deps.clock, logger: silentLogger },
      '/var/cache/kumo/images/crafted',
    );
    return { result, imported, added: () => deps.images.list().length - before };
  };

  it('registers a manifest of plain file names', async () => {
    const { result, imported, added } = register(good);
    expect((await result)?.name).toBe('kumo-tiny');
    expect(imported).toHaveLength(1);
    expect(added()).toBe(1);
  });

  it.each([
    ['kernel', '../../../etc/shadow'],
    ['kernel', '/boot/vmlinuz'],
    ['initrd', 'sub/initrd.img'],
    ['initrd', '..'],
    ['disk', '.'],
    ['disk', ''],
    ['disk', 'disk..qcow2'],
    ['disk', 'C:\\disk.qcow2'],
    ['kernel', 'vmlinuz\0.txt'],
  ] as const)('refuses %s = %j, naming the field, and imports nothing', async (field, value) => {
    const { result, imported, added } = register({ ...good, [field]: value });
    await expect(result).rejects.toThrow(ImageManifestError);
    await expect(result).rejects.toThrow(`"${field}" must be the name of a file`);
    expect(imported).toEqual([]);
    expect(added()).toBe(0);
  });

  it('tells plain file names from anything with a directory part', () => {
    expect(isPlainFileName('vmlinuz-6.1.0-cloud-amd64')).toBe(true);
    expect(isPlainFileName('.hidden')).toBe(true);
    expect(isPlainFileName('a/b')).toBe(false);
    expect(isPlainFileName('x'.repeat(256))).toBe(false);
  });
});
