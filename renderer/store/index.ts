import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ConsoleApi } from '../api/console-api.ts';
import type { AppState } from './types.ts';
import { cloudsSlice } from './clouds.ts';
import { serversSlice } from './servers.ts';
import { tabsSlice } from './tabs.ts';
import { serverInfoSlice } from './server-info.ts';
import { settingsSlice } from './settings.ts';
import { dialogsSlice } from './dialogs.ts';

export type AppStore = StoreApi<AppState>;

/** One store, one slice per concern; the api is injected so tests drive it with a fake or the real WS client. */
export function createAppStore(api: ConsoleApi): AppStore {
  return createStore<AppState>()((...a) => ({
    api,
    mode: undefined,
    fatal: undefined,
    setFatal: (message) => a[0]({ fatal: message }),
    ...cloudsSlice(...a),
    ...serversSlice(...a),
    ...tabsSlice(...a),
    ...serverInfoSlice(...a),
    ...settingsSlice(...a),
    ...dialogsSlice(...a),
  }));
}

/** Wires the services' events into the store; returns a function that unhooks them. */
export function subscribeEvents(store: AppStore): () => void {
  const { api } = store.getState();
  const offs = [
    api.on('clouds.changed', (clouds) => store.getState().setClouds(clouds)),
    api.on('app.open', ({ target, label, username, domain }) => {
      void store.getState().openTarget(target, label, username ? { username, ...(domain ? { domain } : {}) } : undefined);
    }),
    // A link or .rdp file that could not be opened: the same alert as a rejected paste, with the reason.
    api.on('app.openError', ({ message }) => store.getState().setInputError(message)),
    api.on('trust.prompt', (prompt) => store.getState().pushTrustPrompt(prompt)),
    api.on('session.status', ({ sessionId, state, reason, cause }) => {
      const tab = store.getState().tabs.find((t) => t.grant?.sessionId === sessionId);
      if (!tab) return;
      // Only the end is taken from the gateway (its reason names the cause, and wins over the engine's: see
      // REASON_RANK in tabs.ts); "connected" there means the relay is up, not that the login succeeded, so the
      // display engine alone reports Connected.
      if (state === 'closed') store.getState().setTabState(tab.id, tab.attempt, 'disconnected', reason ?? 'The session ended.', 'gateway', cause);
      // A serial console has no handshake the terminal could see (it is often silent until a key is pressed): there
      // the relay's "connected" (the proxy kept the session open) is the only sign.
      else if (state === 'connected' && tab.grant?.protocol === 'serial') store.getState().setTabState(tab.id, tab.attempt, 'connected');
    }),
  ];
  return () => offs.forEach((off) => off());
}

/** First load: app info, settings, clouds (and through them, servers). */
export async function bootstrap(store: AppStore): Promise<void> {
  const s = store.getState();
  // Without app.info the page only misses its mode label; without settings, the Settings dialog loads them again
  // and shows their error. Neither keeps the clouds from loading, which report their own errors.
  // All asked at once: none needs another's answer, and the server list (what the user waits for) should not wait a
  // round trip for the mode label.
  const info = s.api.invoke('app.info').then(
    (i) => store.setState({ mode: i.mode }),
    () => undefined,
  );
  await Promise.all([info, s.loadClouds(), s.loadSettings().catch(() => undefined), loadPendingTrustPrompts(store)]);
}

/**
 * Certificate questions asked before this page connected (it reloaded while a session waited): events are not
 * replayed, so the page asks. Call after subscribeEvents, so a prompt arriving meanwhile is not lost either (the
 * store keeps each prompt once).
 */
export async function loadPendingTrustPrompts(store: AppStore): Promise<void> {
  // No answer: no old prompts to show; a session still waiting asks again with a new trust.prompt when retried.
  const pending = await store.getState().api.invoke('trust.pending').catch(() => []);
  for (const prompt of pending) store.getState().pushTrustPrompt(prompt);
}
