import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import type { Logger } from '../core/logger.js';
import type { MetadataService } from '../network/metadata-service.js';

/** Parses a PROXY protocol v1 line ("PROXY TCP4 src dst sport dport"); undefined if malformed. */
export function parseProxyLine(line: string): { sourceIp: string } | undefined {
  const m = /^PROXY TCP4 (\d{1,3}(?:\.\d{1,3}){3}) (\d{1,3}(?:\.\d{1,3}){3}) \d{1,5} \d{1,5}$/.exec(
    line,
  );
  return m ? { sourceIp: m[1] as string } : undefined;
}

const sourceOf = new WeakMap<Socket, string>();

/**
 * The metadata endpoint of one VPC: a unix socket the VPC's proxy forwards to. The proxy prefixes
 * each connection with a PROXY v1 line carrying the guest's address; nothing the guest sends in
 * HTTP is trusted for identity.
 */
export class MetadataEndpoint {
  private readonly http: HttpServer;
  private readonly net: Server;

  constructor(
    private readonly vpcId: string,
    private readonly service: MetadataService,
    private readonly logger: Logger,
  ) {
    this.http = createHttpServer((req, res) => {
      const source = sourceOf.get(req.socket);
      const r =
        source === undefined
          ? { status: 400, contentType: 'text/plain', body: 'Bad Request\n' }
          : this.service.handle(this.vpcId, source, {
              method: req.method ?? 'GET',
              path: req.url ?? '/',
              headers: req.headers,
            });
      if (r.drop) {
        // HttpEndpoint=disabled: no answer at all, as if nothing listened for this instance.
        req.socket.destroy();
        return;
      }
      res.writeHead(r.status, {
        ...r.headers,
        'Content-Type': r.contentType,
        Server: 'kumo-metadata',
      });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    });
    this.net = createNetServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n');
      if (end < 0) {
        if (head.length > 108) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const parsed = parseProxyLine(head.subarray(0, end).toString('latin1'));
      if (!parsed) {
        this.logger.warn('metadata: connection without a valid PROXY header', {
          vpcId: this.vpcId,
        });
        socket.destroy();
        return;
      }
      sourceOf.set(socket, parsed.sourceIp);
      socket.pause();
      const rest = head.subarray(end + 2);
      if (rest.length > 0) socket.unshift(rest);
      this.http.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  }

  async listen(path: string): Promise<void> {
    await rm(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen(path, () => resolve());
    });
  }

  close(): void {
    this.net.close();
    this.http.close();
  }
}
