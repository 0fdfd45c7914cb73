import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The files the app keeps in its data folder (settings, remembered credentials, pinned certificates) are read and
 * written here only, with one policy for each case:
 * - absent: the caller's defaults (first run);
 * - damaged (not JSON, or not what `accept` takes): the file is moved aside to `<file>.damaged-<time>` so the
 *   administrator keeps it, the log says so once, and the defaults are used; the next save writes a fresh file;
 * - written: through a temporary file and a rename, so a crash never leaves half a file, readable by the user only.
 */
export interface ReadOptions<T> {
  /** The parsed value in the shape the caller keeps, or undefined when the file is not one it understands. */
  accept?: (parsed: unknown) => T | undefined;
  log?: (line: string) => void;
}

export function readJsonFile<T>(path: string, fallback: T, opts: ReadOptions<T> = {}): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return setAside(path, 'not valid JSON', fallback, opts.log);
  }
  if (!opts.accept) return parsed as T;
  const accepted = opts.accept(parsed);
  return accepted === undefined ? setAside(path, 'not in a format this version reads', fallback, opts.log) : accepted;
}

function setAside<T>(path: string, why: string, fallback: T, log?: (line: string) => void): T {
  const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
    log?.(`${path} is ${why}; it was moved to ${aside} and defaults are used`);
  } catch (err) {
    log?.(`${path} is ${why} and could not be moved aside (${(err as Error).message}); defaults are used`);
  }
  return fallback;
}

export function writeJsonFile(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
