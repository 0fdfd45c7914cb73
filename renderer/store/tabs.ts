import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTarget, SessionGrant } from '../../electron/common/contract.ts';
import type { AppState, ReasonSource, Tab, TabOrigin, TabsSlice } from './types.ts';
import { errorMessage } from '../api/console-api.ts';
import { addressTitle } from '../logic/parse-target.ts';

/**
 * Which reason a disconnected tab shows when both sides report the end (they do, in either order: the gateway's
 * `session.status` and the engine's `closed` travel over different sockets). The gateway's wins over the engine's:
 * it holds the server's socket and names the cause there (connection refused, the server closed the session, the
 * certificate was not trusted), while the engine only sees its relay to the gateway drop. A refused login is the
 * exception: the engine reads it from the RDP/CredSSP exchange itself, where the gateway sees only a hang-up. Among
 * reasons of the same rank the later one wins; a reason of lower rank never replaces one of higher rank.
 */
const REASON_RANK: Record<ReasonSource, number> = { engine: 0, gateway: 1, login: 2 };

let tabCounter = 0;
const newTabId = () => `tab-${++tabCounter}`;

/** What to ask the main process for when (re)connecting a tab: a cloud tab always asks for a fresh console URL. */
export function targetOf(origin: TabOrigin): ConsoleTarget {
  switch (origin.kind) {
    case 'server':
      return { kind: 'server', cloud: origin.cloud, server: origin.serverId, ...(origin.protocol ? { protocol: origin.protocol } : {}) };
    case 'url':
      return { kind: 'url', url: origin.url, ...(origin.cloud ? { cloud: origin.cloud } : {}) };
    case 'address':
      return origin;
  }
}

/** A grant that names its Nova server turns any tab into a cloud tab, so Reconnect can fetch a fresh URL. */
function originAfterGrant(origin: TabOrigin, grant: SessionGrant, title: string): TabOrigin {
  if (grant.server) return { kind: 'server', cloud: grant.server.cloud, serverId: grant.server.id, serverName: title, protocol: grant.protocol };
  return origin;
}

