import { displayWidth } from './east-asian-width.js';

/**
 * The drawing half of `--output table`, laid out exactly as aws-cli's table.py lays it out, so
 * the bytes match aws' (see table-format.ts for which sections a response becomes):
 *
 * - one dashed line as wide as the widest section opens the output;
 * - each section is a centred title, optional column headers and rows, between `+---+` lines;
 * - a nested section is drawn inside one `|` per level on each side, so its frame is narrower;
 * - every section is stretched to the same total width, its columns scaled in proportion;
 * - if the widest section is wider than the terminal, every one-row section is turned into
 *   key/value rows (one header per row) and the widths are worked out again.
 */

/** Cell padding: two spaces on each side of the widest value in a column. */
const CELL_PADDING = 4;
/** The `|` on each side of a section. */
const BORDER = 2;

/** One titled block of the table. */
export class TableSection {
  headers: string[] = [];
  rows: string[][] = [];
  /** Widest cell (header included) per column, in display columns. */
  private widths: number[] = [];
  /** Set by the first header or row; every later row must have as many cells. */
  private columnCount: number | undefined;

  constructor(
    /** null only for the untitled sections a list of lists makes (aws measures those as 'None'). */
    readonly title: string | null,
    readonly indent: number,
  ) {}

  setHeaders(headers: readonly string[]): void {
    this.grow(headers);
    this.columnCount ??= headers.length;
    this.headers = [...headers];
  }

  addRow(cells: readonly string[]): void {
    this.columnCount ??= cells.length;
    if (cells.length !== this.columnCount)
      throw new TableShapeError(
        `a row of ${cells.length} cells in a table of ${this.columnCount} columns`,
      );
    this.rows.push([...cells]);
    this.grow(cells);
  }

  private grow(cells: readonly string[]): void {
    if (this.widths.length === 0) {
      this.widths = cells.map(displayWidth);
      return;
    }
    // Only headers can get here wider than the rows before them (a list of lists mixing values
    // and objects); aws fails on that too.
    if (cells.length > this.widths.length)
      throw new TableShapeError(
        `${cells.length} column headers in a table of ${this.widths.length} columns`,
      );
    cells.forEach((cell, i) => {
      this.widths[i] = Math.max(displayWidth(cell), this.widths[i] ?? 0);
    });
  }

  /** The width this section needs, frame and indentation included. */
  neededWidth(): number {
    const outer = 2 * this.indent;
    const columns = this.widths.reduce((sum, w) => sum + w + CELL_PADDING, 0);
    const titleWidth = displayWidth(this.title ?? 'None');
    return Math.max(titleWidth + BORDER + outer, columns + BORDER + outer);
  }

  /** Column widths stretched or shrunk to add up to `total` exactly. */
  columnWidths(total: number): number[] {
    const natural = this.widths.map((w) => w + CELL_PADDING);
    if (natural.length === 0) return [];
    const scale = total / natural.reduce((a, b) => a + b, 0);
    const scaled = natural.map((w) => roundHalfEven(scale * w));
    let excess = scaled.reduce((a, b) => a + b, 0) - total;
    // Rounding leaves the sum a few columns off: take them from the left, give them from the right.
    while (excess !== 0) {
      const order = [...scaled.keys()];
      if (excess < 0) order.reverse();
      for (const i of order) {
        scaled[i] = (scaled[i] ?? 0) + (excess > 0 ? -1 : 1);
        excess += excess > 0 ? -1 : 1;
        if (excess === 0) break;
      }
    }
    return scaled;
  }

  /** The same section with its only row turned into one (header, value) row per column. */
  asKeyValueRows(): TableSection {
    const turned = new TableSection(this.title, this.indent);
    const [row = []] = this.rows;
    this.headers.forEach((header, i) => turned.addRow([header, row[i] ?? '']));
    return turned;
  }
}

/** A response that aws' table writer cannot lay out either (it fails on the same input). */
export class TableShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableShapeError';
  }
}

/** Python's round() on a float: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

const spaces = (n: number): string => ' '.repeat(Math.max(0, n));
const dashes = (n: number): string => '-'.repeat(Math.max(0, n));

/** `text` centred in `width` columns between two edges (a negative offset shifts the right one). */
function centred(text: string, width: number, left: string, right: string): string {
  const textWidth = displayWidth(text);
  const before = Math.floor(width / 2) - Math.floor(textWidth / 2) - 1;
  const used = left.length + before + textWidth;
  return `${left}${spaces(before)}${text}${spaces(width - right.length - used)}${right}`;
}

/** `text` two columns in from the left edge, or flush against it if it would not fit. */
function leftAligned(text: string, width: number, left: string, right: string): string {
  const textWidth = displayWidth(text);
  const padding = width - (textWidth + 2 + left.length + right.length) >= 0 ? 2 : 0;
  const used = left.length + padding + textWidth;
  return `${left}${spaces(padding)}${text}${spaces(width - used - right.length)}${right}`;
}

/** `+-----+------+`: the first cell has both corners, the others only their right one. */
function ruleLine(widths: readonly number[]): string {
  return widths.map((w, i) => (i === 0 ? `+${dashes(w - 2)}+` : `${dashes(w - 1)}+`)).join('');
}

function cellsLine(
  cells: readonly string[],
  widths: readonly number[],
  draw: typeof centred,
): string {
  return widths.map((w, i) => draw(cells[i] ?? '', w, i === 0 ? '|' : '', '|')).join('');
}

function sectionLines(section: TableSection, totalWidth: number): string[] {
  const width = totalWidth - 2 * section.indent;
  const lines: string[] = [];
  if (section.title) {
    lines.push(centred(section.title, width, '|', '|'));
    if (section.headers.length === 0 && section.rows.length === 0)
      lines.push(`+${dashes(width - 2)}+`);
  }
  const widths = section.columnWidths(width);
  if (section.headers.length > 0) {
    lines.push(ruleLine(widths), cellsLine(section.headers, widths, centred));
  }
  if (section.rows.length > 0 && widths.length > 0) {
    lines.push(ruleLine(widths));
    for (const row of section.rows) lines.push(cellsLine(row, widths, leftAligned));
    lines.push(ruleLine(widths));
  }
  const bar = '|'.repeat(section.indent);
  return lines.map((line) => `${bar}${line}${bar}`);
}

const widest = (sections: readonly TableSection[]): number =>
  Math.max(...sections.map((s) => s.neededWidth()));

/** Draws the sections as aws-cli does for a terminal `terminalWidth` columns wide. */
export function renderSections(sections: TableSection[], terminalWidth: number): string {
  if (sections.length === 0) return '';
  let total = widest(sections);
  if (total > terminalWidth) {
    sections = sections.map((s) =>
      s.rows.length === 1 && s.headers.length > 0 ? s.asKeyValueRows() : s,
    );
    total = widest(sections);
  }
  const lines = [dashes(total), ...sections.flatMap((s) => sectionLines(s, total))];
  return `${lines.join('\n')}\n`;
}
