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

/** The first candidate Python that imports every module (and meets `condition`), or undefined. */
function pythonWith(modules: readonly string[], condition: string): string | undefined {
  const check = `import ${modules.join(', ')}\nif not (${condition}): raise SystemExit(1)`;
  return CANDIDATES.find((python) => spawnSync(python, ['-c', check]).status === 0);
}

/**
 * The Python to compare against: one that imports `modules` and for which the Python expression
 * `condition` holds (a version, say). On a developer's machine without it the caller skips; with
 * CI=true a missing reference fails the run instead, so CI never passes without the comparison.
 */
export function referencePython(
  modules: readonly string[],
  condition = 'True',
): string | undefined {
  const python = pythonWith(modules, condition);
  if (python === undefined && process.env.CI === 'true')
    throw new Error(
      `CI=true but no Python here imports ${modules.join(', ')}${condition === 'True' ? '' : ` with ${condition}`} (tried ${CANDIDATES.join(', ')}); install aws-cli v1, as the build machines have it under pyenv (pip install awscli; Debian's awscli package is v2)`,
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
