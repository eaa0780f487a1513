import { describe, expect, it } from 'vitest';
import { listed, malformedId, quoted } from '../../../src/core/errors.js';
import { assertId } from '../../../src/core/ids.js';

describe('messages quote client input without echoing it whole', () => {
  it('quotes short values as they are', () => {
    expect(quoted('t3.micro')).toBe("'t3.micro'");
    expect(quoted('')).toBe("''");
  });

  it('cuts long values and says how long they were', () => {
    expect(quoted('t'.repeat(9000))).toBe(`'${'t'.repeat(64)}…' (9000 characters)`);
    expect(quoted('abcdef', 3)).toBe("'abc…' (6 characters)");
  });

  it('counts characters, not UTF-16 units, and never splits one', () => {
    expect(quoted('😀'.repeat(70))).toBe(`'${'😀'.repeat(64)}…' (70 characters)`);
  });

  it('escapes control characters so a message stays on one line', () => {
    expect(quoted('a\nb\x00')).toBe("'a\\x0ab\\x00'");
  });

  it('lists the first three items and counts the rest, as EC2 does', () => {
    expect(listed(['i-1'])).toBe('i-1');
    expect(listed(['i-1', 'i-2', 'i-3'])).toBe('i-1, i-2, i-3');
    const ids = Array.from({ length: 390 }, (_, n) => `i-${n + 1}`);
    expect(listed(ids)).toBe('i-1, i-2, i-3 and 387 more');
    expect(listed(['x'.repeat(100), 'y'])).toBe(`${'x'.repeat(64)}… (100 characters), y`);
  });

  it('keeps malformed-id messages short whatever the id', () => {
    expect(malformedId('InvalidInstanceID.Malformed', 'i-1', 'i-…').message).toBe(
      "Invalid id: 'i-1' (expected i-…)",
    );
    expect(() => assertId('i', 'i'.repeat(100_000), 'InvalidInstanceID.Malformed')).toThrow(
      /^Invalid id: 'i{64}…' \(100000 characters\) \(expected i- followed by 17 hex digits\)$/,
    );
  });
});
