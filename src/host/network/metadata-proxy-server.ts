import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { renderProxyHeaderV1 } from './proxy-header.js';

/** Settings of the per-VPC metadata proxy. */
export interface MetadataProxyOptions {
  /** kumod's unix socket for this VPC. */
  readonly socketPath: string;
  /** A connection with no traffic either way for this long is closed (a guest cannot pin it). */
  readonly idleTimeoutMs?: number;
  /** Connections beyond this are refused by the kernel-facing server, not queued in memory. */
  readonly maxConnections?: number;
  /** One line per notable event (the standalone program writes it to its log file). */
  readonly log?: (line: string) => void;
}

const UNAVAILABLE_BODY = 'metadata service unavailable\n';
/** Answered when kumod's socket is missing or refuses: the guest sees a clear, retryable error. */
export const UNAVAILABLE_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\n' +
  'Content-Type: text/plain\r\n' +
  `Content-Length: ${UNAVAILABLE_BODY.length}\r\n` +
  'Connection: close\r\n' +
  '\r\n' +
  UNAVAILABLE_BODY;

/**
 * A TCP server that forwards every connection to kumod's unix socket, prefixed with a PROXY v1 line
 * built from the accepted socket's addresses. It never parses what the guest sends: bytes are
 * piped both ways, so nothing in the request can influence identity.
 */
export function createMetadataProxy(o: MetadataProxyOptions): Server {
  const log = o.log ?? (() => undefined);
  // allowHalfOpen: a guest that shuts down its sending side still gets the whole answer.
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
    forward(client, o, log),
  );
  server.maxConnections = o.maxConnections ?? 256;
  return server;
}

function forward(client: Socket, o: MetadataProxyOptions, log: (line: string) => void): void {
  let header: string;
  try {
    header = renderProxyHeaderV1({
      sourceIp: client.remoteAddress ?? '',
      sourcePort: client.remotePort ?? -1,
      destIp: client.localAddress ?? '',
      destPort: client.localPort ?? -1,
    });
  } catch (e) {
    log(`dropping connection: ${String(e)}`);
    client.destroy();
    return;
  }
  const upstream = createConnection({ path: o.socketPath, allowHalfOpen: true });
  let connected = false;
  /** Finish the guest side politely: flush what is queued, FIN, and read (discard) the rest. */
  const finishClient = (response?: string): void => {
    client.unpipe(upstream);
    // Unread data at close would make the kernel answer with a reset, which can destroy the
    // response before the guest reads it.
    client.resume();
    if (response === undefined) client.end();
    else client.end(response);
  };
  client.setTimeout(o.idleTimeoutMs ?? 60_000, () => {
    client.destroy();
    upstream.destroy();
  });
  client.on('error', () => {
    client.destroy();
    upstream.destroy();
  });
  upstream.on('error', (e) => {
    if (connected) {
      log(`upstream connection failed: ${e.message}`);
      finishClient();
      return;
    }
    log(`upstream ${o.socketPath} unavailable: ${e.message}`);
    finishClient(UNAVAILABLE_RESPONSE);
  });
  upstream.once('connect', () => {
    connected = true;
    upstream.write(header);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  // Once the guest side is fully closed there is nobody left to answer.
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => {
    if (connected) finishClient();
  });
}
