import type { Command } from 'commander';
import type { UnaryMethod } from './client.js';
import { withCliInput } from './cli-input.js';
import type { CliContext } from './context.js';
import { DRY_RUN, isDryRun, withDryRun } from './dry-run.js';
import { callPaged } from './paged-call.js';
import { PAGINATORS } from './paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from './paging-options.js';
import {
  BOOLEAN,
  enumOf,
  FILTERS,
  STRING,
  STRING_LIST,
  tagSpecifications,
  TAGS,
  type InputMember,
} from './request-shapes.js';
import { parseFilters, parseTags, parseTagSpecifications } from './structured-params.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- generated clients' overloads
type Method = UnaryMethod<any, unknown>;

/** One request member: its aws-cli flag, its EC2 name and how its value is read. */
interface Param {
  /** EC2's member name (AllocationId); the flag is its kebab-case (--allocation-id). */
  readonly name: string;
  readonly kind: 'string' | 'list' | 'boolean' | 'filters' | 'tags' | 'tagList';
  /** A string of an EC2 enum: one of its values, for skeletons. */
  readonly enumExample?: string;
  readonly required?: boolean;
  /** For tags: the TagSpecifications resource type. */
  readonly resourceType?: string;
  readonly help: string;
}

/**
 * Commands whose flags map one to one onto a kumod request (no client-side shaping): the spec
 * names the EC2 members, and the flags, --cli-input-json members, --dry-run and paging follow.
 */

/** A command that maps its flags one to one onto a kumod request. */
interface Spec {
  readonly command: string;
  readonly operation: string;
  readonly description: string;
  /** In botocore's order of the input members (--cli-input-json skeletons follow it). */
  readonly params: readonly (Param | 'DryRun' | 'NextToken' | 'MaxResults')[];
  /** A paginated describe call: --max-items, --page-size, --starting-token. */
  readonly paged?: keyof typeof PAGINATORS;
  readonly call: (ctx: CliContext) => readonly [Method, { fromPartial(o: never): unknown }];
}

const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const camel = (name: string): string => name[0]?.toLowerCase() + name.slice(1);

function member(p: Param): InputMember {
  const shape =
    p.kind === 'string'
      ? p.enumExample
        ? enumOf(p.enumExample)
        : STRING
      : p.kind === 'list'
        ? STRING_LIST
        : p.kind === 'boolean'
          ? BOOLEAN
          : p.kind === 'filters'
            ? FILTERS
            : p.kind === 'tagList'
              ? TAGS
              : tagSpecifications(p.resourceType ?? '');
  return { name: p.name, shape, option: camel(p.name) };
}

const isParam = (p: Spec['params'][number]): p is Param => typeof p !== 'string';
const hasDryRun = (spec: Spec): boolean => spec.params.includes('DryRun');

function requestOf(spec: Spec, o: Record<string, unknown>): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const p of spec.params.filter(isParam)) {
    const v = o[camel(p.name)];
    const key = camel(p.name);
    if (p.kind === 'string') request[key] = typeof v === 'string' ? v : '';
    else if (p.kind === 'list') request[key] = Array.isArray(v) ? v : [];
    else if (p.kind === 'boolean') request[key] = v === true;
    else if (p.kind === 'filters') request[key] = parseFilters(v as string[] | undefined);
    else if (p.kind === 'tagList') request[key] = parseTags(v as string[] | undefined);
    else request[key] = parseTagSpecifications(v as string[] | undefined);
  }
  if (hasDryRun(spec)) request.dryRun = isDryRun(o);
  return request;
}

function register(program: Command, ctx: CliContext, spec: Spec): void {
  const members = spec.params.map((p) =>
    p === 'DryRun'
      ? DRY_RUN
      : p === 'NextToken'
        ? NEXT_TOKEN
        : p === 'MaxResults'
          ? MAX_RESULTS
          : member(p),
  );
  let command = withCliInput(program.command(spec.command), {
    operation: spec.operation,
    members,
  }).description(spec.description);
  for (const p of spec.params.filter(isParam)) {
    const flag = `--${kebab(p.name)}`;
    const arg = p.kind === 'boolean' ? '' : p.kind === 'string' ? ' <value>' : ' <values...>';
    if (p.required) command.requiredOption(`${flag}${arg}`, p.help);
    else command.option(`${flag}${arg}`, p.help);
    if (p.kind === 'boolean') command.option(`--no-${kebab(p.name)}`, `do not ${p.help}`);
  }
  if (hasDryRun(spec)) command = withDryRun(command);
  if (spec.paged) command = withPagingOptions(command, spec.paged);
  command.action(async (o: Record<string, unknown>, self: Command) => {
    const [method, type] = spec.call(ctx);
    const request = requestOf(spec, o);
    if (spec.paged) {
      const paginator = PAGINATORS[spec.paged];
      await callPaged(ctx, self, paginator, (page) =>
        ctx.call(spec.operation, method, type.fromPartial({ ...request, ...page } as never)),
      );
      return;
    }
    ctx.print(
      spec.operation,
      await ctx.call(spec.operation, method, type.fromPartial(request as never)),
    );
  });
}

const str = (name: string, help: string, required = false): Param => ({
  name,
  kind: 'string',
  help,
  required,
});
const FILTER_PARAM: Param = {
  name: 'Filters',
  kind: 'filters',
  help: 'Name=...,Values=... or JSON',
};
const tagsParam = (resourceType: string): Param => ({
  name: 'TagSpecifications',
  kind: 'tags',
  resourceType,
  help: `ResourceType=${resourceType},Tags=[{Key=k,Value=v}] or JSON`,
});

export {
  register as registerMappedCommand,
  type Spec as MappedCommandSpec,
  str,
  FILTER_PARAM,
  tagsParam,
};
export type { Param as MappedParam };
