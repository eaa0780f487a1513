/**
 * The per-VPC metadata proxy: a standalone program kumod starts inside each VPC namespace.
 *
 *   node metadata-proxy.js --listen 169.254.169.254:80 --socket /run/kumo/metadata/vpc-1.sock
 *                          [--pid-file /run/kumo/net/vpc-1/metadata-proxy.pid]
 *
 * It outlives kumod (kumod may restart while guests keep asking), so it depends on nothing but
 * Node's standard library and the two small modules beside it. The pid file is written only once
 * the port is bound: its appearance is kumod's signal that the proxy is ready.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createMetadataProxy } from './metadata-proxy-server.js';

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} metadata-proxy[${process.pid}]: ${line}\n`);
};

/** "HOST:PORT" -> parts; exits with a usage error on anything else. */
function parseListen(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i);
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    log(`--listen must be HOST:PORT, got "${text}"`);
    process.exit(2);
  }
  return { host, port };
}

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    socket: { type: 'string' },
    'pid-file': { type: 'string' },
  },
  strict: true,
});
if (values.listen === undefined || values.socket === undefined) {
  log('usage: metadata-proxy --listen HOST:PORT --socket PATH [--pid-file PATH]');
  process.exit(2);
}
const { host, port } = parseListen(values.listen);
const pidFile = values['pid-file'];
const server = createMetadataProxy({ socketPath: values.socket, log });

// All state is per connection and every socket has an error handler; should something still
// escape, dropping that one connection beats taking metadata away from every guest of the VPC.
process.on('uncaughtException', (e) => log(`unexpected error (continuing): ${e.stack ?? e}`));

const shutdown = (signal: string): void => {
  log(`${signal}: shutting down`);
  server.close();
  const done = pidFile ? rm(pidFile, { force: true }) : Promise.resolve();
  void done.finally(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
// Detached from any terminal; a stray SIGHUP must not end it.
process.on('SIGHUP', () => log('SIGHUP ignored'));

let listening = false;
server.on('error', (e) => {
  if (listening) {
    log(`server error (continuing): ${e.message}`);
    return;
  }
  log(`cannot listen on ${host}:${port}: ${e.message}`);
  process.exit(1);
});
server.listen({ host, port }, () => {
  listening = true;
  log(`listening on ${host}:${port}, forwarding to ${values.socket}`);
  if (pidFile === undefined) return;
  const tmp = `${pidFile}.tmp`;
  void writeFile(tmp, `${process.pid}\n`)
    .then(() => rename(tmp, pidFile))
    .catch((e: unknown) => {
      log(`cannot write pid file ${pidFile}: ${String(e)}`);
      process.exit(1);
    });
});
