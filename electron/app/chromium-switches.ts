/**
 * Chromium switches the app's window runs with. Electron's main process applies them before the app is ready; the
 * end-to-end tests and the benchmarks launch Debian's Chromium with the same ones, so they measure the app as its
 * users run it.
 *
 * DeferRendererTasksAfterInput: after a key or a click, Chromium holds back the page's "deferrable" tasks (messages
 * from workers among them) until it has painted the next frame, so that the page answers input sooner. For a remote
 * console that is backwards: the answer to a key is the desktop's echo, which arrives from the RDP worker as such a
 * message, some 8 ms after the key. Held until after the next frame, it was painted a frame later than it could be
 * (measured: the echo's regions waited for the next frame to pass, then for another to be shown).
 */
export const CHROMIUM_SWITCHES: Readonly<Record<string, string>> = {
  'disable-features': 'DeferRendererTasksAfterInput',
};

/**
 * The switches as command-line arguments, for launching a Chromium (tests, benchmarks). Chromium honours only the last
 * `--disable-features` it is given, so a launcher that disables features of its own passes them here to be merged.
 */
export function chromiumSwitchArgs(alsoDisable: readonly string[] = []): string[] {
  return Object.entries(CHROMIUM_SWITCHES).map(([name, value]) =>
    name === 'disable-features' && alsoDisable.length ? `--${name}=${[value, ...alsoDisable].join(',')}` : `--${name}=${value}`,
  );
}
