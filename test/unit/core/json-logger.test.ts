import { describe, expect, it } from 'vitest';
import { jsonLogger, LOG_LIMITS } from '../../../src/daemon/logger.js';

/** kumod's JSON-lines logger (src/daemon/logger.ts): one bounded line per event. */
describe('json logger', () => {
  const lines: string[] = [];
  const log = jsonLogger('debug', (l) => lines.push(l));

  it('writes one JSON object per line with its fields', () => {
    log.info('hello', { instanceId: 'i-1', n: 3 });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      level: 'info',
      msg: 'hello',
      instanceId: 'i-1',
      n: 3,
    });
  });

  it('cuts long strings, long lists and deep objects, so a client cannot flood the log', () => {
    log.warn('bad filter', {
      value: 'x'.repeat(33_000),
      ids: Array.from({ length: 500 }, (_, i) => `i-${i}`),
      deep: { a: { b: { c: { d: { e: 'hidden' } } } } },
    });
    const line = lines.at(-1)!;
    expect(line.length).toBeLessThan(LOG_LIMITS.stringChars + 2000);
    const o = JSON.parse(line);
    expect(o.value).toMatch(/… \(33000 characters\)$/);
    expect(o.ids).toHaveLength(LOG_LIMITS.listItems + 1);
    expect(o.ids.at(-1)).toBe(`… and ${500 - LOG_LIMITS.listItems} more`);
    expect(JSON.stringify(o.deep)).not.toContain('hidden');
  });

  it('logs an Error field as its stack', () => {
    log.error('boom', { error: new Error('disk on fire') });
    expect(JSON.parse(lines.at(-1)!).error).toMatch(/^Error: disk on fire\n/);
  });

  it('honours the level', () => {
    const few: string[] = [];
    jsonLogger('warn', (l) => few.push(l)).info('quiet');
    expect(few).toEqual([]);
  });
});
