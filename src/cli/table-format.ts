import { compareCodePoints } from './code-point-order.js';
import { CliFailure } from './errors.js';
import { pythonStr } from './python-text.js';
import { renderSections, TableSection, TableShapeError } from './table-layout.js';

/**
 * `--output table`, as aws-cli's TableFormatter builds it (awscli/formatter.py), so a table
 * printed by kumo is the one aws prints for the same response:
 *
 * - the first section is titled with the operation (`DescribeInstances`);
 * - an object's scalar values form one row under their sorted keys (a single scalar becomes a
 *   `key | value` row); each nested object or list follows as its own section, titled with its
 *   key and indented one level deeper;
 * - a list of objects is one row per object under the union of their scalar keys; an object
 *   that has nested values repeats the title and headers after its nested sections;
 * - a list of scalars is one row per value, a list of scalar lists one row per list;
 * - an empty response, list, object or string (or 0, false, null) shows nothing at all.
 *
 * table-layout.ts draws the sections.
 */

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): boolean => typeof v !== 'object' || v === null;

/** Python's falsiness, which decides whether aws draws a value at all. */
const isEmpty = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  v === false ||
  v === 0 ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (isObject(v) && Object.keys(v).length === 0);

const sorted = (keys: Iterable<string>): string[] => [...keys].sort(compareCodePoints);

/** An object's keys split into those holding scalars and those holding lists or objects. */
function splitKeys(objects: readonly Obj[]): { scalars: string[]; nested: string[] } {
  const scalars = new Set<string>();
  const nested = new Set<string>();
  for (const o of objects)
    for (const [k, v] of Object.entries(o)) (isScalar(v) ? scalars : nested).add(k);
  return { scalars: sorted(scalars), nested: sorted(nested) };
}

class TableBuilder {
  readonly sections: TableSection[] = [];
  private current: TableSection | undefined;

  private open(title: string | null, indent: number): void {
    this.current = new TableSection(title, indent);
    this.sections.push(this.current);
  }

  private get section(): TableSection {
    if (this.current === undefined) throw new TableShapeError('a value outside any section');
    return this.current;
  }

  /** Adds `value` under `title` (null: into the current section); false if there is nothing. */
  add(title: string | null, value: unknown, indent: number): boolean {
    if (isEmpty(value)) return false;
    if (title !== null) this.open(title, indent);
    if (Array.isArray(value)) {
      if (isObject(value[0])) this.addObjects(value, title, indent);
      else for (const item of value) this.addListItem(item);
    } else if (isObject(value)) {
      this.addObject(value, indent);
    }
    return true;
  }

  private addListItem(item: unknown): void {
    if (isScalar(item)) return this.section.addRow([pythonStr(item)]);
    // aws iterates the item: a list gives its elements, an object its keys (always scalars).
    const elements = Array.isArray(item) ? item : Object.keys(item as Obj);
    if (elements.every(isScalar)) return this.section.addRow(elements.map(pythonStr));
    // aws adds a mixed list to the section at hand, at the top indentation.
    this.add(null, item, 0);
  }

  private addObject(value: Obj, indent: number): void {
    const { scalars, nested } = splitKeys([value]);
    const [only] = scalars;
    if (scalars.length === 1 && only !== undefined) {
      this.section.addRow([only, pythonStr(value[only])]);
    } else if (scalars.length > 0) {
      this.section.setHeaders(scalars);
      this.section.addRow(scalars.map((k) => pythonStr(value[k])));
    }
    for (const key of nested) this.add(key, value[key], indent + 1);
  }

  private addObjects(items: readonly unknown[], title: string | null, indent: number): void {
    const objects = items.filter(isObject);
    if (objects.length !== items.length)
      throw new TableShapeError('a list that mixes objects with other values');
    const { scalars, nested } = splitKeys(objects);
    this.section.setHeaders(scalars);
    objects.forEach((item, i) => {
      if (i > 0 && nested.length > 0) {
        this.open(title, indent);
        this.section.setHeaders(scalars);
      }
      this.section.addRow(scalars.map((k) => (k in item ? pythonStr(item[k]) : '')));
      for (const key of nested) if (key in item) this.add(key, item[key], indent + 1);
    });
  }
}

/** aws-cli's width when standard output is not a terminal. */
export const DEFAULT_TABLE_WIDTH = 80;

/**
 * Renders a (PascalCase, queried) response as aws-cli's table, titled with the operation name,
 * for a terminal `terminalWidth` columns wide; '' when there is nothing to show.
 */
export function formatTable(
  value: unknown,
  operation: string,
  terminalWidth: number = DEFAULT_TABLE_WIDTH,
): string {
  const builder = new TableBuilder();
  try {
    if (!builder.add(operation, value, 0)) return '';
    return renderSections(builder.sections, terminalWidth);
  } catch (e) {
    if (!(e instanceof TableShapeError)) throw e;
    throw new CliFailure(
      `--output table cannot lay out this result (${e.message}), nor can aws-cli; use --output json or text`,
    );
  }
}
