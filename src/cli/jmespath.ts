import {
  compile,
  registerFunction,
  TreeInterpreter,
  TYPE_ANY,
  TYPE_ARRAY,
  TYPE_ARRAY_NUMBER,
  TYPE_ARRAY_STRING,
  TYPE_EXPREF,
  type InputSignature,
  type JSONValue,
} from '@jmespath-community/jmespath';
import { compareCodePoints } from './code-point-order.js';
import { pythonCompactJson } from './python-text.js';

/**
 * `--query` evaluates JMESPath the way aws-cli's Python `jmespath` does, so an expression copied
 * from an aws script gives the same answer. The community library parses and evaluates; where it
 * departs from Python, kumo replaces the piece:
 *
 * - max_by/min_by take number or string keys (the library compares against -Infinity, so string
 *   keys such as CreationDate gave null), all of one type, and return the first best element;
 * - sort_by is stable and sort orders numbers numerically (the library sorted them as text);
 * - strings order by code point (max/min used the locale);
 * - `<`, `<=`, `>`, `>=` compare strings too (`[?LaunchTime>='2024-01-01']`), fail on a number
 *   against a string, and give null for anything else;
 * - slices apply to lists only; a string slice is null;
 * - to_string writes Python's compact, ASCII-only JSON; to_number parses as Python does;
 * - legacy literals (`` `Name` `` for `` `"Name"` ``) are accepted, as Python accepts them.
 *
 * Expressions Python rejects may work here (arithmetic, let): the library's extensions are kept.
 */

type Json = JSONValue;
/** The parsed form of an expression (the library does not export the type by name). */
type ExpressionNode = ReturnType<typeof compile>;
type Key = number | string;

/** An evaluation error, worded like Python's so the --query message says which function. */
class JmesTypeError extends Error {}

/** A sort or comparison key: a number or a string, as Python's jmespath allows. */
function asKey(v: Json, fn: string): Key {
  if (typeof v === 'number' || typeof v === 'string') return v;
  throw new JmesTypeError(
    `In function ${fn}(), invalid type for value: ${JSON.stringify(v)}, expected one of: number, string`,
  );
}

/** Python's `a < b` for two keys of the allowed types: a mixed pair is a TypeError there. */
function compareKeys(a: Key, b: Key, fn: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  throw new JmesTypeError(`${fn}(): cannot compare a ${typeof a} with a ${typeof b}`);
}

/** The keys an expression reference gives for each element, checked as Python checks them. */
function keysOf(items: readonly Json[], expref: ExpressionNode, fn: string): Key[] {
  return items.map((item) => asKey(TreeInterpreter.visit(expref, item) as Json, fn));
}

/** max_by/min_by: the first element whose key is the largest (or smallest); null for []. */
function bestBy(direction: 1 | -1, fn: string) {
  return ([items, expref]: [Json[], ExpressionNode]): Json => {
    const keys = keysOf(items, expref, fn);
    let best = 0;
    for (let i = 1; i < items.length; i += 1) {
      if (direction * compareKeys(keys[i] ?? 0, keys[best] ?? 0, fn) > 0) best = i;
    }
    return items.length === 0 ? null : (items[best] ?? null);
  };
}

/** sort_by: stable, every key of the first key's type (number or string). */
function sortBy([items, expref]: [Json[], ExpressionNode]): Json {
  if (items.length === 0) return items;
  const keys = keysOf(items, expref, 'sort_by');
  const wanted = typeof keys[0];
  if (keys.some((k) => typeof k !== wanted))
    throw new JmesTypeError(`In function sort_by(), every key must be a ${wanted}`);
  const order = [...items.keys()].sort((a, b) =>
    compareKeys(keys[a] ?? 0, keys[b] ?? 0, 'sort_by'),
  );
  return order.map((i) => items[i] ?? null);
}

/** sort, max, min over an all-number or all-string list (the signature guarantees which). */
function sortValues([items]: [Key[]]): Json {
  return [...items].sort((a, b) => compareKeys(a, b, 'sort'));
}

function extreme(direction: 1 | -1, fn: string) {
  return ([items]: [Key[]]): Json => {
    let best: Key | null = null;
    for (const v of items) if (best === null || direction * compareKeys(v, best, fn) > 0) best = v;
    return best;
  };
}

const PYTHON_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const PYTHON_FLOAT =
  /^\s*[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*|\d+(?:_\d+)*\.)(?:[eE][+-]?\d+(?:_\d+)*)?\s*$/;
