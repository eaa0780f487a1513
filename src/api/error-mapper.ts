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
 * The longest status message kumod sends, in UTF-8 bytes. Messages travel in the grpc-message
 * trailer (percent-encoded: up to 3 bytes per byte), and C-core clients (Python, C++, Ruby) refuse
 * trailers over 8 KiB, answering RESOURCE_EXHAUSTED without the ec2-error-code. Messages quote
 * input cut short already (core/errors.ts); this is the safety net for any that do not.
 */
export const MAX_MESSAGE_BYTES = 1024;

/** Cuts a message to MAX_MESSAGE_BYTES of UTF-8, at a character boundary, marking the cut. */
export function capMessage(message: string, maxBytes = MAX_MESSAGE_BYTES): string {
  if (Buffer.byteLength(message, 'utf8') <= maxBytes) return message;
  const marker = '… (message cut)';
  let out = '';
  let bytes = Buffer.byteLength(marker, 'utf8');
  for (const ch of message) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out + marker;
}

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
    return { code: STATUS[error.kind], details: capMessage(error.message), metadata };
  }
  const ref = randomBytes(6).toString('hex');
  logger.error('internal error', {
    method,
    ref,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
  });
  metadata.set(EC2_ERROR_CODE_METADATA_KEY, 'InternalError');
  const reference = `An internal error occurred (reference ${ref}); the kumod log has the details`;
  // The reference must survive the cut: only the domain's own words before it are shortened.
  const what = isKumoError(error) ? `${capMessage(error.message, MAX_MESSAGE_BYTES / 2)} ` : '';
  return { code: status.INTERNAL, details: what + reference, metadata };
}
