import { Command, CommanderError, Option } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { skeletonOf, type CommandInput, type InputMember, type Shape } from './request-shapes.js';
import { sampleResponse } from './sample-response.js';
import { loadTextParameter } from './user-data.js';

/**
 * aws-cli's `--cli-input-json` and `--generate-cli-skeleton`, once for every command that makes
 * an EC2 call:
 *
 * - `--generate-cli-skeleton` (or `input`) prints the request members as JSON placeholders and
 *   calls nothing; `output` checks the command line as a real run would, then prints a sample
 *   response, with --query and --output applied, again without calling kumod;
 * - `--cli-input-json JSON|file://path` supplies members by their EC2 names; an option given on
 *   the command line wins over the same member in the JSON, which wins over option defaults;
 * - either one makes the required options optional, since the JSON may carry them (checked again
 *   once the JSON is merged).
 */

const INPUT_FLAG = '--cli-input-json';
const SKELETON_FLAG = '--generate-cli-skeleton';

/** The code main() reads as "done, exit 0": the skeleton replaced the command's action. */
export const SKELETON_PRINTED = 'kumo.skeletonPrinted';

const inputs = new WeakMap<Command, CommandInput>();
/** Options that were required before argv asked for --cli-input-json or a skeleton. */
const relaxed = new WeakMap<Command, Option[]>();

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** Records that `command` takes `input`'s members; enableCliInput() adds the options. */
export function withCliInput(command: Command, input: CommandInput): Command {
  inputs.set(command, input);
  return command;
}

/**
 * Gives every command registered with withCliInput() the two options (after its own, where
 * aws-cli lists them too) and merges or prints before any action runs.
 */
export function enableCliInput(program: Command, ctx: CliContext): void {
  for (const command of allCommands(program)) {
    if (!inputs.has(command)) continue;
    command
      .option(
        `${INPUT_FLAG} <json>`,
        'request members as JSON (or file://path), EC2 names; command-line options win',
      )
      .addOption(
        new Option(
          `${SKELETON_FLAG} [kind]`,
          'print a request skeleton for --cli-input-json (input, the default) or a sample response (output); calls nothing',
        )
          .choices(['input', 'output'])
          .preset('input'),
      );
  }
  program.hook('preAction', (_program, command) => applyCliInput(command, ctx));
}

/** The members `command` takes from --cli-input-json, if it takes any. */
export function cliInputOf(command: Command): CommandInput | undefined {
  return inputs.get(command);
}

/**
 * Called with the raw arguments before parsing, like aws-cli: a JSON input (or an input
 * skeleton, which needs no members at all) makes every required option optional.
 */
export function relaxRequiredOptions(program: Command, args: readonly string[]): void {
  const at = (flag: string) => args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  const skeleton = at(SKELETON_FLAG);
  const skeletonArg = args[skeleton] ?? '';
  const kind = skeletonArg.includes('=') ? skeletonArg.split('=')[1] : args[skeleton + 1];
  const wantsInputSkeleton = skeleton >= 0 && kind !== 'output';
  if (at(INPUT_FLAG) < 0 && !wantsInputSkeleton) return;
  for (const command of allCommands(program)) {
    const required = command.options.filter((o) => o.mandatory);
    for (const option of required) option.mandatory = false;
    relaxed.set(command, required);
  }
}

/** The preAction step: merge --cli-input-json, then print a skeleton or arm sample responses. */
function applyCliInput(command: Command, ctx: CliContext): void {
  const input = inputs.get(command);
  if (input === undefined) return checkRequired(command);
  const opts = command.opts<{ cliInputJson?: string; generateCliSkeleton?: string }>();
  if (opts.generateCliSkeleton === 'input') {
    ctx.io.stdout(`${JSON.stringify(skeletonOf(input.members), null, 4)}\n`);
    throw new CommanderError(0, SKELETON_PRINTED, '');
  }
  if (opts.cliInputJson !== undefined) mergeInput(command, input, readInput(opts.cliInputJson));
  checkRequired(command);
  if (opts.generateCliSkeleton === 'output') ctx.sampleResponses = sampleResponse;
}

function readInput(arg: string): Record<string, unknown> {
  const text = loadTextParameter(arg, INPUT_FLAG);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `Error parsing parameter '${INPUT_FLAG}': Invalid JSON: ${(e as Error).message}, in: ${text}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`Error parsing parameter '${INPUT_FLAG}': expected a JSON object`);
  return parsed as Record<string, unknown>;
}

function mergeInput(command: Command, input: CommandInput, json: Record<string, unknown>): void {
  const byName = new Map(input.members.map((m) => [m.name, m]));
  for (const [name, value] of Object.entries(json)) {
    const member = byName.get(name);
    if (member === undefined)
      throw new UsageError(
        `Unknown parameter in ${INPUT_FLAG}: "${name}", must be one of: ${[...byName.keys()].join(', ')}`,
      );
    checkType(value, member.shape, name);
    // Given on the command line: that wins, as in aws-cli.
    const source = command.getOptionValueSource(member.option);
    if (source !== undefined && source !== 'default') continue;
    command.setOptionValueWithSource(member.option, optionValue(member, value, json), 'config');
  }
}

function optionValue(member: InputMember, value: unknown, json: Record<string, unknown>): unknown {
  if (member.toOption) return member.toOption(value, json);
  const { shape } = member;
  if (shape.type === 'structure') return JSON.stringify(value);
  if (shape.type === 'list' && shape.member.type === 'structure')
    return (value as unknown[]).map((v) => JSON.stringify(v));
  if (shape.type === 'integer') return String(value);
  return value;
}

const TYPE_NAMES: Readonly<Record<Shape['type'], string>> = {
  string: 'a string',
  integer: 'an integer',
  boolean: 'a boolean',
  blob: 'a string',
  list: 'a list',
  structure: 'an object',
};

/** botocore's parameter validation: each value of the type its shape says. */
function checkType(value: unknown, shape: Shape, path: string): void {
  const fail = () =>
    new UsageError(
      `Invalid type for parameter ${path} in ${INPUT_FLAG}: ${JSON.stringify(value)}, expected ${TYPE_NAMES[shape.type]}`,
    );
  switch (shape.type) {
    case 'string':
    case 'blob':
      if (typeof value !== 'string') throw fail();
      return;
    case 'integer':
      if (!Number.isInteger(value)) throw fail();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw fail();
      return;
    case 'list':
      if (!Array.isArray(value)) throw fail();
      value.forEach((v, i) => checkType(v, shape.member, `${path}[${i}]`));
      return;
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail();
      const names = shape.members.map((m) => m.name);
      for (const [key, v] of Object.entries(value)) {
        const member = shape.members.find((m) => m.name === key);
        if (member === undefined)
          throw new UsageError(
            `Unknown parameter in ${INPUT_FLAG}: "${path}.${key}", must be one of: ${names.join(', ')}`,
          );
        checkType(v, member.shape, `${path}.${key}`);
      }
      return;
    }
  }
}

/** Required options that neither the command line nor the JSON supplied, as commander words it. */
function checkRequired(command: Command): void {
  for (const option of relaxed.get(command) ?? []) {
    if (command.getOptionValue(option.attributeName()) === undefined)
      throw new UsageError(
        `required option '${option.flags}' not specified (on the command line or in ${INPUT_FLAG})`,
      );
  }
}
