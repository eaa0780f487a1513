import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Debian's Python with python3-grpcio and python3-grpc-tools: a gRPC client kumo did not write,
 * built on gRPC C-core (which is stricter than grpc-js about descriptors and trailer sizes).
 */
export const PYTHON = '/usr/bin/python3';
export const CLIENTS_DIR = resolve(import.meta.dirname, 'python');
const ROOT = resolve(import.meta.dirname, '../..');
export const PROTO_DIR = join(ROOT, 'proto');
/** The reflection protocol's own .proto, as @grpc/reflection ships it. */
export const REFLECTION_PROTO_DIR = join(ROOT, 'node_modules/@grpc/reflection/build/proto');

/** Why the Python client cannot run here, or undefined when it can. */
export function pythonClientMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools.protoc, google.protobuf'], {
    encoding: 'utf8',
  });
  if (r.error) return `${PYTHON} is missing (${r.error.message})`;
  if (r.status !== 0)
    return `python3-grpcio / python3-grpc-tools are missing: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return undefined;
}

/** CI=true (or any value but false/0), as test/integration/harness/prerequisites.ts reads it. */
const inCi = (): boolean => {
  const v = (process.env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
};

/**
 * Skipping is allowed on a developer's machine only: in CI a missing prerequisite fails the run
 * (apt-get install -y python3-grpcio python3-grpc-tools).
 */
export function pythonClientOrSkip(): 'run' | 'skip' {
  const missing = pythonClientMissing();
  if (missing === undefined) return 'run';
  if (inCi())
    throw new Error(`CI=${process.env.CI} but the Python gRPC client cannot run: ${missing}`);
  return 'skip';
}

/**
 * Runs one of the Python clients and returns the JSON it prints last on stdout. Asynchronous, so
 * a server in this same process keeps answering while the client talks to it.
 */
export async function runPythonClient<T>(
  script: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), 'kumo-py-'));
  try {
    const stdout = await new Promise<string>((ok, fail) => {
      execFile(
        PYTHON,
        [join(CLIENTS_DIR, script), ...args],
        {
          encoding: 'utf8',
          timeout: timeoutMs,
          maxBuffer: 16 * 1024 * 1024,
          env: { ...process.env, KUMO_PY_WORK: work, PYTHONDONTWRITEBYTECODE: '1' },
        },
        (error, out, err) =>
          error ? fail(new Error(`${script} failed: ${error.message}\n${err}\n${out}`)) : ok(out),
      );
    });
    const last = stdout.trim().split('\n').pop() ?? '';
    return JSON.parse(last) as T;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