const PYTHON_FLOAT_WORD = /^\s*[+-]?(?:inf|infinity|nan)\s*$/i;

/** Python's to_number: numbers as they are, strings through int() then float(), else null. */
function toNumber([v]: [Json]): Json {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  if (PYTHON_INT.test(v) || PYTHON_FLOAT.test(v)) return Number(v.replace(/_/g, ''));
  if (!PYTHON_FLOAT_WORD.test(v)) return null;
  const word = v.trim().toLowerCase();
  if (word.endsWith('nan')) return NaN;
  return word.startsWith('-') ? -Infinity : Infinity;
}

function toString([v]: [Json]): Json {
  return typeof v === 'string' ? v : pythonCompactJson(v);
}

/** Python's ordering comparison: numbers with numbers, strings with strings, else null. */
function ordering(test: (order: number) => boolean) {
  return ([a, b]: [Json, Json]): Json => {
    const comparable = (v: Json): v is Key => typeof v === 'number' || typeof v === 'string';
    if (!comparable(a) || !comparable(b)) return null;
    return test(compareKeys(a, b, 'comparison'));
  };
}

/**
 * The helpers comparisons and slices are rewritten into, under names the parser can never
 * produce, so no expression can call them directly.
 */
const ORDERINGS: Readonly<Record<string, [name: string, test: (order: number) => boolean]>> = {
  LT: ['<', (o) => o < 0],
  LTE: ['<=', (o) => o <= 0],
  GT: ['>', (o) => o > 0],
  GTE: ['>=', (o) => o >= 0],
};
const IS_LIST = '@is-list';

type Implementation = (args: never) => Json;
const anyValue: InputSignature = { types: [TYPE_ANY] };
const list: InputSignature = { types: [TYPE_ARRAY] };
const expref: InputSignature = { types: [TYPE_EXPREF] };
const sortable: InputSignature = { types: [TYPE_ARRAY_NUMBER, TYPE_ARRAY_STRING] };

const FUNCTIONS: readonly [string, Implementation, InputSignature[]][] = [
  ['max_by', bestBy(1, 'max_by'), [list, expref]],
  ['min_by', bestBy(-1, 'min_by'), [list, expref]],
  ['sort_by', sortBy, [list, expref]],
  ['sort', sortValues, [sortable]],
  ['max', extreme(1, 'max'), [sortable]],
  ['min', extreme(-1, 'min'), [sortable]],
  ['to_number', toNumber, [anyValue]],
  ['to_string', toString, [anyValue]],
  [IS_LIST, ([v]: [Json]) => (Array.isArray(v) ? true : null), [anyValue]],
  ...Object.values(ORDERINGS).map(([name, test]): [string, Implementation, InputSignature[]] => [
    name,
    ordering(test),
    [anyValue, anyValue],
  ]),
];

for (const [name, implementation, signature] of FUNCTIONS)
  registerFunction(name, implementation as (args: unknown[]) => Json, signature, {
    override: true,
  });

const isNode = (v: unknown): v is ExpressionNode =>
  typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';

const CURRENT = { type: 'Current' } as ExpressionNode;

/** The parsed expression with ordering comparisons and slices routed through Python's rules. */
function rewrite(node: ExpressionNode): ExpressionNode {
  // A literal's value is data, even if it looks like a node.
  if (node.type === 'Literal') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node))
    copy[key] = Array.isArray(value)
      ? value.map((v: unknown) => (isNode(v) ? rewrite(v) : v))
      : isNode(value)
        ? rewrite(value)
        : value;
  const rewritten = copy as unknown as ExpressionNode;
  const comparison = rewritten.type === 'Comparator' ? ORDERINGS[rewritten.name] : undefined;
  if (rewritten.type === 'Comparator' && comparison !== undefined)
    return { type: 'Function', name: comparison[0], children: [rewritten.left, rewritten.right] };
  if (rewritten.type === 'Slice')
    return {
      type: 'AndExpression',
      left: { type: 'Function', name: IS_LIST, children: [CURRENT] },
      right: rewritten,
    };
  return rewritten;
}

/** Evaluates `expression` on `data` as aws-cli would; throws on a bad expression. */
export function jmesSearch(data: unknown, expression: string): unknown {
  const ast = rewrite(compile(expression, { enable_legacy_literals: true }));
  return TreeInterpreter.search(ast, data as Json);
}
