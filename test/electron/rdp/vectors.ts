import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Captured bytes from real software live in shared/vectors beside the repository (see its README). */
export const VECTORS_DIR = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));

export function vector(name: string): Buffer {
  return readFileSync(VECTORS_DIR + name);
}

export const vectorsMissing = existsSync(VECTORS_DIR) ? false : `captured vectors not found at ${VECTORS_DIR}`;

/** A small deterministic PRNG so a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}
