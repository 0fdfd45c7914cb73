import type { ServerDetails } from '../../electron/common/contract.ts';
import type { ConsoleTab, ServerHold } from './types.ts';
import { reconnectStatusText } from '../logic/auto-reconnect.ts';

/**
 * An open console follows what its server does, as server.get reports it (the details panel's polling, or one ask
 * after a session ended):
 *
 * - SHUTOFF or SUSPENDED: the session ends, saying why, and is not retried (there is nothing to connect to);
 * - REBOOT / HARD_REBOOT after the session dropped: the same, until the server is back;
 * - PAUSED: the session stays (the display just stops changing) and the status line says "Paused";
 * - ACTIVE again, with no task running: a console that the server's state ended reconnects by itself (the store's
 *   reconnect fetches a fresh console URL: the old token may have expired meanwhile).
 *
 * A session that ended for any other reason (refused, token expired) is left alone: only the server's own state
 * brings it back.
 */
export type FollowStep =
  | { kind: 'none' }
  /** Drop the session and say why; nothing retries until the server is ACTIVE again. */
  | { kind: 'end'; hold: Exclude<ServerHold, 'paused'>; reason: string }
  /** Keep the session; the status line says the server is paused. */
  | { kind: 'pause' }
  /** The pause is over: the session simply goes on. */
  | { kind: 'unpause' }
  /** The server is back: fetch a fresh console URL and connect. */
  | { kind: 'reconnect' };

export const HOLD_REASONS: Record<Exclude<ServerHold, 'paused'>, string> = {
  stopped: 'the server was stopped',
  suspended: 'the server was suspended',
  rebooting: 'the server is rebooting',
};

export function followStep(tab: Pick<ConsoleTab, 'state' | 'serverHold'>, server: Pick<ServerDetails, 'status' | 'taskState'>): FollowStep {
  const end = (hold: Exclude<ServerHold, 'paused'>): FollowStep => (tab.serverHold === hold ? { kind: 'none' } : { kind: 'end', hold, reason: HOLD_REASONS[hold] });
  switch (server.status.toUpperCase()) {
    case 'SHUTOFF':
      return end('stopped');
    case 'SUSPENDED':
      return end('suspended');
    case 'PAUSED':
      return tab.serverHold === 'paused' ? { kind: 'none' } : { kind: 'pause' };
    case 'REBOOT':
    case 'HARD_REBOOT':
      // A soft reboot usually keeps a VNC session (the guest restarts, the emulator does not): only a session that
      // dropped waits for the server.
      return tab.state === 'disconnected' && !tab.serverHold ? end('rebooting') : { kind: 'none' };
    case 'ACTIVE':
      // ACTIVE with a task (powering-off, suspending…) is on its way somewhere else: wait for it to settle.
      if (server.taskState) return { kind: 'none' };
      if (tab.serverHold === 'paused') return { kind: 'unpause' };
      return tab.serverHold ? { kind: 'reconnect' } : { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}

/**
 * The status line of a console tab: a paused server's console is connected but says "Paused"; a tab reconnecting by
 * itself says what was lost and which try comes when (`now` for the countdown).
 */
export function consoleStatusText(tab: Pick<ConsoleTab, 'state' | 'reason' | 'serverHold' | 'autoReconnect'>, now = Date.now()): string {
  if (tab.autoReconnect) return reconnectStatusText(tab.autoReconnect, now);
  switch (tab.state) {
    case 'connected':
      return tab.serverHold === 'paused' ? 'Paused' : 'Connected';
    case 'disconnected':
      return `Disconnected: ${tab.reason ?? 'the session ended.'}`;
    default:
      return 'Connecting…';
  }
}
