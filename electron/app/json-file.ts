import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Reads a JSON file the app wrote; a missing file gives `fallback`, a damaged one too (and says so once). */
export function readJsonFile<T>(path: string, fallback: T, onDamaged?: (message: string) => void): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    onDamaged?.(`${path} is not valid JSON; starting from defaults (the damaged file is kept until the next save)`);
    return fallback;
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file; private to the user. */
export function writeJsonFile(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
