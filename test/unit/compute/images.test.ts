import { describe, expect, it } from 'vitest';
import { describeImages } from '../../../src/compute/images.js';
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
