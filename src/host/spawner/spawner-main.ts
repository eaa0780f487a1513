/**
 * The spawner: a small process that starts host commands for kumod. Forking kumod itself costs
 * time and CPU that grow with its memory (the kernel copies the page tables of a ~100 MB process,
 * and the event loop waits for the exec); forking this process, which loads nothing but Node's
 * own modules, costs a fraction. Requests come on stdin, results go to stdout (protocol.ts).
 * It exits when its stdin closes (kumod went away) and keeps nothing between requests.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MAX_OUTPUT_BYTES, type SpawnRequest, type SpawnResult } from './protocol.js';

function reply(result: SpawnResult): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** Collects a stream's text up to the limit; says whether anything was dropped. */
function collect(stream: NodeJS.ReadableStream | null): { text: () => string; cut: () => boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  stream?.on('data', (chunk: Buffer) => {
    if (size + chunk.length > MAX_OUTPUT_BYTES) {
      dropped = true;
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  return { text: () => Buffer.concat(chunks).toString('utf8'), cut: () => dropped };
}

function run(req: SpawnRequest): void {
  let timedOut = false;
  const child = spawn(req.file, [...req.args], {
    stdio: [req.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: process.env,
    shell: false,
  });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, req.timeoutMs);
  let startError: string | undefined;
  child.on('error', (e) => {
    startError = e.message;
  });
  if (req.input !== undefined) {
    // A command that exits without reading its input must not take the spawner down (EPIPE).
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(req.input);
  }
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    const cut = stdout.cut() || stderr.cut();
    reply({
      id: req.id,
      // A program that could not start has no exit code (Node reports the errno there).
      exitCode: startError === undefined ? (code ?? undefined) : undefined,
      signal: signal ?? undefined,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut,
      error: startError ?? (cut ? `output over ${MAX_OUTPUT_BYTES} bytes was dropped` : undefined),
    });
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let req: SpawnRequest;
  try {
    req = JSON.parse(line) as SpawnRequest;
  } catch {
    return; // Not from kumod's runner; nothing to answer to.
  }
  try {
    run(req);
  } catch (e) {
    reply({ id: req.id, stdout: '', stderr: '', timedOut: false, error: String(e) });
  }
});
lines.on('close', () => process.exit(0));
