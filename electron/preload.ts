import { contextBridge, ipcRenderer } from 'electron';
import { IPC_EVENT_CHANNEL, REQUEST_NAMES, ipcChannel, type ConsoleApi, type ConsoleEvents, type EventName, type Reply, type RequestName } from './api/contract.ts';

/**
 * Exposes exactly the ConsoleApi to the page as `window.novaConsole`, nothing else: no ipcRenderer, no channel
 * names, no Electron event objects (the page gets payloads only). Bundled to CommonJS, as sandboxed preloads must be.
 */
const listeners = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on(IPC_EVENT_CHANNEL, (_event, message: { event?: unknown; payload?: unknown }) => {
  if (!message || typeof message.event !== 'string') return;
  for (const l of listeners.get(message.event) ?? []) l(message.payload);
});

const api: ConsoleApi = {
  async invoke(name, ...args) {
    if (!(REQUEST_NAMES as readonly string[]).includes(name)) throw new Error(`Unknown request ${String(name)}`);
    const reply = (await ipcRenderer.invoke(ipcChannel(name as RequestName), args[0])) as Reply<RequestName>;
    if (reply.ok) return reply.value as never;
    // Errors lose their own properties crossing the bridge; the code rides in the message's prefix-free form.
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

contextBridge.exposeInMainWorld('novaConsole', api);
