import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_DIR_NAME = 'Nova Console Viewer';

/**
 * The folder for settings, pinned certificates and remembered credentials. `NOVA_CONSOLE_DATA_DIR` wins (tests,
 * portable installs, browser mode on a shared machine); else Electron's userData, passed in by main.ts; else the
 * same place Electron would pick, so browser mode and the desktop app share one folder.
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, electronUserData?: string): string {
  const dir = env.NOVA_CONSOLE_DATA_DIR || electronUserData || defaultDataDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  switch (process.platform) {
    case 'win32':
      return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), APP_DIR_NAME);
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', APP_DIR_NAME);
    default:
      return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_DIR_NAME);
  }
}
