// Summary figures the benchmarks print.

export interface Stats {
  min: number;
  median: number;
  max: number;
}

/** Min, median (the mean of the middle two for an even count) and max of a non-empty list. */
export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { min: s[0], median: mid, max: s[s.length - 1] };
}
