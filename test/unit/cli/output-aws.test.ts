import { beforeAll, describe, expect, it } from 'vitest';
import { renderOutput, type OutputFormat } from '../../../src/cli/output.js';
import { referencePython, runReference } from './aws-reference.js';
import {
  DESCRIBE_HOST,
  DESCRIBE_INSTANCES,
  DESCRIBE_KEY_PAIRS,
  NO_KEY_PAIRS,
  RUN_INSTANCES,
  START_INSTANCES,
} from './aws-responses.js';

/**
 * `--output table` and `--output text` byte for byte against aws-cli's own formatters
 * (awscli/formatter.py, table.py, text.py), fed the same response, query and terminal width.
 */
const python = referencePython(['awscli.formatter', 'awscli.table', 'jmespath']);

interface Case {
  readonly name: string;
  readonly operation: string;
  readonly response: unknown;
  readonly query?: string;
  readonly width?: number;
}

const INSTANCES = { operation: 'DescribeInstances', response: DESCRIBE_INSTANCES };

const CASES: readonly Case[] = [
  { name: 'describe-instances, two instances with tags and nested state', ...INSTANCES },
  { name: 'describe-instances on a wide terminal', ...INSTANCES, width: 250 },
  { name: 'describe-instances on a narrow terminal', ...INSTANCES, width: 40 },
  { name: 'run-instances', operation: 'RunInstances', response: RUN_INSTANCES },
  { name: 'describe-key-pairs', operation: 'DescribeKeyPairs', response: DESCRIBE_KEY_PAIRS },
  { name: 'an empty list', operation: 'DescribeKeyPairs', response: NO_KEY_PAIRS },
  { name: 'start-instances', operation: 'StartInstances', response: START_INSTANCES },
  {
    name: 'a flat object wider than the terminal',
    operation: 'DescribeHost',
    response: DESCRIBE_HOST,
  },
  {
    // Columns 5 and 7 wide stretched to 18 are 7.5 and 10.5: Python rounds both to even.
    name: 'column widths rounded half to even',
    operation: 'SixteenCharsLong',
    response: { a: 'x', bcd: 'xyz' },
  },
  {
    name: 'a query giving a list of lists',
    ...INSTANCES,
    query: 'Reservations[].Instances[].[InstanceId, State.Name, PublicIpAddress]',
  },
  {
    name: 'a query giving objects with nulls',
    ...INSTANCES,
    query:
      'Reservations[].Instances[].{Id: InstanceId, Ip: PublicIpAddress, Name: Tags[?Key==`Name`] | [0].Value}',
  },
  { name: 'a query giving scalars', ...INSTANCES, query: 'Reservations[].Instances[].InstanceId' },
  { name: 'a query giving one string', ...INSTANCES, query: 'Reservations[0].ReservationId' },
  { name: 'a query giving a number', ...INSTANCES, query: 'length(Reservations[].Instances[])' },
  {
    name: 'a query giving false',
    ...INSTANCES,
    query: 'Reservations[0].Instances[0].AmiLaunchIndex == `1`',
  },
  { name: 'a query giving nothing', ...INSTANCES, query: 'Reservations[].Nope' },
  { name: 'a query giving null', ...INSTANCES, query: 'Nope' },
  { name: 'a query giving one object', ...INSTANCES, query: 'Reservations[0].Instances[1].State' },
  { name: 'a query giving tags', ...INSTANCES, query: 'Reservations[].Instances[].Tags[]' },
  {
    name: 'a query mixing values and lists (aws fails too)',
    ...INSTANCES,
    query: 'Reservations[].Instances[].[InstanceId, Tags]',
  },
  {
    name: 'a query mixing scalars and lists of scalars',
    ...INSTANCES,
    query: '[Reservations[0].ReservationId, Reservations[].Instances[].InstanceId]',
  },
];

type Outcome = { ok: string } | { error: string };

function kumo(format: OutputFormat, c: Case): Outcome {
  try {
    const options = {
      format,
      operation: c.operation,
      query: c.query,
      terminalWidth: c.width ?? 80,
    };
    return { ok: renderOutput(c.response, options) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Both printed the same, or both refused: the messages are each tool's own. */
const sameOutcome = (a: Outcome, b: Outcome) =>
  'error' in a && 'error' in b ? { error: true } : a;

describe.skipIf(python === undefined)('output formats against aws-cli', () => {
  let aws: Record<'table' | 'text', Outcome[]>;

  beforeAll(() => {
    const run = (format: 'table' | 'text') =>
      runReference<Outcome[]>(
        python ?? '',
        'aws_output.py',
        CASES.map((c) => ({ format, width: 80, ...c })),
      );
    aws = { table: run('table'), text: run('text') };
  });

  for (const format of ['table', 'text'] as const) {
    describe(`--output ${format}`, () => {
      CASES.forEach((c, i) => {
        it(c.name, () => {
          const reference = aws[format][i] ?? { error: 'no answer from aws-cli' };
          expect(sameOutcome(kumo(format, c), reference)).toEqual(
            sameOutcome(reference, kumo(format, c)),
          );
        });
      });
    });
  }

  it('compares real tables: nested sections, fitted to the terminal', () => {
    // Guards the comparison itself (two empty outputs would be equal too).
    const table = aws.table[0];
    const lines = table && 'ok' in table ? table.ok.trimEnd().split('\n') : [];
    expect(lines.length).toBeGreaterThan(50);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(lines.filter((l) => l.startsWith('||||')).length).toBeGreaterThan(10);
  });
});
