/**
 * The one family of domain errors. Every failure a client can see is a KumoError with an EC2
 * error code (`InvalidInstanceID.NotFound`, ...) and a message that says what to change. The API
 * layer maps `kind` to a gRPC status in exactly one place (src/api/error-mapper.ts).
 */
export type ErrorKind =
  | 'NotFound'
  | 'InvalidArgument'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'ResourceExhausted'
  | 'Aborted'
  | 'Unavailable'
  | 'Internal';

export class KumoError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** The EC2 error code, e.g. `InvalidParameterValue`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KumoError';
  }
}

export const notFound = (code: string, message: string): KumoError =>
  new KumoError('NotFound', code, message);

export const invalidParameter = (message: string, code = 'InvalidParameterValue'): KumoError =>
  new KumoError('InvalidArgument', code, message);

export const malformedId = (code: string, id: string, expected: string): KumoError =>
  new KumoError('InvalidArgument', code, `Invalid id: ${quoted(id)} (expected ${expected})`);

export const alreadyExists = (code: string, message: string): KumoError =>
  new KumoError('AlreadyExists', code, message);

export const incorrectState = (message: string, code = 'IncorrectInstanceState'): KumoError =>
  new KumoError('FailedPrecondition', code, message);

export const insufficientCapacity = (message: string): KumoError =>
  new KumoError('ResourceExhausted', 'InsufficientInstanceCapacity', message);

/** A quota the request would pass (EC2's *LimitExceeded codes). */
export const limitExceeded = (code: string, message: string): KumoError =>
  new KumoError('ResourceExhausted', code, message);

/** The resource is still used by another one (EC2's DependencyViolation). */
export const dependencyViolation = (message: string): KumoError =>
  new KumoError('FailedPrecondition', 'DependencyViolation', message);

export const idempotentMismatch = (message: string): KumoError =>
  new KumoError('InvalidArgument', 'IdempotentParameterMismatch', message);

export const unavailable = (message: string, cause?: unknown): KumoError =>
  new KumoError('Unavailable', 'ServiceUnavailable', message, { cause });

export const internal = (message: string, cause?: unknown): KumoError =>
  new KumoError('Internal', 'InternalError', message, { cause });

/** EC2's answer to a DryRun request that would have succeeded. */
export const dryRunOperation = (): KumoError =>
  new KumoError(
    'FailedPrecondition',
    'DryRunOperation',
    'Request would have succeeded, but DryRun flag is set.',
  );

/** Too many filters, or too many values in one filter (EC2's FilterLimitExceeded). */
export const filterLimitExceeded = (message: string): KumoError =>
  new KumoError('InvalidArgument', 'FilterLimitExceeded', message);

/** Two parameters that may not be given together (EC2's InvalidParameterCombination). */
export const invalidCombination = (message: string): KumoError =>
  new KumoError('InvalidArgument', 'InvalidParameterCombination', message);

/** A NextToken that this kumod did not hand out for this request (EC2's InvalidPaginationToken). */
export const invalidPaginationToken = (message: string): KumoError =>
  new KumoError('InvalidArgument', 'InvalidPaginationToken', message);

/**
 * How much of a client's value a message quotes. Messages travel in gRPC trailers, and C-core
 * clients (Python, C++, Ruby) refuse trailers over 8 KiB: echoing a 9000-character value whole
 * would turn a clear InvalidParameterValue into RESOURCE_EXHAUSTED without an EC2 code.
 */
export const QUOTE_MAX_CHARS = 64;

const isControl = (c: string): boolean => {
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
};

/** A value cut to `max` code points, control characters escaped, its full length noted if cut. */
function cut(value: string, max: number): { readonly text: string; readonly note: string } {
  const chars = Array.from(value);
  const text = chars
    .slice(0, max)
    .map((c) => (isControl(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c))
    .join('');
  return chars.length > max
    ? { text: `${text}…`, note: ` (${chars.length} characters)` }
    : { text, note: '' };
}

/**
 * A client-supplied value for a message: in single quotes, cut to `max` characters with its full
 * length noted, control characters escaped so a message stays one line: `'tttt…' (9000 characters)`.
 */
export function quoted(value: string, max = QUOTE_MAX_CHARS): string {
  const c = cut(value, max);
  return `'${c.text}'${c.note}`;
}

/** How many items of a client's list a message names before "and N more", as EC2 does. */
export const LIST_MAX_ITEMS = 3;

/** The first few items of a client's list, each cut like `quoted`: `i-1, i-2, i-3 and 387 more`. */
export function listed(items: readonly string[], max = LIST_MAX_ITEMS): string {
  const shown = items.slice(0, max).map((i) => {
    const c = cut(i, QUOTE_MAX_CHARS);
    return c.text + c.note;
  });
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

export const isKumoError = (e: unknown): e is KumoError => e instanceof KumoError;

/** Name of the gRPC trailing-metadata key that carries the EC2 error code. */
export const EC2_ERROR_CODE_METADATA_KEY = 'ec2-error-code';
