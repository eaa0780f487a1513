import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * aws-cli itself as the oracle: a Python that can import aws-cli (and botocore, jmespath) runs a
 * script from reference/ on the same input kumo gets, and the test compares the answers.
 *
 * Candidates: the python3 on PATH (pyenv's aws-cli v1 on the build machines), then Debian's
 * (`apt-get install awscli python3-jmespath`).
 */
const CANDIDATES = [process.env.KUMO_AWSCLI_PYTHON, 'python3', '/usr/bin/python3'].filter(
  (p): p is string => p !== undefined && p !== '',
);

const REFERENCE_DIR = join(import.meta.dirname, 'reference');

/** The first candidate Python that imports every module, or undefined. */
function pythonWith(modules: readonly string[]): string | undefined {
  return CANDIDATES.find(
    (python) => spawnSync(python, ['-c', `import ${modules.join(', ')}`]).status === 0,
  );
}

/**
 * The Python to compare against. On a developer's machine without aws-cli the caller skips; with
 * CI=true a missing reference fails the run instead, so CI never passes without the comparison.
 */
export function referencePython(modules: readonly string[]): string | undefined {
  const python = pythonWith(modules);
  if (python === undefined && process.env.CI === 'true')
    throw new Error(
      `CI=true but no Python here imports ${modules.join(', ')} (tried ${CANDIDATES.join(', ')}); install aws-cli (pip install awscli, or apt-get install awscli python3-jmespath)`,
    );
  return python;
}

/** Runs reference/<script> with `input` as JSON on stdin and returns the JSON it prints. */
export function runReference<T>(python: string, script: string, input: unknown): T {
  const r = spawnSync(python, [join(REFERENCE_DIR, script)], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
