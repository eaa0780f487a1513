import { describe, expect, it } from 'vitest';
import { applyFilters, type FilterSchema, type Tag } from '../../../src/core/tags.js';

interface Box {
  readonly id: string;
  readonly size: number;
  readonly tags: readonly Tag[];
}
const boxes: Box[] = [
  { id: 'a', size: 1, tags: [{ key: 'Name', value: 'web-1' }] },
  {
    id: 'b',
    size: 2,
    tags: [
      { key: 'Name', value: 'db' },
      { key: 'env', value: 'prod' },
    ],
  },
  { id: 'c', size: 2, tags: [] },
];
const schema: FilterSchema<Box> = {
  fields: { id: (b) => [b.id], size: (b) => [String(b.size)] },
  tags: (b) => b.tags,
};
const ids = (filters: { name: string; values: string[] }[], items = boxes) =>
  applyFilters(items, filters, schema).map((b) => b.id);

describe('applyFilters', () => {
  it('ANDs filters, ORs the values of one filter, with wildcards', () => {
    expect(ids([])).toEqual(['a', 'b', 'c']);
    expect(ids([{ name: 'size', values: ['2'] }])).toEqual(['b', 'c']);
    expect(ids([{ name: 'id', values: ['a', 'c'] }])).toEqual(['a', 'c']);
    expect(
      ids([
        { name: 'size', values: ['2'] },
        { name: 'id', values: ['?'] },
        { name: 'tag-key', values: ['env'] },
      ]),
    ).toEqual(['b']);
    expect(ids([{ name: 'tag:Name', values: ['web-*'] }])).toEqual(['a']);
    expect(ids([{ name: 'tag:Name', values: ['*'] }])).toEqual(['a', 'b']);
  });

  it('rejects an unknown filter name up front, naming the supported ones', () => {
    const bad = () => ids([{ name: 'colour', values: ['red'] }], []);
    expect(bad).toThrow(
      /The filter 'colour' is invalid; supported filters: id, size, tag:<key>, tag-key/,
    );
    expect(() => ids([{ name: 'tag:', values: ['x'] }])).toThrow(/invalid/);
    expect(() => ids([{ name: 'toString', values: ['x'] }])).toThrow(/invalid/);
    expect(() =>
      applyFilters(boxes, [{ name: 'tag:Name', values: ['x'] }], { fields: {} }),
    ).toThrow(/supported filters: $/);
  });
});
