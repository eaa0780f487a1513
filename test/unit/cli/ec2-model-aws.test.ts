import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliInputOf } from '../../../src/cli/cli-input.js';
import { CliContext } from '../../../src/cli/context.js';
import { buildProgram } from '../../../src/cli/main.js';
import { OUTPUT_MEMBERS } from '../../../src/cli/output-order.js';
import { PAGINATORS } from '../../../src/cli/paginators.js';
import { botocoreVersion, referencePython, runReference } from './aws-reference.js';
import { expectedMembers } from './model-drift.js';

/**
 * What the CLI takes from botocore's model of EC2, checked against the installed botocore:
 * which commands page and over which key (paginators-1.json), and the order of each response's
 * top-level keys (service-2.json's output shapes).
 */
const python = referencePython(['botocore.session', 'botocore.paginate']);

const io = { stdout: () => undefined, stderr: () => undefined, env: {} };
const program = buildProgram(new CliContext(io, () => ({})), io);

function leaves(command: Command, path: string[] = []): [string, Command][] {
  if (command.commands.length === 0) return [[path.join(' '), command]];
  return command.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

/** Commands that call one EC2 operation botocore models; waiters poll, they do not page. */
const COMMANDS = leaves(program).flatMap(([name, command]) => {
  const operation = cliInputOf(command)?.operation;
  return operation !== undefined && operation !== 'DescribeHost' && !name.startsWith('wait ')
    ? [{ name, command, operation }]
    : [];
});
const OPERATIONS = [...new Set(COMMANDS.map((c) => c.operation))];

describe.skipIf(python === undefined)("the CLI against botocore's EC2 model", () => {
  let paginators: Record<string, Record<string, unknown> | null>;
  let outputs: Record<string, string[] | null>;
  let installedVersion: string;

  beforeAll(() => {
    paginators = runReference<{ paginators: typeof paginators }>(
      python ?? '',
      'botocore_paging.py',
      { operations: OPERATIONS, tokens: [], resume: [] },
    ).paginators;
    outputs = runReference(python ?? '', 'botocore_output_members.py', {
      operations: OPERATIONS,
    });
    installedVersion = botocoreVersion(python ?? '');
  });

  for (const { name, command, operation } of COMMANDS) {
    it(`${name} pages exactly when botocore paginates ${operation}, over its result key`, () => {
      const pages = command.options.some((o) => o.long === '--max-items');
      const entry = paginators[operation] ?? null;
      expect(pages).toBe(entry !== null);
      if (entry === null) return;
      // kumo's paginator sends NextToken and MaxResults and reads NextToken back.
      expect(entry).toEqual({
        input_token: 'NextToken',
        output_token: 'NextToken',
        limit_key: 'MaxResults',
        result_key: (PAGINATORS as Record<string, { resultKey: string }>)[operation]?.resultKey,
      });
    });
  }

  for (const operation of OPERATIONS) {
    it(`prints ${operation}'s top-level keys in the model's order`, () => {
      expect(OUTPUT_MEMBERS[operation] ?? null).toEqual(
        expectedMembers(operation, outputs[operation] ?? null, installedVersion),
      );
    });
  }

  it('lists no paginator or output order for an operation no command calls', () => {
    expect(Object.keys(PAGINATORS).filter((o) => !OPERATIONS.includes(o))).toEqual([]);
    expect(Object.keys(OUTPUT_MEMBERS).filter((o) => !OPERATIONS.includes(o))).toEqual([]);
  });
});
