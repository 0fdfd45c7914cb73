// Bytes captured from real clients and servers, kept in the repository (test/fixtures/captures, see its README), so
// every codec and gateway test runs on a plain clone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CAPTURES_DIR = fileURLToPath(new URL('../fixtures/captures/', import.meta.url));

/** One captured file, by its name in test/fixtures/captures. */
export function captured(name: string): Buffer {
  return readFileSync(CAPTURES_DIR + name);
}
