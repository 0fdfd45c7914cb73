import type { StateCreator } from 'zustand/vanilla';
import type { AppState, ServerInfo, ServerInfoSlice } from './types.ts';
import { errorMessage, serverRequests } from '../api/console-api.ts';
import { readSessionFlag, writeSessionFlag } from '../logic/session-flag.ts';

/** How often a server is asked about while it is changing (a task runs, or an action was just sent). */
export const FAST_POLL_MS = 2_000;
/** …and otherwise, while its console or details are on screen. */
export const SLOW_POLL_MS = 15_000;
/** After an action Nova accepted, poll fast this long even if no task state shows yet. */
export const FAST_AFTER_ACTION_MS = 10_000;

/** Statuses Nova passes through on its way somewhere else. */
const CHANGING = new Set(['BUILD', 'REBOOT', 'HARD_REBOOT', 'REBUILD', 'RESIZE', 'MIGRATING', 'PASSWORD']);

const DETAILS_FLAG = 'nova-console.details-open';

export const serverKey = (cloud: string, server: string) => `${cloud}\n${server}`;

const emptyInfo = (): ServerInfo => ({ actions: 0 });

/** The wait before asking about a server again. */
export function pollDelay(info: ServerInfo | undefined, now: number): number {
  const d = info?.details;
  if (d?.taskState || (d && CHANGING.has(d.status.toUpperCase()))) return FAST_POLL_MS;
  if (info?.fastUntil !== undefined && now < info.fastUntil) return FAST_POLL_MS;
  return SLOW_POLL_MS;
}

export const serverInfoSlice: StateCreator<AppState, [], [], ServerInfoSlice> = (set, get) => {
  // Requests for one server may overlap (the panel's poll, the ask after a session ended): an answer older than
  // one already applied is dropped, so the page never steps back to a state the server has left.
  const requested = new Map<string, number>();
  const applied = new Map<string, number>();
  const patch = (key: string, fn: (info: ServerInfo) => Partial<ServerInfo>) =>
    set((s) => {
      const info = s.serverInfo[key] ?? emptyInfo();
      return { serverInfo: { ...s.serverInfo, [key]: { ...info, ...fn(info) } } };
    });
  const fresh = (key: string, seq: number) => {
    if (seq < (applied.get(key) ?? 0)) return false;
    applied.set(key, seq);
    return true;
  };

  return {
    serverInfo: {},
    detailsOpen: readSessionFlag(DETAILS_FLAG) ?? false,

    setDetailsOpen(open) {
      writeSessionFlag(DETAILS_FLAG, open);
      set({ detailsOpen: open });
    },

    async refreshServer(cloud, server) {
      const key = serverKey(cloud, server);
      const seq = (requested.get(key) ?? 0) + 1;
      requested.set(key, seq);
      try {
        const details = await serverRequests(get().api).details(cloud, server);
        if (!fresh(key, seq)) return;
        patch(key, () => ({ details, error: undefined }));
        get().followServer(cloud, server, details);
      } catch (err) {
        if (fresh(key, seq)) patch(key, () => ({ error: errorMessage(err) }));
      }
    },

    async runServerAction(cloud, server, action) {
      const key = serverKey(cloud, server);
      if (get().serverInfo[key]?.busy) return;
      patch(key, () => ({ busy: action, actionError: undefined }));
      try {
        await serverRequests(get().api).action(cloud, server, action);
        // The panel's poller restarts on `actions` and asks at once, then every FAST_POLL_MS while this lasts.
        patch(key, (info) => ({ busy: undefined, fastUntil: Date.now() + FAST_AFTER_ACTION_MS, actions: info.actions + 1 }));
      } catch (err) {
        patch(key, () => ({ busy: undefined, actionError: errorMessage(err) }));
      }
    },

    async showServerDetails(cloud, server) {
      get().setDetailsOpen(true);
      await get().openServer(cloud, server);
    },
  };
};
