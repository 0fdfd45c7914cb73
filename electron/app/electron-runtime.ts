import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Electron executable installed under node_modules/electron, or a sentence saying why there is none. Decided by
 * reading path.txt and checking the file it names: requiring the package instead may start a download.
 */
export function findElectronBinary(root: string): { path: string } | { missing: string } {
  const dir = join(root, 'node_modules', 'electron');
  const pathTxt = join(dir, 'path.txt');
  if (!existsSync(pathTxt)) return { missing: 'no Electron runtime is installed (node_modules/electron/path.txt is missing; its download was skipped)' };
  const rel = readFileSync(pathTxt, 'utf8').trim();
  const path = join(dir, 'dist', rel);
  if (!rel || !existsSync(path)) return { missing: `no Electron runtime is installed (${path} does not exist)` };
  return { path };
}
