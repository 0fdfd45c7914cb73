import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTarget, ServerDetails, SessionGrant } from '../../electron/common/contract.ts';
import type { AppState, ConsoleTab, LogLines, LogTab, ReasonSource, TabOrigin, TabsSlice } from './types.ts';
import { errorCode, errorMessage, serverRequests } from '../api/console-api.ts';
import { addressTitle } from '../logic/parse-target.ts';
import { classifyEnd, nextAfterEnd, type SessionEnd } from '../logic/auto-reconnect.ts';
import { followStep } from './server-follow.ts';

/**
 * Which reason a disconnected tab shows when both sides report the end (they do, in either order: the gateway's
 * `session.status` and the engine's `closed` travel over different sockets). The gateway's wins over the engine's:
 * it holds the server's socket and names the cause there (connection refused, the server closed the session, the
 * certificate was not trusted), while the engine only sees its relay to the gateway drop. A refused login is the
 * exception: the engine reads it from the RDP/CredSSP exchange itself, where the gateway sees only a hang-up. Among
 * reasons of the same rank the later one wins; a reason of lower rank never replaces one of higher rank.
 */
const REASON_RANK: Record<ReasonSource, number> = { engine: 0, gateway: 1, login: 2, server: 3 };

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

/** A log tab's title names the server and what the tab shows. */
export const logTabTitle = (serverName: string) => `${serverName} — console log`;

/** What `lines` a console.log request carries for a choice: none asks for the whole log. */
export const logLinesArg = (lines: LogLines): number | undefined => (lines === 'all' ? undefined : lines);

