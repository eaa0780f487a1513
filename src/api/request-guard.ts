import type { ServiceDefinition } from '@grpc/grpc-js';
import { invalidParameter, type KumoError } from '../core/errors.js';

/**
 * Requests that fail before a handler runs, answered like every other error (with an
 * ec2-error-code) instead of grpc-js's bare statuses. grpc-js deserializes a request with the
 * service definition's `requestDeserialize` and, if that throws, answers INTERNAL "Error
 * deserializing request" itself; so the deserializers here never throw: a bad request becomes a
 * RejectedRequest, which `unary` turns into the error through the one error mapper.
 */
export class RejectedRequest {
  constructor(readonly error: KumoError) {}
}

/**
 * The largest request kumod reads, in bytes. The largest valid request is a RunInstances with
 * 16 KiB of user data and 50 tags (about 40 KiB), or a describe call with 200 filter values of
 * 512 characters (about 110 KiB); 1 MiB leaves room for any of them and still bounds what one
 * call can make kumod hold.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * What grpc-js itself refuses (RESOURCE_EXHAUSTED "Received message larger than max", without an
 * ec2-error-code: the transport answers before kumod sees the message). Requests between
 * MAX_REQUEST_BYTES and this get kumod's own InvalidParameterValue; only larger ones hit the
 * transport limit, which stops reading after the 5-byte length prefix, so it costs no memory.
 */
export const TRANSPORT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** The service definition with deserializers that answer bad requests as kumo errors. */
export function guardRequests<S extends ServiceDefinition>(service: S): S {
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    const decode = method.requestDeserialize;
    const message = method.path.split('/').pop() ?? name;
    guarded[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        if (bytes.length > MAX_REQUEST_BYTES) {
          return new RejectedRequest(
            invalidParameter(
              `The ${message} request is ${bytes.length} bytes; kumod reads at most ${MAX_REQUEST_BYTES} bytes (user data is at most 16 KiB)`,
            ),
          );
        }
        try {
          return decode(bytes);
        } catch {
          return new RejectedRequest(
            invalidParameter(`The ${message} request is not a valid protobuf message`),
          );
        }
      },
    };
  }
  return guarded as S;
}
