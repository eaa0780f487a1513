import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createMetadataProxy,
  UNAVAILABLE_RESPONSE,
} from '../../../../src/host/network/metadata-proxy-server.js';

const dir = mkdtempSync(join(tmpdir(), 'kumo-proxy-'));
const socketPath = join(dir, 'kumod.sock');
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the proxy on 127.0.0.1 and returns its port. */
async function startProxy(): Promise<number> {
  const proxy = createMetadataProxy({ socketPath, idleTimeoutMs: 5_000 });
  servers.push(proxy);
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return (proxy.address() as AddressInfo).port;
}

/** Sends `request`, half-closes, and collects everything until the proxy closes. */
function exchange(port: number, request: string): Promise<{ data: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(request));
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('end', () => resolve({ data, localPort: s.localPort ?? -1 }));
    s.on('error', reject);
  });
}

describe('metadata proxy', () => {
  it('prefixes the PROXY line from the socket, then pipes the bytes untouched both ways', async () => {
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('end', () => s.end(`echo:${got}`));
    });
    servers.push(upstream);
    await new Promise<void>((r) => upstream.listen(socketPath, r));
    const port = await startProxy();
    // A guest-supplied PROXY line and forwarding headers are just payload after the real one.
    const request =
      'PROXY TCP4 9.9.9.9 9.9.9.9 1 1\r\nGET / HTTP/1.0\r\nX-Forwarded-For: 8.8.8.8\r\n\r\n';
    const { data, localPort } = await exchange(port, request);
    expect(data).toBe(`echo:PROXY TCP4 127.0.0.1 127.0.0.1 ${localPort} ${port}\r\n${request}`);
  });

  it('answers 503 when kumod socket is missing, and keeps serving', async () => {
    rmSync(socketPath, { force: true });
    const port = await startProxy();
    for (let i = 0; i < 3; i++) {
      const { data } = await exchange(port, 'GET /latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(data).toBe(UNAVAILABLE_RESPONSE);
    }
    expect(UNAVAILABLE_RESPONSE).toMatch(/^HTTP\/1\.1 503 /);
  });

  it('closes the guest side when kumod drops the connection', async () => {
    const upstream = createServer((s) => s.destroy());
    servers.push(upstream);
    await new Promise<void>((r) => upstream.listen(socketPath, r));
    const port = await startProxy();
    const { data } = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(data).toBe('');
  });
});
