import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliInputOf } from '../../../src/cli/cli-input.js';
import { CliContext } from '../../../src/cli/context.js';
import { buildProgram } from '../../../src/cli/main.js';
import { skeletonOf } from '../../../src/cli/request-shapes.js';
import { referencePython, runReference } from './aws-reference.js';

/**
 * Every command's --generate-cli-skeleton against botocore's own skeleton for its EC2 operation:
 * the same member names, nesting, types and order, limited to the members kumo supports.
 */
const python = referencePython(['botocore.session', 'botocore.utils']);

const io = { stdout: () => undefined, stderr: () => undefined, env: {} };
const program = buildProgram(new CliContext(io, () => ({})), io);

function leaves(command: Command, path: string[] = []): [string, Command][] {
  if (command.commands.length === 0) return [[path.join(' '), command]];
  return command.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

/** Commands that call an EC2 operation botocore models (kumo's own DescribeHost is not one). */
const COMMANDS = leaves(program).flatMap(([name, command]) => {
  const input = cliInputOf(command);
  return input && input.operation !== 'DescribeHost' ? [{ name, input }] : [];
});

type Enum = { enum: string[] };
const isEnum = (v: unknown): v is Enum =>
  typeof v === 'object' && v !== null && Array.isArray((v as Partial<Enum>).enum);

/**
 * botocore's skeleton cut down to the keys kumo's has, in botocore's order; an enum becomes
 * kumo's value when that is one of its members. Equal to kumo's skeleton exactly when kumo's
 * names, order and types are botocore's.
 */
function prune(reference: unknown, mine: unknown): unknown {
  if (isEnum(reference))
    return typeof mine === 'string' && reference.enum.includes(mine) ? mine : reference;
  if (Array.isArray(reference) && Array.isArray(mine))
    return reference.map((r, i) => prune(r, mine[i]));
  if (
    typeof reference === 'object' &&
    reference !== null &&
    typeof mine === 'object' &&
    mine !== null
  )
    return Object.fromEntries(
      Object.entries(reference)
        .filter(([k]) => k in mine)
        .map(([k, v]) => [k, prune(v, (mine as Record<string, unknown>)[k])]),
    );
  return reference;
}

describe('cli input members', () => {
  it('are declared for every command that calls kumod, except ssh', () => {
    const without = leaves(program)
      .filter(([, c]) => cliInputOf(c) === undefined)
      .map(([n]) => n);
    expect(without).toEqual(['ssh']);
  });

  it('bind to options the command has', () => {
    for (const [name, command] of leaves(program)) {
      const options = command.options.map((o) => o.attributeName());
      for (const member of cliInputOf(command)?.members ?? [])
        expect(options, `${name}: ${member.name}`).toContain(member.option);
    }
  });
});

describe.skipIf(python === undefined)('--generate-cli-skeleton against botocore', () => {
  let botocore: Record<string, unknown>;

  beforeAll(() => {
    botocore = runReference(python ?? '', 'botocore_model.py', {
      operations: [...new Set(COMMANDS.map((c) => c.input.operation))],
    });
  });

  for (const { name, input } of COMMANDS) {
    it(`${name} prints ${input.operation}'s members, named, typed and ordered as botocore's`, () => {
      const mine = skeletonOf(input.members);
      expect(Object.keys(mine).length).toBeGreaterThan(0);
      // Stringified, so the order of keys counts too.
      expect(JSON.stringify(prune(botocore[input.operation], mine), null, 2)).toBe(
        JSON.stringify(mine, null, 2),
      );
    });
  }
});
