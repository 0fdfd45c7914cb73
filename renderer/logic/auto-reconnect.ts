import type { ErrorCode, SessionEndCause } from '../../electron/common/contract.ts';

/**
 * When a console tab reconnects by itself, and when it leaves the choice to the user.
 *
 * A session that had started and then broke for a network cause (`lost`: the server or proxy closed it, a reset, a
 * keepalive that went unanswered) is tried again in the same tab after each of these delays: the first try within
 * about a second (a proxy or hypervisor that blinked), then doubling up to a cap, and a bounded number of tries, after
 * which the tab says it gave up and offers Reconnect. A cloud tab asks Nova for a fresh console URL on every try.
 *
 * Never retried: the user's close, a refused login, a certificate that is not trusted (changed from the pinned one),
 * a token or credentials the cloud refuses, a server the cloud reports stopped or suspended (the tab waits for it to
 * run again instead: store/server-follow.ts), and ends that would only fail the same way (not a VNC server).
 */
export const RECONNECT_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 15_000, 30_000];
export const MAX_RECONNECT_TRIES = RECONNECT_DELAYS_MS.length;

/** Where a tab's auto-reconnect stands (absent: not reconnecting). */
export type AutoReconnect =
  /** Try `attempt` of MAX_RECONNECT_TRIES starts at `at` (ms since the epoch). */
  | { phase: 'waiting'; attempt: number; at: number; lost: string; last?: string }
  /** Try `attempt` is under way. */
  | { phase: 'trying'; attempt: number; lost: string }
  /** Every try failed; `last` is why the last one did. */
  | { phase: 'gave-up'; attempt: number; lost: string; last: string };

/** Who reported an end, as the store ranks them (store/types.ts ReasonSource). */
type EndSource = 'engine' | 'gateway' | 'login' | 'server';

/**
 * What one end means for auto-reconnect:
 * - `lost`: a started session broke; start reconnecting.
 * - `try-failed`: could not connect now (unreachable, a cloud answering 500); one more failed try while reconnecting,
 *   nothing otherwise.
 * - `final`: stop; the user decides.
 */
export type EndKind = 'lost' | 'try-failed' | 'final';

export interface SessionEnd {
  source: EndSource;
  /** The gateway's or relay's kind of end (absent from the display engine, which sees only its socket drop). */
  cause?: SessionEndCause;
  /** The error code of a failed `session.open` (the console URL or grant could not be had). */
  errorCode?: ErrorCode;
}

/** Error codes of `session.open` that say "not now" rather than "not at all". */
const TRANSIENT_OPEN_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unreachable', 'bad-response', 'internal', 'not-ready', 'conflict']);

/**
 * Classifies an end. `cloudTab`: the tab fetches a fresh console URL on every try, so a console proxy that refuses
 * the token it was just given means the console is not there yet (Nova's proxies drop the WebSocket when the
 * hypervisor does not answer), not that the token expired; a pasted URL's refused token cannot be renewed.
 */
export function classifyEnd(end: SessionEnd, cloudTab: boolean): EndKind {
  if (end.source === 'login' || end.source === 'server') return 'final';
  if (end.errorCode !== undefined) return TRANSIENT_OPEN_ERRORS.has(end.errorCode) ? 'try-failed' : 'final';
  switch (end.cause) {
    case undefined:
      // The display engine saw its socket to the gateway drop; the gateway's own report (which ranks higher and
      // follows at once) may still make it final.
      return 'lost';
    case 'lost':
      return 'lost';
    case 'unreachable':
      return 'try-failed';
    case 'refused':
      return cloudTab ? 'try-failed' : 'final';
    case 'certificate':
    case 'closed-by-app':
    case 'failed':
      return 'final';
  }
}

/**
 * The next auto-reconnect state after an end of the tab's current attempt. `wasConnected`: the session was up when it
 * ended (only such a session starts reconnecting). `current`: where auto-reconnect stood.
 */
export function nextAfterEnd(
  current: AutoReconnect | undefined,
  kind: EndKind,
  info: { wasConnected: boolean; reason: string; now: number },
): AutoReconnect | undefined {
  if (kind === 'final') return undefined;
  if (current?.phase === 'trying') {
    const attempt = current.attempt + 1;
    if (attempt > MAX_RECONNECT_TRIES) return { phase: 'gave-up', attempt: current.attempt, lost: current.lost, last: info.reason };
    return { phase: 'waiting', attempt, at: info.now + RECONNECT_DELAYS_MS[attempt - 1], lost: current.lost, last: info.reason };
  }
  // A second report of the same end (the engine's and the gateway's travel apart) changes nothing unless final.
  if (current) return current;
  if (kind === 'lost' && info.wasConnected) return { phase: 'waiting', attempt: 1, at: info.now + RECONNECT_DELAYS_MS[0], lost: info.reason };
  return undefined;
}

/** The status line of a tab that is reconnecting by itself (`now` for the countdown). */
export function reconnectStatusText(r: AutoReconnect, now: number): string {
  const lost = `Connection lost (${trimSentence(r.lost)})`;
  switch (r.phase) {
    case 'waiting': {
      const seconds = Math.max(0, Math.ceil((r.at - now) / 1000));
      return `${lost}; reconnecting, try ${r.attempt} of ${MAX_RECONNECT_TRIES} in ${seconds} s`;
    }
    case 'trying':
      return `${lost}; reconnecting, try ${r.attempt} of ${MAX_RECONNECT_TRIES}…`;
    case 'gave-up':
      return `${lost}; gave up after ${r.attempt} tries (${trimSentence(r.last)})`;
  }
}

/** A reason as it reads inside parentheses: no final full stop. */
function trimSentence(text: string): string {
  return text.replace(/\.\s*$/, '');
}
