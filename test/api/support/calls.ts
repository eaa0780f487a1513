import { Metadata, type CallOptions, type ServiceError, type status } from '@grpc/grpc-js';
import { EC2_ERROR_CODE_METADATA_KEY } from '../../../src/core/errors.js';

/**
 * Promisifies one unary call; the client method is bound by the caller. It is called in its
 * longest form (request, metadata, options, callback): TypeScript infers the request and
 * response types from that, the last of the generated overloads.
 */
export function call<Req, Res>(
  fn: (
    req: Req,
    metadata: Metadata,
    options: Partial<CallOptions>,
    cb: (err: ServiceError | null, res: Res) => void,
  ) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((ok, fail) =>
    fn(req, new Metadata(), {}, (err, res) => (err ? fail(err) : ok(res))),
  );
}

export interface Failure {
  readonly code: status;
  /** The ec2-error-code trailer, or undefined when the answer carried none. */
  readonly ec2: string | undefined;
  readonly details: string;
}

/** The status of a call that must fail. */
export async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    const ec2 = (err.metadata ?? new Metadata()).get(EC2_ERROR_CODE_METADATA_KEY)[0];
    return {
      code: err.code,
      ec2: ec2 === undefined ? undefined : String(ec2),
      details: err.details,
    };
  }
  throw new Error('expected the call to fail');
}
