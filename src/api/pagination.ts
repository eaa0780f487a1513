import { createHash } from 'node:crypto';
import { invalidCombination, invalidPaginationToken, invalidParameter } from '../core/errors.js';

/**
 * EC2's MaxResults/NextToken for describe calls. Pages are cut from the full, ordered result the
 * use-case returns; the token is opaque to clients but says where the last page ended (the sort
 * key of its last item) and which request it belongs to (a digest of the request without its
 * paging fields), so a page boundary survives items coming and going between calls and a token
 * cannot be replayed against another request.
 */

export interface PageLimits {
  /** The operation, as EC2 names it (DescribeInstances): tokens are only good for it. */
  readonly operation: string;
  readonly min: number;
  readonly max: number;
  /** EC2 refuses MaxResults together with explicit ids on some calls (DescribeInstances). */
  readonly exclusiveWithIds: boolean;
}

/** EC2's limits for each paginated describe call. */
export const PAGE_LIMITS = {
  describeInstances: { operation: 'DescribeInstances', min: 5, max: 1000, exclusiveWithIds: true },
  describeInstanceStatus: {
    operation: 'DescribeInstanceStatus',
    min: 5,
    max: 1000,
    exclusiveWithIds: true,
  },
  describeImages: { operation: 'DescribeImages', min: 1, max: 1000, exclusiveWithIds: false },
  describeVolumes: { operation: 'DescribeVolumes', min: 5, max: 500, exclusiveWithIds: true },
  describeVolumesModifications: {
    operation: 'DescribeVolumesModifications',
    min: 5,
    max: 500,
    exclusiveWithIds: false,
  },
  describeSnapshots: {
    operation: 'DescribeSnapshots',
    min: 5,
    max: 1000,
    exclusiveWithIds: true,
  },
  describeInstanceTypes: {
    operation: 'DescribeInstanceTypes',
    min: 5,
    max: 100,
    exclusiveWithIds: false,
  },
  describeSecurityGroups: {
    operation: 'DescribeSecurityGroups',
    min: 5,
    max: 1000,
    exclusiveWithIds: true,
  },
  describeSecurityGroupRules: {
    operation: 'DescribeSecurityGroupRules',
    min: 5,
    max: 1000,
    exclusiveWithIds: true,
  },
  describeVpcs: { operation: 'DescribeVpcs', min: 5, max: 1000, exclusiveWithIds: true },
  describeSubnets: { operation: 'DescribeSubnets', min: 5, max: 1000, exclusiveWithIds: true },
  describeInternetGateways: {
    operation: 'DescribeInternetGateways',
    min: 5,
    max: 1000,
    exclusiveWithIds: true,
  },
  describeRouteTables: {
    operation: 'DescribeRouteTables',
    min: 5,
    max: 100,
    exclusiveWithIds: true,
  },
  describeTags: { operation: 'DescribeTags', min: 5, max: 1000, exclusiveWithIds: false },
} as const satisfies Record<string, PageLimits>;

export interface PageRequest {
  /** 0 when not given (proto3): the whole result in one answer. */
  readonly maxResults: number;
  readonly nextToken: string;
  /** How many ids the request named (instance ids, image ids, type names). */
  readonly idCount: number;
  /** The request's other fields (filters, ids, flags): a token is only good for the same ones. */
  readonly query: unknown;
}

interface Token {
  readonly v: 1;
  /** operation */
  readonly o: string;
  /** digest of the request */
  readonly q: string;
  /** sort key of the last item handed out */
  readonly k: string;
}

const digest = (operation: string, query: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify([operation, query]))
    .digest('base64url')
    .slice(0, 16);

/** Checks MaxResults and NextToken against EC2's rules before any work is done. */
export function checkPageRequest(limits: PageLimits, req: PageRequest): void {
  if (req.maxResults !== 0 && limits.exclusiveWithIds && req.idCount > 0) {
    throw invalidCombination(
      `The parameter instancesSet cannot be used with the parameter maxResults`,
    );
  }
  if (req.maxResults !== 0 && (req.maxResults < limits.min || req.maxResults > limits.max)) {
    throw invalidParameter(
      `Value ( ${req.maxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`,
    );
  }
  if (req.nextToken) decodeToken(limits, req);
}

function decodeToken(limits: PageLimits, req: PageRequest): Token {
  const bad = () =>
    invalidPaginationToken(
      `The NextToken is not valid for this ${limits.operation} request; start again without it`,
    );
  if (req.nextToken.length > 512) throw bad();
  let token: Partial<Token>;
  try {
    token = JSON.parse(Buffer.from(req.nextToken, 'base64url').toString('utf8')) as Partial<Token>;
  } catch {
    throw bad();
  }
  if (
    typeof token !== 'object' ||
    token === null ||
    token.v !== 1 ||
    token.o !== limits.operation ||
    token.q !== digest(limits.operation, req.query) ||
    typeof token.k !== 'string'
  ) {
    throw bad();
  }
  return token as Token;
}

/**
 * One page of `items`, which must be sorted by `keyOf` (strings compared as strings). Without
 * MaxResults (0) or a token, everything; the next token is empty on the last page.
 */
export function paginate<T>(
  limits: PageLimits,
  req: PageRequest,
  items: readonly T[],
  keyOf: (item: T) => string,
): { readonly page: T[]; readonly nextToken: string } {
  checkPageRequest(limits, req);
  const after = req.nextToken ? decodeToken(limits, req).k : undefined;
  const rest = after === undefined ? [...items] : items.filter((i) => keyOf(i) > after);
  if (req.maxResults === 0 || rest.length <= req.maxResults) return { page: rest, nextToken: '' };
  const page = rest.slice(0, req.maxResults);
  const last = page[page.length - 1] as T;
  const token: Token = {
    v: 1,
    o: limits.operation,
    q: digest(limits.operation, req.query),
    k: keyOf(last),
  };
  return { page, nextToken: Buffer.from(JSON.stringify(token)).toString('base64url') };
}

/** A sort key that orders like `index` (zero-padded), for items kept in a fixed order. */
export const indexKey = (index: number): string => String(index).padStart(10, '0');
