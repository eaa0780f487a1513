import { describe, expect, it } from 'vitest';
import { CliFailure } from '../../../src/cli/errors.js';
import {
  fullResult,
  PageIterator,
  type Page,
  type PageRequest,
  type PagingConfig,
} from '../../../src/cli/paginator.js';
import { encodeResumeToken } from '../../../src/cli/paging-token.js';

/**
 * botocore's paginator, ported: what it asks for and what it hands on, over a service that pages
 * ten items as EC2 does (MaxResults per page, or everything; NextToken `t<index>`). The same
 * behaviour is compared with aws-cli itself in commands-aws.test.ts.
 */
const ITEMS = Array.from({ length: 10 }, (_, i) => `item-${i}`);

function service() {
  const requests: PageRequest[] = [];
  const fetch = (request: PageRequest): Promise<Page> => {
    requests.push(request);
    const from = request.NextToken === undefined ? 0 : Number(request.NextToken.slice(1));
    const to = request.MaxResults === undefined ? ITEMS.length : from + request.MaxResults;
    const page: Page = { Items: ITEMS.slice(from, to) };
    if (to < ITEMS.length) page.NextToken = `t${to}`;
    return Promise.resolve(page);
  };
  return { requests, fetch };
}

async function run(config: PagingConfig, request: PageRequest = {}) {
  const s = service();
  const iterator = new PageIterator(s.fetch, 'Items', request, config);
  const result = await fullResult(iterator, 'Items');
  return { result, requests: s.requests };
}

describe('the paginator', () => {
  it('follows NextToken to the end and merges the items, without a NextToken', async () => {
    const r = await run({ pageSize: 4 });
    expect(r.result).toEqual({ Items: ITEMS });
    expect(r.requests).toEqual([
      { MaxResults: 4 },
      { MaxResults: 4, NextToken: 't4' },
      { MaxResults: 4, NextToken: 't8' },
    ]);
  });

  it('keeps MaxResults from the request on every call, and --page-size wins over it', async () => {
    expect((await run({}, { MaxResults: 5 })).requests).toEqual([
      { MaxResults: 5 },
      { MaxResults: 5, NextToken: 't5' },
    ]);
    expect((await run({ pageSize: 6 }, { MaxResults: 5 })).requests).toEqual([
      { MaxResults: 6 },
      { MaxResults: 6, NextToken: 't6' },
    ]);
  });

  it('cuts --max-items inside a page: the token resumes that page past what was printed', async () => {
    const r = await run({ pageSize: 4, maxItems: 6 });
    expect(r.result).toEqual({
      Items: ITEMS.slice(0, 6),
      NextToken: encodeResumeToken('t4', 2),
    });
    // No call past the page that filled --max-items.
    expect(r.requests).toHaveLength(2);
  });

  it('cuts --max-items on a page boundary with the service token alone', async () => {
    const r = await run({ pageSize: 4, maxItems: 8 });
    expect(r.result).toEqual({ Items: ITEMS.slice(0, 8), NextToken: encodeResumeToken('t8') });
  });

  it('resumes from a --starting-token: all items once, in order, across any cuts', async () => {
    const seen: unknown[] = [];
    let startingToken: string | undefined;
    for (let guard = 0; guard < 10; guard += 1) {
      const { result } = await run({ pageSize: 4, maxItems: 3, startingToken });
      seen.push(...(result.Items as unknown[]));
      startingToken = result.NextToken as string | undefined;
      if (startingToken === undefined) break;
    }
    expect(seen).toEqual(ITEMS);
  });

  it('skips the items of the first page a starting token says were printed', async () => {
    const r = await run({ startingToken: encodeResumeToken(null, 7) });
    expect(r.result).toEqual({ Items: ITEMS.slice(7) });
    expect(r.requests).toEqual([{}]);
  });

  it('stops when the service hands the same token twice', async () => {
    const stuck = () => Promise.resolve({ Items: ['x'], NextToken: 'again' });
    const iterator = new PageIterator(stuck, 'Items', {}, {});
    const failure = await fullResult(iterator, 'Items').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CliFailure);
    expect((failure as Error).message).toBe(
      "Error during pagination: The same next token was received twice: {'NextToken': 'again'}",
    );
  });

  it("keeps Python's slice for a negative --max-items, as botocore does", async () => {
    const r = await run({ maxItems: -1 });
    expect(r.result).toEqual({
      Items: ITEMS.slice(0, -1),
      NextToken: encodeResumeToken(null, -1),
    });
  });
});
