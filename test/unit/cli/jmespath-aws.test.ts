import { beforeAll, describe, expect, it } from 'vitest';
import { applyQuery } from '../../../src/cli/output.js';
import { referencePython, runReference } from './aws-reference.js';
import { DOCUMENTS, EXPRESSIONS } from './jmespath-corpus.js';

/**
 * kumo's --query against Python's jmespath, the library aws-cli evaluates --query with: every
 * expression of the corpus must give the same value, or fail in both.
 */
const python = referencePython(['jmespath']);

type Outcome = { ok: unknown } | { error: string };

const CASES = Object.entries(EXPRESSIONS).flatMap(([data, expressions]) =>
  expressions.map((expression) => ({ data, expression })),
);

function kumo(data: string, expression: string): Outcome {
  try {
    return { ok: applyQuery(DOCUMENTS[data as keyof typeof DOCUMENTS], expression) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe.skipIf(python === undefined)('--query against Python jmespath', () => {
  let reference: Outcome[];

  beforeAll(() => {
    reference = runReference<Outcome[]>(python ?? '', 'jmespath_search.py', {
      data: DOCUMENTS,
      cases: CASES,
    });
  });

  CASES.forEach(({ data, expression }, i) => {
    it(`${expression} (on ${data})`, () => {
      const aws = reference[i];
      const mine = kumo(data, expression);
      if (aws !== undefined && 'error' in aws)
        expect(mine, `aws failed: ${aws.error}`).toHaveProperty('error');
      else expect(mine).toEqual(aws);
    });
  });

  it('covers both answers and failures', () => {
    // Guards the comparison: a corpus of failures only would prove little.
    expect(reference.filter((r) => 'ok' in r && r.ok !== null).length).toBeGreaterThan(150);
    expect(reference.filter((r) => 'error' in r).length).toBeGreaterThan(10);
  });
});
