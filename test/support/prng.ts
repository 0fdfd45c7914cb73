/**
 * A small deterministic pseudo-random generator (xorshift32) for fuzz and property tests: a failing case replays from
 * its seed. Returns numbers in [0, 1).
 */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1; // xorshift never leaves 0
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}
