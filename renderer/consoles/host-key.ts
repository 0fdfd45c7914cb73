/**
 * The one key combination a focused console never sends to the remote machine: it gives keyboard focus back to the
 * app. Every console type uses it, so it is defined here once, with the label the status line shows.
 */
export const HOST_KEY_LABEL = 'Ctrl+Alt+Home';

export function isHostKey(e: Pick<KeyboardEvent, 'ctrlKey' | 'altKey' | 'code' | 'type'>): boolean {
  return e.type === 'keydown' && e.ctrlKey && e.altKey && e.code === 'Home';
}
