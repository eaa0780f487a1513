/**
 * EC2 filter wildcards without backtracking. `*` is any run of characters, `?` any one character,
 * and a backslash makes the next `*`, `?` or `\` literal (as EC2 documents). The old matcher built
 * a `.*` regular expression, which backtracks: `'*' * 28 + 'X'` took 7 s and blocked the daemon.
 *
 * Here the pattern is split at its stars into segments. The first segment must match at the
 * start, the last at the end, and each middle segment is placed at its leftmost match after the
 * previous one. Leftmost placement is never wrong for globs (a later placement only leaves less
 * room for what follows), so nothing is ever retried: the work is at most
 * len(pattern) x len(value) character comparisons, whatever the input.
 */

/** One pattern position: a literal character (code point) or `?`. */
type Atom = string | typeof ANY_ONE;
const ANY_ONE = Symbol('?');

export interface WildcardPattern {
  /** The pattern between its stars; a pattern without stars is one segment. */
  readonly segments: readonly (readonly Atom[])[];
  /** True when the pattern has at least one unescaped `*`. */
  readonly hasStar: boolean;
}

export function parseWildcard(pattern: string): WildcardPattern {
  const segments: Atom[][] = [[]];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const current = segments[segments.length - 1] as Atom[];
    const next = chars[i + 1];
    if (c === '\\' && (next === '*' || next === '?' || next === '\\')) {
      current.push(next);
      i++;
    } else if (c === '*') {
      segments.push([]);
    } else {
      current.push(c === '?' ? ANY_ONE : c);
    }
  }
  return { segments, hasStar: segments.length > 1 };
}

/** Counts character comparisons, so tests can prove the bound instead of timing it. */
export interface StepCounter {
  steps: number;
}

function matchesAt(
  seg: readonly Atom[],
  value: readonly string[],
  at: number,
  counter: StepCounter,
): boolean {
  for (let k = 0; k < seg.length; k++) {
    counter.steps++;
    const a = seg[k];
    if (a !== ANY_ONE && a !== value[at + k]) return false;
  }
  return true;
}

/** Whether `value` matches `pattern`; `counter` (optional) adds up the comparisons made. */
export function matchWildcard(
  pattern: WildcardPattern,
  value: string,
  counter: StepCounter = { steps: 0 },
): boolean {
  const v = Array.from(value);
  const segs = pattern.segments;
  const first = segs[0] as readonly Atom[];
  if (!pattern.hasStar) return v.length === first.length && matchesAt(first, v, 0, counter);
  const last = segs[segs.length - 1] as readonly Atom[];
  // The fixed ends must fit without overlapping.
  if (first.length + last.length > v.length) return false;
  if (!matchesAt(first, v, 0, counter)) return false;
  const end = v.length - last.length;
  if (!matchesAt(last, v, end, counter)) return false;
  let pos = first.length;
  for (let s = 1; s < segs.length - 1; s++) {
    const seg = segs[s] as readonly Atom[];
    let found = -1;
    for (let at = pos; at + seg.length <= end; at++) {
      if (matchesAt(seg, v, at, counter)) {
        found = at;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + seg.length;
  }
  return true;
}

/** A compiled matcher for one filter value. */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  const parsed = parseWildcard(pattern);
  return (value) => matchWildcard(parsed, value);
}