export const tabsSlice: StateCreator<AppState, [], [], TabsSlice> = (set, get) => {
  const update = (tabId: string, fn: (t: ConsoleTab) => Partial<ConsoleTab>) =>
    set((s) => ({ tabs: s.tabs.map((t) => (t.id === tabId && t.kind === 'console' ? { ...t, ...fn(t) } : t)) }));
  const updateLog = (tabId: string, fn: (t: LogTab) => Partial<LogTab>) =>
    set((s) => ({ tabs: s.tabs.map((t) => (t.id === tabId && t.kind === 'log' ? { ...t, ...fn(t) } : t)) }));
  const tab = (tabId: string): ConsoleTab | undefined => {
    const t = get().tabs.find((x) => x.id === tabId);
    return t?.kind === 'console' ? t : undefined;
  };
  const logTab = (tabId: string): LogTab | undefined => {
    const t = get().tabs.find((x) => x.id === tabId);
    return t?.kind === 'log' ? t : undefined;
  };
  /** The pending auto-reconnect try of each tab (at most one). */
  const retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const cancelRetry = (tabId: string) => {
    clearTimeout(retryTimers.get(tabId));
    retryTimers.delete(tabId);
  };

  /**
   * After an end of the tab's current attempt (reported by the gateway, the engine, or a failed session.open):
   * where auto-reconnect goes next (logic/auto-reconnect.ts), and the timer of the next try.
   */
  function followEnd(tabId: string, end: SessionEnd, wasConnected: boolean, reason: string) {
    const t = tab(tabId);
    if (!t) return;
    const kind = classifyEnd(end, t.origin.kind === 'server');
    const next = nextAfterEnd(t.autoReconnect, kind, { wasConnected, reason, now: Date.now() });
    if (next === t.autoReconnect) return;
    cancelRetry(tabId);
    // A new series starts with a clean status line (an older "Reconnected" note would speak of another loss).
    update(tabId, () => (t.autoReconnect ? { autoReconnect: next } : { autoReconnect: next, note: undefined, noteTone: undefined }));
    if (next?.phase !== 'waiting') return;
    const attempt = t.attempt;
    retryTimers.set(
      tabId,
      setTimeout(() => {
        retryTimers.delete(tabId);
        void retry(tabId, attempt);
      }, Math.max(0, next.at - Date.now())),
    );
  }

  /** One auto-reconnect try: like Reconnect, but it keeps counting the tries. */
  async function retry(tabId: string, endedAttempt: number) {
    const t = tab(tabId);
    if (!t || t.attempt !== endedAttempt || t.autoReconnect?.phase !== 'waiting') return;
    const { attempt: n, lost } = t.autoReconnect;
    await newAttempt(tabId, { autoReconnect: { phase: 'trying', attempt: n, lost } });
  }

  /** Drops the tab's session and asks for a fresh grant (a cloud tab: a fresh console URL), with `patch` applied. */
  async function newAttempt(tabId: string, patch: Partial<ConsoleTab>) {
    const t = tab(tabId);
    if (!t) return;
    cancelRetry(tabId);
    if (t.grant) forgetGrant(t.grant.sessionId);
    const attempt = t.attempt + 1;
    update(tabId, () => ({ attempt, state: 'opening', reason: undefined, reasonFrom: undefined, grant: undefined, ...patch }));
    await connect(tabId, attempt);
  }

  // Tells the gateway a tab no longer needs its grant. Nothing waits on it and nothing is lost if it fails: a grant
  // is single-use and expires by itself, and a failed request means the services are gone (reported by setFatal).
  const forgetGrant = (sessionId: string) => void get().api.invoke('session.close', { sessionId }).catch(() => undefined);

  /**
   * A cloud console that ended (or never got a session) asks Nova once what its server is doing, so a stopped or
   * suspended server is named as the cause and brings the console back when it runs again (server-follow.ts). A
   * console the server's state ended already knows.
   */
  function askServerAfterEnd(tabId: string) {
    const t = tab(tabId);
    if (t?.origin.kind !== 'server' || t.serverHold === 'stopped' || t.serverHold === 'suspended' || t.serverHold === 'rebooting') return;
    void get().refreshServer(t.origin.cloud, t.origin.serverId);
  }

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
      if (tab(tabId)?.attempt !== attempt) return;
      const reason = errorMessage(err);
      update(tabId, () => ({ state: 'disconnected', reason, reasonFrom: 'gateway', grant: undefined }));
      followEnd(tabId, { source: 'gateway', errorCode: errorCode(err) }, false, reason);
      askServerAfterEnd(tabId);
    }
  }

  return {
    tabs: [],
    activeTabId: undefined,
    inputError: undefined,

    async openServer(cloud, server, protocol) {
      // A server's console that is open already is shown, unless another type was asked for.
      const existing = get().tabs.find(
        (t) =>
          t.kind === 'console' && t.origin.kind === 'server' && t.origin.cloud === cloud && t.origin.serverId === server.id && (!protocol || t.origin.protocol === protocol),
      );
      if (existing) return get().activateTab(existing.id);
      const id = newTabId();
      const origin: TabOrigin = { kind: 'server', cloud, serverId: server.id, serverName: server.name, ...(protocol ? { protocol } : {}) };
      const t: ConsoleTab = { kind: 'console', id, title: server.name, origin, state: 'opening', attempt: 1 };
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
      const t: ConsoleTab = {
        kind: 'console',
        id,
        title,
        origin: originAfterGrant(origin, grant, title),
        state: 'connecting',
        grant,
        attempt: 1,
        ...(userHint ? { userHint } : {}),
      };
      set((s) => ({ tabs: [...s.tabs, t], activeTabId: id }));
      return true;
    },

    setInputError: (message) => set({ inputError: message }),

    async reconnect(tabId) {
      await newAttempt(tabId, { note: undefined, noteTone: undefined, serverHold: undefined, autoReconnect: undefined });
    },

    stopReconnecting(tabId) {
      cancelRetry(tabId);
      update(tabId, () => ({ autoReconnect: undefined }));
    },

    async closeTab(tabId) {
      const { tabs, activeTabId } = get();
      const index = tabs.findIndex((t) => t.id === tabId);
      if (index < 0) return;
      const closing = tabs[index];
      const rest = tabs.filter((t) => t.id !== tabId);
      const nextActive = activeTabId === tabId ? (rest[Math.min(index, rest.length - 1)]?.id) : activeTabId;
      set({ tabs: rest, activeTabId: nextActive });
      cancelRetry(tabId);
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

    setTabState(tabId, attempt, state, reason, source = 'engine', cause) {
      const t = tab(tabId);
      if (!t || t.attempt !== attempt) return;
      if (t.state === 'disconnected') {
        // An ended attempt stays ended (a late "connected" from the other side does not revive it); only Reconnect,
        // which starts a new attempt, does.
        if (state !== 'disconnected') return;
        if (t.reasonFrom && REASON_RANK[t.reasonFrom] > REASON_RANK[source]) return;
      }
      if (state !== 'disconnected') {
        // A try that got through ends auto-reconnect, and the status line says the session came back.
        const back = state === 'connected' && t.autoReconnect ? { autoReconnect: undefined, note: `Reconnected (try ${t.autoReconnect.attempt}).`, noteTone: 'good' as const } : {};
        update(tabId, () => ({ state, reason: undefined, reasonFrom: undefined, ...back }));
        return;
      }
      const ended = t.state !== 'disconnected';
      update(tabId, () => ({ state, reason, reasonFrom: source }));
      // Every report of the end counts (the engine's and the gateway's may come in either order): a later one can
      // still make it final (a refused login, a certificate).
      followEnd(tabId, { source, cause }, t.state === 'connected', reason ?? 'the session ended');
      if (ended) askServerAfterEnd(tabId);
    },

    followServer(cloud, server, details) {
      for (const t of get().tabs) {
        if (t.kind !== 'console' || t.origin.kind !== 'server' || t.origin.cloud !== cloud) continue;
        if (t.origin.serverId !== server && t.origin.serverId !== details.id) continue;
        applyFollow(t, details);
      }
    },

    setTabCredentials: (tabId, credentials) => update(tabId, () => ({ credentials })),

    showNote: (tabId, note) => update(tabId, () => ({ note, noteTone: undefined })),

    reportProblem(tabId, message) {
      const title = tab(tabId)?.title ?? tabId;
      get().showNote(tabId, message);
      get()
        .api.invoke('app.log', { message: `${title}: ${message}` })
        // The log is the last stop: the tab already shows the message, and a log request that fails means the
        // services are gone, which the app reports on its own (setFatal).
        .catch(() => undefined);
    },

    openConsoleLog(cloud, server) {
      const existing = get().tabs.find((t) => t.kind === 'log' && t.origin.cloud === cloud && t.origin.serverId === server.id);
      if (existing) return get().activateTab(existing.id);
      const id = newTabId();
      const t: LogTab = {
        kind: 'log',
        id,
        title: logTabTitle(server.name),
        origin: { kind: 'server', cloud, serverId: server.id, serverName: server.name },
        state: 'loading',
        lines: 100,
        attempt: 0,
      };
      set((s) => ({ tabs: [...s.tabs, t], activeTabId: id }));
      // The view fetches it as soon as it shows (and keeps following it while visible).
    },

    async refreshLog(tabId) {
      const t = logTab(tabId);
      if (!t) return;
      const attempt = t.attempt + 1;
      const lines = t.lines;
      updateLog(tabId, () => ({ attempt }));
      const current = () => {
        const now = logTab(tabId);
        return now?.attempt === attempt && now.lines === lines;
      };
      try {
        const log = await serverRequests(get().api).consoleLog(t.origin.cloud, t.origin.serverId, logLinesArg(lines));
        if (current()) updateLog(tabId, () => ({ state: 'ready', output: log.output, reason: undefined, fetchedAt: Date.now() }));
      } catch (err) {
        // The last text stays: an error in the middle of following should not blank what was already read.
        if (current()) updateLog(tabId, () => ({ state: errorCode(err) === 'unavailable' ? 'unavailable' : 'error', reason: errorMessage(err) }));
      }
    },

    async setLogLines(tabId, lines) {
      if (!logTab(tabId)) return;
      updateLog(tabId, () => ({ lines }));
      await get().refreshLog(tabId);
    },
  };

  /** One step of a console following its server (server-follow.ts), applied to the tab. */
  function applyFollow(t: ConsoleTab, details: ServerDetails) {
    const step = followStep(t, details);
    switch (step.kind) {
      case 'none':
        return;
      case 'end':
        // A new attempt with no grant: the display closes its session, and anything still in flight for the old
        // attempt (a grant being minted, the engine's own "closed") is dropped. The server's reason outranks both,
        // and the tab waits for the server instead of reconnecting by itself.
        if (t.grant) forgetGrant(t.grant.sessionId);
        cancelRetry(t.id);
        update(t.id, (x) => ({
          attempt: x.attempt + 1,
          state: 'disconnected',
          grant: undefined,
          reason: step.reason,
          reasonFrom: 'server',
          serverHold: step.hold,
          autoReconnect: undefined,
        }));
        return;
      case 'pause':
        update(t.id, () => ({ serverHold: 'paused' }));
        return;
      case 'unpause':
        update(t.id, () => ({ serverHold: undefined }));
        return;
      case 'reconnect':
        void get().reconnect(t.id);
        return;
    }
  }
};
