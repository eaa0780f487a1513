import { isDeepStrictEqual } from 'node:util';
import { CliFailure } from './errors.js';
import { encodeResumeToken, parseStartingToken } from './paging-token.js';
import { pythonRepr } from './python-text.js';

/**
 * botocore's PageIterator (botocore/paginate.py), which aws-cli runs for every paginated
 * operation unless --no-paginate: it calls the operation page after page, following NextToken,
 * and --max-items / --starting-token cut the result on the client, counting items of the
 * operation's result key (Reservations for DescribeInstances, not instances). Ported line by
 * line, so the pages, the requests and the resume token are botocore's.
 */

/** An EC2-shaped page: PascalCase keys, `NextToken` while more remain. */
export type Page = Record<string, unknown>;

/** The paging members of one request, as botocore passes them to the operation. */
export interface PageRequest {
  MaxResults?: number;
  NextToken?: string;
}

/** aws-cli's client-side paging options (its PaginationConfig). */
export interface PagingConfig {
  readonly maxItems?: number | undefined;
  readonly startingToken?: string | undefined;
  /** Sent as MaxResults on every call. */
  readonly pageSize?: number | undefined;
}

/** The operation's NextToken, as botocore keeps it between calls (null: none). */
type NextTokenState = { NextToken: string | null };

/** Pages of one paginated call; `resumeToken` is set once the pages stop short of the end. */
export class PageIterator {
  /** What aws-cli prints as NextToken after the last page, when --max-items stopped early. */
  resumeToken: string | undefined;

  constructor(
    private readonly fetch: (request: PageRequest) => Promise<Page>,
    /** The key holding the items (paginators-1.json's result_key). */
    private readonly resultKey: string,
    /** MaxResults and NextToken from --cli-input-json: the first call's, as botocore sends them. */
    private readonly request: PageRequest,
    private readonly config: PagingConfig,
  ) {}

  async *pages(): AsyncGenerator<Page> {
    const { maxItems, startingToken, pageSize } = this.config;
    const kwargs: PageRequest = { ...this.request };
    const start = startingToken === undefined ? undefined : parseStartingToken(startingToken);
    let nextToken: NextTokenState = { NextToken: start?.nextToken ?? null };
    let previous: NextTokenState | undefined;
    let totalItems = 0;
    let firstRequest = true;
    let startingTruncation = 0;
    if (start !== undefined) injectToken(kwargs, nextToken);
    if (pageSize !== undefined) kwargs.MaxResults = pageSize;
    for (;;) {
      const page = await this.fetch({ ...kwargs });
      if (firstRequest) {
        // A starting token may point into the middle of its page: skip what was handed out.
        if (start !== undefined) {
          startingTruncation = start.skip;
          page[this.resultKey] = pythonSliceFrom(page[this.resultKey], startingTruncation);
        }
        firstRequest = false;
      } else {
        startingTruncation = 0;
      }
      const items = this.items(page);
      const truncateAmount = maxItems === undefined ? 0 : totalItems + items.length - maxItems;
      if (truncateAmount > 0) {
        const keep = items.length - truncateAmount;
        // Python's slice: a negative --max-items keeps all but the last items, as botocore does.
        page[this.resultKey] = items.slice(0, keep);
        // Resume where this page's request started, past the items already handed out.
        this.resumeToken = encodeResumeToken(nextToken.NextToken, keep + startingTruncation);
        yield page;
        return;
      }
      yield page;
      totalItems += items.length;
      nextToken = nextTokenOf(page);
      if (nextToken.NextToken === null) return;
      if (maxItems !== undefined && totalItems === maxItems) {
        // On a page boundary: the service's token alone resumes.
        this.resumeToken = encodeResumeToken(nextToken.NextToken);
        return;
      }
      if (previous !== undefined && isDeepStrictEqual(previous, nextToken))
        throw new CliFailure(
          `Error during pagination: The same next token was received twice: ${pythonRepr(nextToken)}`,
        );
      injectToken(kwargs, nextToken);
      previous = nextToken;
    }
  }

  private items(page: Page): unknown[] {
    const value = page[this.resultKey];
    return Array.isArray(value) ? value : [];
  }
}

/** botocore's _get_next_token: an empty token means the last page. */
function nextTokenOf(page: Page): NextTokenState {
  const token = page.NextToken;
  return { NextToken: typeof token === 'string' && token !== '' ? token : null };
}

/** botocore's _inject_token_into_kwargs: a token replaces the request's, none removes it. */
function injectToken(kwargs: PageRequest, token: NextTokenState): void {
  if (token.NextToken !== null && token.NextToken !== 'None') kwargs.NextToken = token.NextToken;
  else delete kwargs.NextToken;
}

/** Python's `value[start:]` for a list (botocore slices only lists and strings; else None). */
function pythonSliceFrom(value: unknown, start: number): unknown {
  if (Array.isArray(value)) return value.slice(start);
  if (typeof value === 'string') return value.slice(start);
  return null;
}

/**
 * botocore's build_full_result, which aws-cli prints for --output json and table: the result
 * key's items of every page in one list, then NextToken when --max-items stopped early. Nothing
 * else from the pages is kept.
 */
export async function fullResult(iterator: PageIterator, resultKey: string): Promise<Page> {
  const result: Page = {};
  for await (const page of iterator.pages()) {
    const value = page[resultKey];
    if (value === undefined || value === null) continue;
    const existing = result[resultKey];
    if (Array.isArray(existing) && Array.isArray(value)) existing.push(...(value as unknown[]));
    else if (existing === undefined)
      result[resultKey] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  if (iterator.resumeToken !== undefined) result.NextToken = iterator.resumeToken;
  return result;
}
