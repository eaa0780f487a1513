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
  new KumoError('InvalidArgument', code, `Invalid id: "${id}" (expected ${expected})`);

export const alreadyExists = (code: string, message: string): KumoError =>
  new KumoError('AlreadyExists', code, message);

export const incorrectState = (message: string, code = 'IncorrectInstanceState'): KumoError =>
  new KumoError('FailedPrecondition', code, message);

export const insufficientCapacity = (message: string): KumoError =>
  new KumoError('ResourceExhausted', 'InsufficientInstanceCapacity', message);

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

export const isKumoError = (e: unknown): e is KumoError => e instanceof KumoError;

/** Name of the gRPC trailing-metadata key that carries the EC2 error code. */
export const EC2_ERROR_CODE_METADATA_KEY = 'ec2-error-code';
