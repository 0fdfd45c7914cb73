/** How often a visible console log is fetched again. */
export const LOG_POLL_MS = 4_000;

/**
 * Whether a scrolled box shows its end (give or take a line): a log that is there keeps following new lines; one
 * the user scrolled up from stays where it is.
 */
export function isAtBottom(box: { scrollTop: number; clientHeight: number; scrollHeight: number }, slack = 24): boolean {
  return box.scrollHeight - box.scrollTop - box.clientHeight <= slack;
}

/** The file name a saved log gets: `<server>-console.log`, with characters file systems refuse replaced. */
export function logFileName(serverName: string): string {
  const safe = serverName.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_') || 'server';
  return `${safe}-console.log`;
}
