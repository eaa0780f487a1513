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

describe('filter limits', () => {
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return `${(e as { code: string }).code}: ${(e as Error).message}`;
    }
    return 'no error';
  };

  it('accepts the largest request: 50 filters, 200 values in all, 512 characters each', () => {
    const filters = Array.from({ length: 50 }, (_, n) => ({
      name: 'id',
      values: Array.from({ length: 4 }, (_, i) => `*${n}${i}`.padEnd(512, '?*')),
    }));
    expect(ids(filters)).toEqual([]);
  });

  it('refuses more filters or values with FilterLimitExceeded, and long values plainly', () => {
    const many = Array.from({ length: 51 }, () => ({ name: 'id', values: ['a'] }));
    expect(code(() => ids(many))).toBe(
      'FilterLimitExceeded: The request has 51 filters; at most 50 are allowed',
    );
    const wide = [
      { name: 'id', values: Array.from({ length: 101 }, () => 'a') },
      { name: 'size', values: Array.from({ length: 100 }, () => 'a') },
    ];
    expect(code(() => ids(wide))).toBe(
      'FilterLimitExceeded: The request has 201 filter values; at most 200 are allowed in one call',
    );
    // The fuzzer's 33,000-character value: refused before any work, and not echoed back.
    const long = [{ name: 'id', values: ['x'.repeat(33_000)] }];
    expect(code(() => ids(long))).toBe(
      "InvalidParameterValue: A value of the filter 'id' is 33000 characters long; at most 512 are allowed",
    );
  });

  it('checks limits even when there is nothing to filter', () => {
    const many = Array.from({ length: 51 }, () => ({ name: 'id', values: ['a'] }));
    expect(code(() => ids(many, []))).toMatch(/^FilterLimitExceeded/);
  });

  it('cuts an unknown filter name in the message', () => {
    const msg = code(() => ids([{ name: 'n'.repeat(5000), values: ['x'] }]));
    expect(msg).toContain("'nnnn");
    expect(msg).toContain('(5000 characters)');
    expect(msg.length).toBeLessThan(300);
  });
});
