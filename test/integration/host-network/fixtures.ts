import { execa, type ResultPromise } from 'execa';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Runs argv inside a test-made namespace; never throws, the test reads exitCode. */
export const nsRun = (ns: string, cmd: string, args: readonly string[], timeout = 20_000) =>
  execa('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args], {
    reject: false,
    timeout,
    env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });

/** Starts a long-running helper in a namespace; the caller kills it. */
export const nsSpawn = (ns: string, cmd: string, args: readonly string[]): ResultPromise =>
  execa('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args], { reject: false });

/**
 * Compiles the metadata proxy program (and only the two modules it imports) to plain ESM in
 * `outDir`, the way `npm run build` would, so the adapter can run it with node as in production.
 */
export async function compileMetadataProxy(outDir: string): Promise<string> {
  await execa(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--outDir',
      outDir,
      '--rootDir',
      join(ROOT, 'src/host/network'),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--skipLibCheck',
      join(ROOT, 'src/host/network/metadata-proxy.ts'),
    ],
    { cwd: ROOT },
  );
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return join(outDir, 'metadata-proxy.js');
}

/**
 * A stand-in for kumod's metadata endpoint: answers every connection with an HTTP response whose
 * body is the PROXY line the proxy sent (or "no PROXY line").
 */
export async function startMetadataStub(path: string): Promise<Server> {
  const server = createServer((s) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n');
      if (end < 0) return;
      s.off('data', onData);
      const line = head.slice(0, end);
      const body = line.startsWith('PROXY ') ? line : 'no PROXY line';
      s.end(
        `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    };
    s.on('data', onData);
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(path, r));
  return server;
}

/** Field `n` (1-based, as in proc(5)) of /proc/PID/stat, or undefined if the process is gone. */
export async function procStatField(pid: number, n: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // Fields after the command name (field 2), which may hold spaces: field 3 is index 0.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3];
}

/** True while the pid is a live (non-zombie) process. */
export async function alive(pid: number): Promise<boolean> {
  const state = await procStatField(pid, 3);
  return state !== undefined && state !== 'Z' && state !== 'X';
}
