/** Order statistics of a sample (nearest rank); NaN for an empty one. */
export interface Stats {
  readonly min: number;
  readonly median: number;
  readonly p99: number;
  readonly max: number;
}

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  return {
    min: s[0] ?? NaN,
    median: s[Math.floor(s.length / 2)] ?? NaN,
    p99: rank(0.99),
    max: s.at(-1) ?? NaN,
  };
}
