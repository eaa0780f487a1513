import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { EC2_ERROR_CODE_METADATA_KEY, isKumoError, type ErrorKind } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

const STATUS: Record<ErrorKind, status> = {
  NotFound: status.NOT_FOUND,
  InvalidArgument: status.INVALID_ARGUMENT,
  AlreadyExists: status.ALREADY_EXISTS,
  FailedPrecondition: status.FAILED_PRECONDITION,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  Aborted: status.ABORTED,
  Unavailable: status.UNAVAILABLE,
  Internal: status.INTERNAL,
};

/**
 * THE one place where errors become gRPC statuses. Domain errors keep their message and EC2 code
 * (in trailing metadata); anything else is logged with a reference id and reaches the client as
 * INTERNAL with only that id: no stack trace, no host detail.
 */
export function toServiceError(
  error: unknown,
  method: string,
  logger: Logger,
): Partial<ServiceError> {
  const metadata = new Metadata();
  if (isKumoError(error) && error.kind !== 'Internal') {
    metadata.set(EC2_ERROR_CODE_METADATA_KEY, error.code);
    return { code: STATUS[error.kind], details: error.message, metadata };
  }
  const ref = randomBytes(6).toString('hex');
  logger.error('internal error', {
    method,
    ref,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
  });
  metadata.set(EC2_ERROR_CODE_METADATA_KEY, 'InternalError');
  const what = isKumoError(error) ? `${error.message} ` : '';
  return {
    code: status.INTERNAL,
    details: `${what}An internal error occurred (reference ${ref}); the kumod log has the details`,
    metadata,
  };
}
