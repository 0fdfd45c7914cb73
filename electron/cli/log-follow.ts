/**
 * `nova-console log --follow` asks Nova for the log again and again and prints only what is new. Nova answers the
 * whole log or its last N lines, and a hypervisor keeps only the end of a long log, so a later answer is not always
 * the earlier one plus more: it can start further along. So the new part is what follows the longest end of the
 * earlier answer (whole lines) that the later answer starts with.
 */

/**
 * The part of `next` that `previous` did not have. `restarted` is true when `next` does not continue `previous` at
 * all (the server was rebuilt, or its log was cleared): then all of `next` is new.
 */
export function newLogText(previous: string, next: string): { text: string; restarted: boolean } {
  if (previous === '') return { text: next, restarted: false };
  if (next === '' || previous.endsWith(next)) return { text: '', restarted: false };
  // Each line start of `previous`, earliest first: the first whose rest begins `next` is the longest overlap.
  for (let i = 0; i < previous.length; i = previous.indexOf('\n', i) + 1) {
    const rest = previous.slice(i);
    if (next.startsWith(rest)) return { text: next.slice(rest.length), restarted: false };
    if (previous.indexOf('\n', i) < 0) break;
  }
  return { text: next, restarted: true };
}
