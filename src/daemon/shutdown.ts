import type { Server } from '@grpc/grpc-js';
import type { Logger } from '../core/logger.js';
import { unavailable } from '../core/errors.js';

export interface ShutdownParts {
  readonly logger: Logger;
  readonly server: Server;
  /** Aborted at the first signal: launches in flight are undone and their calls answered. */
  readonly abort: AbortController;
  /** Stops the reconciler, waiting at most the given time for passes under way. */
  stopLoop(timeoutMs: number): Promise<void>;
  /** Closes what is left (event watchers, metadata endpoints, the database); never guests. */
  close(): void;
  /** How long a clean stop may take before kumod exits anyway (default 5 s). */
  readonly graceMs?: number;
  readonly exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT stop kumod within a few seconds whatever it is doing; guests keep running. The
 * first signal aborts work in flight, lets calls answer and closes cleanly; a second signal, or
 * the grace period running out, exits at once (what is half-done is healed at the next start).
 */
export function installShutdown(parts: ShutdownParts): void {
  const grace = parts.graceMs ?? 5_000;
  const exit = parts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      parts.logger.warn('second signal: exiting now', { signal });
      exit(1);
      return;
    }
    stopping = true;
    parts.logger.info('shutting down; instances keep running', { signal });
    parts.abort.abort(unavailable('kumod is shutting down; retry when it is back'));
    const force = setTimeout(() => {
      parts.logger.error('shutdown took too long: exiting now', { graceMs: grace });
      exit(1);
    }, grace);
    force.unref();
    void (async () => {
      await new Promise<void>((resolve) => {
        // Calls in flight get half the grace period to answer, then the transport is cut.
        const cut = setTimeout(() => {
          parts.server.forceShutdown();
          resolve();
        }, grace / 2);
        parts.server.tryShutdown(() => {
          clearTimeout(cut);
          resolve();
        });
      });
      await parts.stopLoop(grace / 4);
      parts.close();
      clearTimeout(force);
      parts.logger.info('kumod stopped');
      exit(0);
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
