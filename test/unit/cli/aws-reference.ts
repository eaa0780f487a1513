import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { model } from '../../api/support/ec2-model.js';

/**
 * aws-cli itself as the oracle: a Python that can import aws-cli (and botocore, jmespath) runs a
 * script from reference/ on the same input kumo gets, and the test compares the answers.
 *
 * Candidates: KUMO_AWSCLI_PYTHON, the python3 on PATH (pyenv's aws-cli v1 on the build machines),
 * Debian's, then the tree scripts/test builds from Debian packages where none has it (aws-cli
 * 1.19 from bullseye with sid's botocore: scripts/lib-aws-reference.sh, decision 0034).
 */
const CANDIDATES = [
  process.env.KUMO_AWSCLI_PYTHON,
  'python3',
  '/usr/bin/python3',
  join(process.env.KUMO_AWS_REFERENCE_DIR ?? '/var/cache/kumo/aws-reference', 'python3'),
].filter((p): p is string => p !== undefined && p !== '');

const REFERENCE_DIR = join(import.meta.dirname, 'reference');

/**
 * The botocore whose EC2 model kumo's tables follow (the one test/api/fixtures/ec2-shapes.json
 * was extracted from). An older one cannot judge them; a newer one can, where a test allows for
 * what the model gained since (see ec2-model-aws.test.ts).
 */
export const FOLLOWED_BOTOCORE: string = model.botocore;

const BOTOCORE_NEW_ENOUGH =
  `tuple(int(n) for n in __import__('re').findall(r'\\d+', botocore.__version__)[:3]) >= ` +
  `(${FOLLOWED_BOTOCORE.split('.').join(', ')})`;

/** The first candidate Python that imports every module (and meets `condition`), or undefined. */
function pythonWith(modules: readonly string[], condition: string): string | undefined {
  const check = `import ${modules.join(', ')}\nif not (${condition}): raise SystemExit(1)`;
  return CANDIDATES.find((python) => spawnSync(python, ['-c', check]).status === 0);
}

/**
 * The Python to compare against: one that imports `modules` and for which the Python expression
 * `condition` holds (a version, say); where aws-cli or botocore is among the modules, also one
 * whose botocore is at least FOLLOWED_BOTOCORE. On a developer's machine without it the caller
 * skips; with CI=true a missing reference fails the run instead, so CI never passes without the
 * comparison.
 */
export function referencePython(
  modules: readonly string[],
  condition = 'True',
): string | undefined {
  const model = modules.some((m) => /^(awscli|botocore)(\.|$)/.test(m));
  const wanted = model
    ? { modules: [...modules, 'botocore'], condition: `(${condition}) and ${BOTOCORE_NEW_ENOUGH}` }
    : { modules, condition };
  const python = pythonWith(wanted.modules, wanted.condition);
  if (python === undefined && process.env.CI === 'true')
    throw new Error(
      `CI=true but no Python here imports ${modules.join(', ')}${condition === 'True' ? '' : ` with ${condition}`}${model ? ` and botocore >= ${FOLLOWED_BOTOCORE}` : ''} (tried ${CANDIDATES.join(', ')}); scripts/test builds one from Debian packages (ensure_aws_reference in scripts/lib-aws-reference.sh), or install aws-cli v1 as the build machines have it under pyenv (pip install awscli; Debian's awscli package is v2)`,
    );
  return python;
}

/** Whether the Python expression `condition` holds in `python` after importing `modules`. */
export function referenceHas(
  python: string,
  modules: readonly string[],
  condition: string,
): boolean {
  const check = `import ${modules.join(', ')}\nif not (${condition}): raise SystemExit(1)`;
  return spawnSync(python, ['-c', check]).status === 0;
}

/** The botocore version `python` imports ("1.43.11"). */
export function botocoreVersion(python: string): string {
  const r = spawnSync(python, ['-c', 'import botocore; print(botocore.__version__)'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${python} cannot import botocore: ${r.stderr}`);
  return r.stdout.trim();
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
