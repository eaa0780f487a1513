import { compareCodePoints } from './code-point-order.js';
import { pythonStr } from './python-text.js';

/**
 * aws-cli's `--output text`, ported from awscli/text.py so scripts written against aws keep
 * working: a scalar prints itself; a list of scalars prints tab-separated on one line; an object
 * prints its scalar values (sorted by key) on one line, then its nested values, each nested line
 * prefixed by the upper-cased key that led to it (RESERVATIONS, INSTANCES, STATE, TAGS, ...).
 */

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNested = (v: unknown): boolean => typeof v === 'object' && v !== null;

/** Python's str(), which is what aws-cli prints. */
const scalarText = pythonStr;

class TextWriter {
  out = '';

  item(value: unknown, identifier?: string, scalarKeys?: readonly string[]): void {
    if (isObject(value)) this.dict(value, identifier, scalarKeys);
    else if (Array.isArray(value)) this.list(value, identifier);
    else this.scalar(scalarText(value));
  }

  /** One value on its own line; text that already ends a line (a PEM key) gets no extra one. */
  private scalar(text: string): void {
    this.out += text.endsWith('\n') ? text : `${text}\n`;
  }

  private list(items: readonly unknown[], identifier?: string): void {
    if (items.length === 0) return;
    if (items.some(isObject)) {
      const keys = allScalarKeys(items);
      for (const element of items) this.item(element, identifier, keys);
    } else if (items.some(Array.isArray)) {
      const scalars = items.filter((i) => !isNested(i));
      if (scalars.length > 0) this.scalarList(scalars, identifier);
      for (const nested of items.filter(isNested)) this.item(nested, identifier);
    } else {
      this.scalarList(items, identifier);
    }
  }

  private scalarList(items: readonly unknown[], identifier?: string): void {
    if (identifier !== undefined) {
      for (const i of items) this.out += `${identifier.toUpperCase()}\t${scalarText(i)}\n`;
    } else {
      this.out += `${items.map(scalarText).join('\t')}\n`;
    }
  }

  private dict(value: Obj, identifier?: string, scalarKeys?: readonly string[]): void {
    const scalars: string[] = [];
    const nested: [string, unknown][] = [];
    if (scalarKeys === undefined) {
      for (const key of Object.keys(value).sort(compareCodePoints)) {
        const v = value[key];
        if (isNested(v)) nested.push([key, v]);
        else scalars.push(scalarText(v));
      }
    } else {
      for (const key of scalarKeys) scalars.push(key in value ? scalarText(value[key]) : '');
      const rest = Object.keys(value)
        .filter((k) => !scalarKeys.includes(k))
        .sort(compareCodePoints);
      for (const key of rest) nested.push([key, value[key]]);
    }
    if (scalars.length > 0) {
      if (identifier !== undefined) scalars.unshift(identifier.toUpperCase());
      this.out += `${scalars.join('\t')}\n`;
    }
    for (const [key, v] of nested) this.item(v, key);
  }
}

/** The sorted union of the keys that hold scalars in any of the objects. */
function allScalarKeys(items: readonly unknown[]): string[] {
  const keys = new Set<string>();
  for (const item of items) {
    if (!isObject(item)) continue;
    for (const [k, v] of Object.entries(item)) if (!isNested(v)) keys.add(k);
  }
  return [...keys].sort(compareCodePoints);
}

/** Renders a (PascalCase, queried) response as aws-cli's text output. */
export function formatText(value: unknown): string {
  const w = new TextWriter();
  w.item(value);
  return w.out;
}
