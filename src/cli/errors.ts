import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { EC2_ERROR_CODE_METADATA_KEY } from '../core/errors.js';

/** Exit codes, as aws-cli uses them. */
export const EXIT = {
  ok: 0,
  /** The daemon could not be reached, a waiter failed, or another client-side failure. */
  failure: 255,
  /** Bad usage: unknown flag, missing flag, unparsable parameter. */
  usage: 252,
  /** The service answered with an error. */
  service: 254,
} as const;

/** A flag or parameter the user must change; exits 252 like aws-cli's parameter errors. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A client-side failure with a one-line message (waiter failed, instance not running, ...). */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** A failed gRPC call, remembered with the EC2 operation name that aws-cli prints. */
export class ServiceCallError extends Error {
  constructor(
    readonly operation: string,
    readonly grpc: ServiceError,
  ) {
    super(grpc.details || grpc.message);
    this.name = 'ServiceCallError';
  }

  /** The EC2 error code from trailing metadata, if the daemon sent one. */
  get ec2Code(): string | undefined {
    return ec2ErrorCode(this.grpc);
  }
}

/** The EC2 error code carried in the trailing metadata of a failed call. */
export function ec2ErrorCode(error: Pick<ServiceError, 'metadata'>): string | undefined {
  const value = (error.metadata ?? new Metadata()).get(EC2_ERROR_CODE_METADATA_KEY)[0];
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.toString('utf8');
  return text === '' ? undefined : text;
}

/** gRPC status name (`NOT_FOUND`) for a numeric code: the fallback when no EC2 code came back. */
export function statusName(code: number): string {
  const name = (status as unknown as Record<number, string | undefined>)[code];
  return name ?? `STATUS_${code}`;
}

/** Collapses a message onto one line: the error contract is one line on stderr. */
export function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

/** `An error occurred (Code) when calling the Operation operation: message`, as aws-cli prints. */
export function formatServiceError(
  operation: string,
  error: Pick<ServiceError, 'code' | 'details' | 'metadata'>,
): string {
  const code = ec2ErrorCode(error) ?? statusName(error.code);
  return `An error occurred (${code}) when calling the ${operation} operation: ${oneLine(error.details)}`;
}

/**
 * The line for a daemon that could not be reached. grpc-js wraps the socket error in
 * "No connection established. Last error: Error: connect ENOENT /path. Resolution note: ";
 * the socket error is the part that helps.
 */
export function unreachableLine(endpoint: string, details: string): string {
  const cause = /Last error: (?:Error: )?(.*?)(?:\.? Resolution note:.*)?$/s.exec(details)?.[1];
  const why = oneLine(cause ?? details);
  const advice = why.includes('EACCES')
    ? 'Is your user in the kumo group (sudo usermod -aG kumo $USER, then log in again)?'
    : 'Is kumod running? Start it (sudo systemctl start kumod) or point KUMO_ENDPOINT / --endpoint at its socket.';
  return `Could not connect to kumod at ${endpoint}: ${why}. ${advice}`;
}

/** What the user sees for a failure: one line and the exit code. */
export interface FailureReport {
  readonly line: string;
  readonly exitCode: number;
}

/**
 * Turns any failure into one stderr line and an exit code. A call that failed without an EC2
 * code and with UNAVAILABLE never reached kumod (the daemon always sets a code), so it says
 * which endpoint was tried and how to fix it, instead of a gRPC status dump.
 */
export function describeFailure(error: unknown, endpoint: string): FailureReport {
  if (error instanceof UsageError) return { line: oneLine(error.message), exitCode: EXIT.usage };
  if (error instanceof CliFailure)
    return { line: oneLine(error.message), exitCode: error.exitCode };
  if (error instanceof ServiceCallError) {
    const { grpc, operation } = error;
    if (error.ec2Code === undefined && grpc.code === status.UNAVAILABLE) {
      return { line: unreachableLine(endpoint, grpc.details), exitCode: EXIT.failure };
    }
    if (error.ec2Code === undefined && grpc.code === status.DEADLINE_EXCEEDED) {
      return {
        line: `kumod at ${endpoint} did not answer the ${operation} call in time (${oneLine(grpc.details)})`,
        exitCode: EXIT.failure,
      };
    }
    return { line: formatServiceError(operation, grpc), exitCode: EXIT.service };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: oneLine(message), exitCode: EXIT.failure };
}
