import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeRanges,
  displayWidth,
  WIDE_RANGES_ENCODED,
} from '../../../src/cli/east-asian-width.js';
import { referencePython, runReference } from './aws-reference.js';

/** The table that sizes --output table cells, against the Python that runs aws-cli. */
const python = referencePython(['awscli.table']);

/** The same encoding as the source file, to print a replacement when Python's data differs. */
function encode(ranges: readonly (readonly [number, number])[]): string {
  let previousEnd = -1;
  return ranges
    .map(([start, end]) => {
      const token = `${(start - previousEnd - 1).toString(36)}.${(end - start).toString(36)}`;
      previousEnd = end;
      return token;
    })
    .join(',');
}

describe('display width', () => {
  it('counts wide, fullwidth and ambiguous characters as two columns', () => {
    expect(displayWidth('web')).toBe(3);
    expect(displayWidth('データ')).toBe(6);
    // Cyrillic is ambiguous in Unicode, so aws-cli gives it two columns.
    expect(displayWidth('Дм')).toBe(4);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('😀')).toBe(2);
    expect(displayWidth('')).toBe(0);
  });

  it('round-trips its own encoding', () => {
    expect(encode(decodeRanges(WIDE_RANGES_ENCODED))).toBe(WIDE_RANGES_ENCODED);
  });
});

describe.skipIf(python === undefined)('display width against Python', () => {
  let reference: { unicode: string; ranges: [number, number][] };

  beforeAll(() => {
    reference = runReference(python ?? '', 'unicode_widths.py', null);
  });

  it("holds exactly the ranges Python's unicodedata gives", () => {
    const fresh = encode(reference.ranges);
    expect(
      WIDE_RANGES_ENCODED,
      `Python's unicodedata ${reference.unicode} differs; new data for east-asian-width.ts: ${fresh}`,
    ).toBe(fresh);
  });
});
