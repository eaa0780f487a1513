import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '../core/logger.js';
import { toServiceError } from './error-mapper.js';

/** Adapts an async handler to grpc-js, routing every failure through the one error mapper. */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  fn: (request: Req) => Promise<Res> | Res,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(err, method, logger), null),
      );
  };
}
