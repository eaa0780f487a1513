import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderOutput } from '../../src/cli/output.js';
import { FakeImageFiles } from '../fakes/fake-image-files.js';
import { referencePython, runReference } from '../unit/cli/aws-reference.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { runCliScenario, type PrintedCase } from './support/cli-scenario.js';
import { model } from './support/ec2-model.js';

/**
 * kumo's `--output json`, `text` and `table` byte for byte against aws-cli's: each answer of the
 * CLI scenario is written as the XML EC2 would send, in the reverse of kumo's order, parsed by
 * botocore's EC2 parser as aws-cli configures it and printed by aws-cli's formatters
 * (unit/cli/reference/aws_parsed_output.py), so the order on aws-cli's side is botocore's alone.
 * EC2 sends no kumo extensions, so they are left out of kumo's side too (as the CLI prints a
 * response without them); everything else must match.
 */
const python = referencePython(['awscli.formatter', 'awscli.customizations.scalarparse']);

type Outcome = { ok: string } | { error: string };

/** `value` without the keys `shapeName`'s model does not have, anywhere inside; order kept. */
function withoutExtensions(value: unknown, shapeName: string): unknown {
  const shape = model.shapes[shapeName];
  if (shape?.type === 'list' && Array.isArray(value))
    return value.map((v) => withoutExtensions(v, shape.member!.shape));
  if (shape?.type !== 'structure' || typeof value !== 'object' || value === null) return value;
  const members = shape.members ?? {};
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k in members)
      .map(([k, v]) => [k, withoutExtensions(v, members[k]!.shape)]),
  );
}

const FORMATS = ['json', 'text', 'table'] as const;
type Format = (typeof FORMATS)[number];

describe.skipIf(python === undefined)('the CLI against aws-cli on the same data', () => {
  let api: ApiServer;
  let cases: PrintedCase[];
  let aws: Record<Format, Outcome[]>;

  beforeAll(async () => {
    api = await startApiServer({ imageFiles: new FakeImageFiles() });
    cases = await runCliScenario(api);
    const run = (format: Format) =>
      runReference<Outcome[]>(
        python ?? '',
        'aws_parsed_output.py',
        cases.map((c) => ({ operation: c.operation, response: c.printed, format, width: 80 })),
      );
    aws = { json: run('json'), text: run('text'), table: run('table') };
  });
  afterAll(() => api.close());

  it('prints what the CLI printed when given the same value (the comparison below is fair)', () => {
    for (const c of cases)
      expect(renderOutput(c.printed, { format: 'json', operation: c.operation })).toBe(c.stdout);
  });

  for (const format of FORMATS) {
    it(`--output ${format} prints every answer as aws-cli does`, () => {
      const differing = cases.flatMap((c, i) => {
        const stripped = withoutExtensions(c.printed, model.outputs[c.operation]!);
        const kumo = renderOutput(stripped, { format, operation: c.operation, terminalWidth: 80 });
        const reference = aws[format][i] ?? { error: 'no answer from aws-cli' };
        return 'ok' in reference && reference.ok === kumo
          ? []
          : [{ operation: c.operation, kumo, aws: reference }];
      });
      expect(differing).toEqual([]);
    });
  }

  it('compared describe-instances in full, nested structures included', () => {
    const instances = aws.json[cases.findIndex((c) => c.operation === 'DescribeInstances')];
    const text = instances && 'ok' in instances ? instances.ok : '';
    for (const nested of ['"NetworkInterfaces": [', '"Placement": {', '"BlockDeviceMappings": ['])
      expect(text).toContain(nested);
    expect(text.split('\n').length).toBeGreaterThan(200);
  });
});
