import { describe, expect, it } from 'vitest';
import {
  matchWildcard,
  parseWildcard,
  wildcardMatcher,
  type StepCounter,
} from '../../../src/core/filters-wildcard.js';

const match = (pattern: string, value: string) => wildcardMatcher(pattern)(value);

describe('wildcard matching', () => {
  it.each([
    ['web-*', 'web-1', true],
    ['web-*', 'web-', true],
    ['web-*', 'db-1', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a.c', 'abc', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['**', 'anything', true],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b*', 'xxbxxaxx', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*ab*ab', 'abab', true],
    ['*ab*ab', 'ababx', false],
    ['?*?', 'ab', true],
    ['?*?', 'a', false],
    // EC2: a backslash makes *, ? and \ literal.
    ['\\*amazon\\?\\\\', '*amazon?\\', true],
    ['\\*', 'x', false],
    ['a\\b', 'a\\b', true],
    // ? is one character, not one UTF-16 unit.
    ['?', '😀', true],
    ['x?y', 'x😀y', true],
    // Not a regular expression: no character has a special meaning but * ? and \.
    ['[ab]+', '[ab]+', true],
    ['^$.|()', '^$.|()', true],
  ])('%j matches %j: %s', (pattern, value, expected) => {
    expect(match(pattern, value)).toBe(expected);
  });

  it('agrees with a reference matcher on every short pattern and value', () => {
    // Exhaustive over a small alphabet: the leftmost placement of segments must never miss.
    const ref = (p: string, v: string): boolean => {
      if (p === '') return v === '';
      if (p[0] === '*') return ref(p.slice(1), v) || (v !== '' && ref(p, v.slice(1)));
      return v !== '' && (p[0] === '?' || p[0] === v[0]) && ref(p.slice(1), v.slice(1));
    };
    const words = (alphabet: string, max: number): string[] => {
      const out = [''];
      for (let n = 1; n <= max; n++)
        for (const w of out.filter((x) => x.length === n - 1))
          for (const c of alphabet) out.push(w + c);
      return out;
    };
    const values = words('ab', 5);
    for (const p of words('ab*?', 4)) {
      const m = wildcardMatcher(p);
      for (const v of values) expect(m(v), `${p} ~ ${v}`).toBe(ref(p, v));
    }
  });

  it('does work bounded by len(pattern) x len(value), even for the inputs that froze kumod', () => {
    // The fuzzer's case: 28 stars and an X against a long name took 7 s with the regex matcher
    // (exponential backtracking); it must take at most |p|*|v| comparisons here.
    const cases: [string, string, boolean][] = [
      ['*'.repeat(28) + 'X', 'a'.repeat(200), false],
      ['*a'.repeat(500) + 'X', 'a'.repeat(1024), false],
      ['*' + 'a?'.repeat(300) + '*b', 'a'.repeat(1000), false],
      ['*' + 'a?'.repeat(300) + '*a', 'a'.repeat(1000), true],
      ['*'.repeat(1024), 'x'.repeat(1024), true],
    ];
    for (const [pattern, value, expected] of cases) {
      const counter: StepCounter = { steps: 0 };
      expect(matchWildcard(parseWildcard(pattern), value, counter)).toBe(expected);
      expect(counter.steps).toBeLessThanOrEqual((pattern.length + 1) * (value.length + 1));
    }
  });
});
