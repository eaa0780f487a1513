import Table from 'cli-table3';

/**
 * `--output table`: a readable view of a (PascalCase, queried) response. A list of objects is one
 * row per object with a column per scalar (nested objects flattened to dotted keys like
 * `State.Name`, tags shown as `Key=Value`); a single object is key/value rows; lists of objects
 * nested inside rows (a reservation's Instances) follow as their own tables.
 */

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): boolean => typeof v !== 'object' || v === null;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

const isTag = (v: unknown): v is Obj =>
  isObject(v) && 'Key' in v && Object.keys(v).every((k) => k === 'Key' || k === 'Value');

interface Flat {
  /** Dotted path -> cell text, in first-seen order. */
  readonly cells: Map<string, string>;
  /** Lists of objects that do not fit in a cell, rendered as tables of their own. */
  readonly nested: [string, unknown[]][];
}

function flatten(value: Obj, prefix = '', flat: Flat = { cells: new Map(), nested: [] }): Flat {
  for (const [key, v] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (isScalar(v)) flat.cells.set(path, cellText(v));
    else if (Array.isArray(v)) {
      if (v.every(isScalar)) flat.cells.set(path, v.map(cellText).join(', '));
      else if (v.every(isTag))
        flat.cells.set(path, v.map((t) => `${cellText(t.Key)}=${cellText(t.Value)}`).join(', '));
      else flat.nested.push([path, v]);
    } else if (isObject(v)) flatten(v, path, flat);
  }
  return flat;
}

function newTable(title: string | undefined, columns: number): Table.Table {
  const table = new Table({ style: { head: [], border: [] } });
  if (title !== undefined)
    table.push([{ content: title, colSpan: Math.max(columns, 1), hAlign: 'center' }]);
  return table;
}

function objectRows(items: readonly Obj[], title: string | undefined): string[] {
  const flats = items.map((i) => flatten(i));
  const columns = [...new Set(flats.flatMap((f) => [...f.cells.keys()]))];
  const out: string[] = [];
  if (columns.length > 0) {
    const table = newTable(title, columns.length);
    table.push(columns);
    for (const f of flats) table.push(columns.map((c) => f.cells.get(c) ?? ''));
    out.push(table.toString());
  }
  for (const f of flats) for (const [path, list] of f.nested) out.push(...sections(list, path));
  return out;
}

function keyValueRows(value: Obj, title: string | undefined): string[] {
  const flat = flatten(value);
  const out: string[] = [];
  if (flat.cells.size > 0) {
    const table = newTable(title, 2);
    for (const [k, v] of flat.cells) table.push([k, v]);
    out.push(table.toString());
  }
  for (const [path, list] of flat.nested) out.push(...sections(list, path));
  return out;
}

function sections(value: unknown, title?: string): string[] {
  if (isScalar(value)) {
    const table = newTable(title, 1);
    table.push([cellText(value)]);
    return [table.toString()];
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return title === undefined ? [] : [newTable(title, 1).toString()];
    if (value.every(isScalar)) {
      const table = newTable(title, 1);
      for (const v of value) table.push([cellText(v)]);
      return [table.toString()];
    }
    if (value.every((v) => Array.isArray(v) && v.every(isScalar))) {
      const rows = value as unknown[][];
      const width = Math.max(...rows.map((r) => r.length));
      const table = newTable(title, width);
      for (const r of rows) table.push(Array.from({ length: width }, (_, i) => cellText(r[i])));
      return [table.toString()];
    }
    if (value.every(isObject)) return objectRows(value, title);
    return value.flatMap((v) => sections(v, title));
  }
  const obj = value as Obj;
  const entries = Object.entries(obj);
  // {"Reservations": [...]}: the list is the content, its key the title.
  if (entries.length === 1 && entries[0] !== undefined && !isScalar(entries[0][1])) {
    const [key, inner] = entries[0];
    return sections(inner, title === undefined ? key : `${title}.${key}`);
  }
  return keyValueRows(obj, title);
}

/** Renders a response as one or more tables, separated by newlines; '' when there is nothing. */
export function formatTable(value: unknown): string {
  const parts = sections(value);
  return parts.length === 0 ? '' : `${parts.join('\n')}\n`;
}
