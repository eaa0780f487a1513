/**
 * The spawner: a small process that starts host commands for kumod. Forking kumod itself costs
 * time and CPU that grow with its memory (the kernel copies the page tables of a ~100 MB process,
 * and the event loop waits for the exec); forking this process, which loads nothing but Node's
 * own modules, costs a fraction. Requests come on stdin, results go to stdout (protocol.ts).
 * It exits when its stdin closes (kumod went away); detached processes it started (QEMU) keep
 * running. It keeps nothing between requests but the exit listeners of those processes.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  MAX_OUTPUT_BYTES,
  type DetachedExit,
  type SpawnRequest,
  type SpawnResult,
} from './protocol.js';

function reply(result: SpawnResult | DetachedExit): void {
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

/**
 * A process that outlives kumod (QEMU): its own session and process group, stdout and stderr
 * appended to its log, not waited for. Answered at once with its pid; its exit, if the spawner
 * sees it, follows as a DetachedExit (the spawner is its parent, so it also reaps it).
 */
function startDetached(req: SpawnRequest, logFile: string): void {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(req.file, [...req.args], {
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
      shell: false,
    });
    let answered = false;
    child.on('error', (e) => {
      if (!answered) {
        answered = true;
        reply({ id: req.id, stdout: '', stderr: '', timedOut: false, error: e.message });
      } else reply({ id: req.id, exited: String(e) });
    });
    child.on('exit', (code, signal) =>
      reply({ id: req.id, exited: signal ? `signal ${signal}` : `exit code ${code}` }),
    );
    if (child.pid !== undefined) {
      answered = true;
      reply({ id: req.id, stdout: '', stderr: '', timedOut: false, pid: child.pid });
    }
  } finally {
    closeSync(log);
  }
}

function run(req: SpawnRequest): void {
  if (req.detachedLog !== undefined) {
    startDetached(req, req.detachedLog);
    return;
  }
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
