import { IPC_EVENT_CHANNEL, ipcChannel, isRequestName, type ApiTransport, type ConsoleEvents, type EventName, type Reply, type RequestName } from '../common/contract.ts';

/** The few members of Electron's ipcRenderer the preload uses (so this runs, and is tested, under plain Node). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * The object the preload exposes as `window.novaConsole`: the contract's ApiTransport, nothing else. Only the
 * contract's requests reach IPC (each on its own namespaced channel), and every request answers a Reply, exactly
 * as over the browser-mode socket; events reach the page as payloads, never with Electron's event object (which
 * would hand the page `sender`).
 */
export function createPreloadApi(ipc: IpcRendererLike): ApiTransport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  ipc.on(IPC_EVENT_CHANNEL, (_event, message) => {
    const m = message as { event?: unknown; payload?: unknown } | undefined;
    if (!m || typeof m.event !== 'string') return;
    for (const l of listeners.get(m.event) ?? []) l(m.payload);
  });
  return {
    async request<K extends RequestName>(name: K, ...args: unknown[]): Promise<Reply<K>> {
      if (!isRequestName(name)) return { ok: false, error: { code: 'bad-request', message: `Unknown request ${JSON.stringify(name)}` } };
      try {
        return (await ipc.invoke(ipcChannel(name), args[0])) as Reply<K>;
      } catch (err) {
        // IPC itself failed (the main process is going away): the page gets a Reply like any other failure.
        return { ok: false, error: { code: 'unreachable', message: `The app did not answer: ${err instanceof Error ? err.message : String(err)}` } };
      }
    },
    on<E extends EventName>(event: E, listener: (payload: ConsoleEvents[E]) => void) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
  };
}
