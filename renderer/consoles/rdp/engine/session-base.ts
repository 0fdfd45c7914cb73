import { keyEventInput } from './scancodes.ts';
import type { SessionEvents } from './types.ts';

/**
 * What a session in the page and the page's side of a session in the worker have in common: their listeners, and
 * turning a DOM key event into a key or a character. Subclasses send those and say when they are up and when over.
 */
export abstract class SessionBase {
  private readonly listeners = new Map<keyof SessionEvents, Set<(p: unknown) => void>>();
  /** 'connected' was emitted: a listener added later still hears it (until the session ends). */
  protected connected = false;
  protected ended = false;

  on<E extends keyof SessionEvents>(event: E, listener: (payload: SessionEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: unknown) => void);
    if (event === 'connected' && this.connected && !this.ended) queueMicrotask(() => (listener as (p: unknown) => void)(undefined));
    return () => set.delete(listener as (p: unknown) => void);
  }

  protected emit<E extends keyof SessionEvents>(event: E, payload: SessionEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l(payload);
      } catch (err) {
        console.error('console session listener failed', err);
      }
    }
  }

  abstract key(scancode: number, pressed: boolean): void;
  abstract unicode(text: string): void;

  keyEvent(e: KeyboardEvent): boolean {
    const input = keyEventInput(e);
    if (input?.kind === 'key') this.key(input.scancode, input.pressed);
    else if (input?.kind === 'unicode') this.unicode(input.text);
    return input !== undefined;
  }
}
