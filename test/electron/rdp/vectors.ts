import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
export { prng } from '../../support/prng.ts';

/** Captured bytes from real software live in shared/vectors beside the repository (see its README). */
export const VECTORS_DIR = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));

export function vector(name: string): Buffer {
  return readFileSync(VECTORS_DIR + name);
}

export const vectorsMissing = existsSync(VECTORS_DIR) ? false : `captured vectors not found at ${VECTORS_DIR}`;

