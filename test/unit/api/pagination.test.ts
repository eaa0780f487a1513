import { describe, expect, it } from 'vitest';
import { indexKey, paginate, type PageLimits } from '../../../src/api/pagination.js';

const limits: PageLimits = { operation: 'DescribeThings', min: 2, max: 10, exclusiveWithIds: true };
const items = Array.from({ length: 7 }, (_, i) => ({ key: indexKey(i), n: i }));
const page = (maxResults: number, nextToken = '', query: unknown = []) =>
  paginate(limits, { maxResults, nextToken, idCount: 0, query }, items, (i) => i.key);
const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('pagination', () => {
  it('returns everything without MaxResults', () => {
    expect(page(0)).toEqual({ page: items, nextToken: '' });
  });

  it('hands out pages that add up to the whole list, the last without a token', () => {
    const p1 = page(3);
    const p2 = page(3, p1.nextToken);
    const p3 = page(3, p2.nextToken);
    expect([...p1.page, ...p2.page, ...p3.page]).toEqual(items);
    expect(p3.nextToken).toBe('');
  });

  it('gives no token when the page holds the rest exactly', () => {
    expect(page(7).nextToken).toBe('');
  });

  it('keeps indexKey in numeric order as strings', () => {
    expect([indexKey(10), indexKey(9), indexKey(100)].sort()).toEqual([
      indexKey(9),
      indexKey(10),
      indexKey(100),
    ]);
  });

  it('refuses MaxResults out of range, with ids, and tokens it did not make', () => {
    expect(codeOf(() => page(1))).toBe('InvalidParameterValue');
    expect(codeOf(() => page(11))).toBe('InvalidParameterValue');
    expect(
      codeOf(() =>
        paginate(
          limits,
          { maxResults: 2, nextToken: '', idCount: 1, query: [] },
          items,
          (i) => i.key,
        ),
      ),
    ).toBe('InvalidParameterCombination');
    const token = page(2).nextToken;
    expect(codeOf(() => page(2, token, ['other filters']))).toBe('InvalidPaginationToken');
    expect(codeOf(() => page(2, 'x'.repeat(600)))).toBe('InvalidPaginationToken');
    expect(codeOf(() => page(2, Buffer.from('{"v":1}').toString('base64url')))).toBe(
      'InvalidPaginationToken',
    );
    const forged = Buffer.from(token, 'base64url').toString().replace('DescribeThings', 'Other');
    expect(codeOf(() => page(2, Buffer.from(forged).toString('base64url')))).toBe(
      'InvalidPaginationToken',
    );
  });
});
