import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '../core/logger.js';
import { toServiceError } from './error-mapper.js';
import { RejectedRequest } from './request-guard.js';

/** What a handler learns about its call besides the request. */
export interface CallContext {
  /**
   * Aborts when the client cancels, its deadline passes or kumod shuts down: work for nobody
   * can stop (and undo what it started).
   */
  readonly signal: AbortSignal;
}

/**
 * Adapts an async handler to grpc-js, routing every failure through the one error mapper.
 * `shutdown` is kumod's own stop signal (ApiContext.shutdownSignal).
 */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  fn: (request: Req, context: CallContext) => Promise<Res> | Res,
  shutdown?: AbortSignal,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    // A request the guarded deserializer could not accept (request-guard.ts) never reaches fn.
    const request: unknown = call.request;
    if (request instanceof RejectedRequest) {
      callback(toServiceError(request.error, method, logger), null);
      return;
    }
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort(new Error(`${method} was cancelled by the client`)));
    const signal = shutdown ? AbortSignal.any([abort.signal, shutdown]) : abort.signal;
    Promise.resolve()
      .then(() => fn(call.request, { signal }))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(err, method, logger), null),
      );
  };
}
