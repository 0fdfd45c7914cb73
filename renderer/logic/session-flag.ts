/**
 * A yes/no choice kept for this run of the app (sessionStorage: it survives a reload of the page, not a restart).
 * Where there is no sessionStorage (tests under Node) or it refuses, the choice lasts as long as the store.
 */
export function readSessionFlag(key: string): boolean | undefined {
  try {
    const value = globalThis.sessionStorage?.getItem(key);
    return value === null || value === undefined ? undefined : value === '1';
  } catch {
    return undefined;
  }
}

export function writeSessionFlag(key: string, value: boolean): void {
  try {
    globalThis.sessionStorage?.setItem(key, value ? '1' : '0');
  } catch {
    // A storage that refuses (quota, privacy mode) only costs remembering the choice across a reload.
  }
}