export const tabsSlice: StateCreator<AppState, [], [], TabsSlice> = (set, get) => {
  const update = (tabId: string, fn: (t: Tab) => Partial<Tab>) =>
    set((s) => ({ tabs: s.tabs.map((t) => (t.id === tabId ? { ...t, ...fn(t) } : t)) }));
  const tab = (tabId: string) => get().tabs.find((t) => t.id === tabId);
  // Tells the gateway a tab no longer needs its grant. Nothing waits on it and nothing is lost if it fails: a grant
  // is single-use and expires by itself, and a failed request means the services are gone (reported by setFatal).
  const forgetGrant = (sessionId: string) => void get().api.invoke('session.close', { sessionId }).catch(() => undefined);

  /**
   * The tab title for a grant: a server tab keeps the name it was opened with; a pasted URL of a known server takes
   * that server's name from the sidebar's list (the grant may only know its id); else what the grant says.
   */
  function titleFor(origin: TabOrigin, grant: SessionGrant, fallback: string): string {
    if (origin.kind === 'server' && origin.serverName && origin.serverName !== origin.serverId) return origin.serverName;
    if (grant.server) {
      const known = get().servers[grant.server.cloud]?.servers.find((x) => x.id === grant.server!.id);
      if (known) return known.name;
      if (grant.server.name && grant.server.name !== grant.server.id) return grant.server.name;
    }
    return grant.title || fallback;
  }

  /** Asks for a grant for the tab's current attempt; a stale answer (tab closed or reconnected since) is dropped. */
  async function connect(tabId: string, attempt: number) {
    const t = tab(tabId);
    if (!t) return;
    try {
      const grant = await get().api.invoke('session.open', targetOf(t.origin));
      const now = tab(tabId);
      if (!now || now.attempt !== attempt) {
        forgetGrant(grant.sessionId);
        return;
      }
      update(tabId, (x) => {
        const title = titleFor(x.origin, grant, x.title);
        return { grant, state: 'connecting', reason: undefined, reasonFrom: undefined, title, origin: originAfterGrant(x.origin, grant, title) };
      });
    } catch (err) {
      if (tab(tabId)?.attempt === attempt) update(tabId, () => ({ state: 'disconnected', reason: errorMessage(err), reasonFrom: 'gateway', grant: undefined }));
    }
  }

  return {
    tabs: [],
    activeTabId: undefined,
    inputError: undefined,

    async openServer(cloud, server, protocol) {
      // A server's console that is open already is shown, unless another type was asked for.
      const existing = get().tabs.find(
        (t) => t.origin.kind === 'server' && t.origin.cloud === cloud && t.origin.serverId === server.id && (!protocol || t.origin.protocol === protocol),
      );
      if (existing) return get().activateTab(existing.id);
      const id = newTabId();
      const origin: TabOrigin = { kind: 'server', cloud, serverId: server.id, serverName: server.name, ...(protocol ? { protocol } : {}) };
      const t: Tab = { id, title: server.name, origin, state: 'opening', attempt: 1 };
      set((s) => ({ tabs: [...s.tabs, t], activeTabId: id }));
      await connect(id, 1);
    },

    async openTarget(target, label, userHint) {
      set({ inputError: undefined });
      let grant: SessionGrant;
      try {
        grant = await get().api.invoke('session.open', target);
      } catch (err) {
        set({ inputError: errorMessage(err) });
        return false;
      }
      const origin: TabOrigin =
        target.kind === 'address' ? target
        : target.kind === 'url' ? { kind: 'url', url: target.url, ...(target.cloud ? { cloud: target.cloud } : {}) }
        : { kind: 'server', cloud: target.cloud, serverId: target.server, serverName: target.server, ...(target.protocol ? { protocol: target.protocol } : {}) };
      const fallbackTitle = target.kind === 'address' ? addressTitle(target.host, target.port) : label;
      const id = newTabId();
      const title = titleFor(origin, grant, fallbackTitle);
      const t: Tab = { id, title, origin: originAfterGrant(origin, grant, title), state: 'connecting', grant, attempt: 1, ...(userHint ? { userHint } : {}) };
      set((s) => ({ tabs: [...s.tabs, t], activeTabId: id }));
      return true;
    },

    setInputError: (message) => set({ inputError: message }),

    async reconnect(tabId) {
      const t = tab(tabId);
      if (!t) return;
      if (t.grant) forgetGrant(t.grant.sessionId);
      const attempt = t.attempt + 1;
      update(tabId, () => ({ attempt, state: 'opening', reason: undefined, reasonFrom: undefined, grant: undefined, note: undefined }));
      await connect(tabId, attempt);
    },

    async closeTab(tabId) {
      const { tabs, activeTabId } = get();
      const index = tabs.findIndex((t) => t.id === tabId);
      if (index < 0) return;
      const closing = tabs[index];
      const rest = tabs.filter((t) => t.id !== tabId);
      const nextActive = activeTabId === tabId ? (rest[Math.min(index, rest.length - 1)]?.id) : activeTabId;
      set({ tabs: rest, activeTabId: nextActive });
      if (closing.grant) forgetGrant(closing.grant.sessionId);
    },

    activateTab: (tabId) => set({ activeTabId: tabId }),

    cycleTab(delta) {
      const { tabs, activeTabId } = get();
      if (tabs.length === 0) return;
      const i = tabs.findIndex((t) => t.id === activeTabId);
      set({ activeTabId: tabs[(i + delta + tabs.length) % tabs.length].id });
    },

    moveTab(tabId, delta) {
      const i = get().tabs.findIndex((t) => t.id === tabId);
      if (i >= 0) get().moveTabTo(tabId, i + delta);
    },

    moveTabTo(tabId, index) {
      const tabs = [...get().tabs];
      const from = tabs.findIndex((t) => t.id === tabId);
      if (from < 0) return;
      const to = Math.max(0, Math.min(tabs.length - 1, index));
      if (to === from) return;
      const [moved] = tabs.splice(from, 1);
      tabs.splice(to, 0, moved);
      set({ tabs });
    },

    setTabState(tabId, attempt, state, reason, source = 'engine') {
      const t = tab(tabId);
      if (!t || t.attempt !== attempt) return;
      if (t.state === 'disconnected') {
        // An ended attempt stays ended (a late "connected" from the other side does not revive it); only Reconnect,
        // which starts a new attempt, does.
        if (state !== 'disconnected') return;
        if (t.reasonFrom && REASON_RANK[t.reasonFrom] > REASON_RANK[source]) return;
      }
      update(tabId, () => (state === 'disconnected' ? { state, reason, reasonFrom: source } : { state, reason: undefined, reasonFrom: undefined }));
    },

    setTabCredentials: (tabId, credentials) => update(tabId, () => ({ credentials })),

    showNote: (tabId, note) => update(tabId, () => ({ note })),

    reportProblem(tabId, message) {
      const title = tab(tabId)?.title ?? tabId;
      get().showNote(tabId, message);
      get()
        .api.invoke('app.log', { message: `${title}: ${message}` })
        // The log is the last stop: the tab already shows the message, and a log request that fails means the
        // services are gone, which the app reports on its own (setFatal).
        .catch(() => undefined);
    },
  };
};
