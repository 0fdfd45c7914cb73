import { IPC_EVENT_CHANNEL, REQUEST_NAMES, ipcChannel, type ConsoleApi, type ConsoleEvents, type EventName, type Reply, type RequestName } from '../api/contract.ts';

/** The few members of Electron's ipcRenderer the preload uses (so this runs, and is tested, under plain Node). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * The object the preload exposes as `window.novaConsole`: exactly the ConsoleApi. Only the contract's requests
 * reach IPC (each on its own namespaced channel); events reach the page as payloads, never with Electron's event
 * object (which would hand the page `sender`).
 */
export function createPreloadApi(ipc: IpcRendererLike): ConsoleApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  ipc.on(IPC_EVENT_CHANNEL, (_event, message) => {
    const m = message as { event?: unknown; payload?: unknown } | undefined;
    if (!m || typeof m.event !== 'string') return;
    for (const l of listeners.get(m.event) ?? []) l(m.payload);
  });
  return {
    async invoke(name, ...args) {
      if (!(REQUEST_NAMES as readonly string[]).includes(name)) throw new Error(`Unknown request ${String(name)}`);
      const reply = (await ipc.invoke(ipcChannel(name as RequestName), args[0])) as Reply<RequestName>;
      if (reply.ok) return reply.value as never;
      // Only the message survives contextBridge; the code goes in the name.
      const err = new Error(reply.error.message);
      err.name = reply.error.code;
      throw err;
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
