import { UsageError } from './errors.js';
import { jmesSearch } from './jmespath.js';
import { DEFAULT_TABLE_WIDTH, formatTable } from './table-format.js';
import { formatText } from './text-format.js';

/** The `--output` formats, as in aws-cli. */
export const OUTPUT_FORMATS = ['json', 'table', 'text'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const isOutputFormat = (v: string): v is OutputFormat =>
  (OUTPUT_FORMATS as readonly string[]).includes(v);

/** Applies a `--query` JMESPath expression; a bad expression is a usage error. */
export function applyQuery(value: unknown, query: string | undefined): unknown {
  if (query === undefined) return value;
  try {
    return jmesSearch(value, query);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UsageError(`Bad value for --query ${query}: ${why}`);
  }
}

/** How to print one response. */
export interface RenderOptions {
  readonly format: OutputFormat;
  /** The EC2 operation that answered (`DescribeInstances`): the table's title. */
  readonly operation: string;
  readonly query?: string | undefined;
  /** Columns of the terminal the table must fit (aws-cli: 80 when not a terminal). */
  readonly terminalWidth?: number | undefined;
  /** The text form of an unqueried response, where aws prints something better than the generic
   * one (get-console-output prints the console itself). */
  readonly text?: ((value: unknown) => string) | undefined;
}

/** Renders an already PascalCased response: --query first, then the format. */
export function renderOutput(value: unknown, options: RenderOptions): string {
  if (options.format === 'text' && options.query === undefined && options.text)
    return options.text(value);
  const result = applyQuery(value, options.query);
  switch (options.format) {
    case 'json':
      // aws-cli: 4-space indent, nothing at all for an empty response.
      return isEmptyObject(result) ? '' : `${JSON.stringify(result ?? null, null, 4)}\n`;
    case 'text':
      return formatText(result);
    case 'table':
      return formatTable(result, options.operation, options.terminalWidth ?? DEFAULT_TABLE_WIDTH);
  }
}

const isEmptyObject = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
