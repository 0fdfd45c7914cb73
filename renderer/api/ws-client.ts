import type { ApiTransport, ConsoleEvents, EventName, Reply, RequestName } from '../../electron/common/contract.ts';

/**
 * The contract's ApiTransport in browser mode: requests and events over the loopback WebSocket of
 * electron/api/ws-transport.ts. Wire format (JSON text): page → host {id, name, args}; host → page {id, reply} or
 * {event, payload}. A lost or refused connection answers every request with an `unreachable` Reply, as the
 * preload does when IPC fails, so the page handles one shape (renderer/api/console-api.ts).
 */
export interface WsClientOptions {
  /** Called when the connection to the app is lost (the host stopped, or refused this page). */
  onDisconnect?: (reason: string) => void;
  /** Tests pass their own WebSocket class. */
  WebSocketImpl?: typeof WebSocket;
}

const unreachable = (message: string): Reply<RequestName> => ({ ok: false, error: { code: 'unreachable', message } });

export function createWsClient(url: string, options: WsClientOptions = {}): ApiTransport & { close(): void } {
  const Impl = options.WebSocketImpl ?? WebSocket;
  const ws = new Impl(url);
  let nextId = 1;
  let lost: string | undefined;
  const pending = new Map<number, (reply: Reply<RequestName>) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  // Resolves true once open, false if the app refused or closed the socket first.
  const opened = new Promise<boolean>((resolve) => {
    ws.addEventListener('open', () => resolve(true), { once: true });
    ws.addEventListener('close', () => resolve(false), { once: true });
  });

  ws.addEventListener('message', (ev: MessageEvent) => {
    let msg: { id?: number; reply?: Reply<RequestName>; event?: string; payload?: unknown };
    try {
      msg = JSON.parse(String(ev.data)) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.id === 'number' && msg.reply) {
      const settle = pending.get(msg.id);
      pending.delete(msg.id);
      settle?.(msg.reply);
    } else if (typeof msg.event === 'string') {
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
    }
  });
  // A failed socket always closes next, and the close handler reports the loss with its reason.
  ws.addEventListener('error', () => undefined);
  ws.addEventListener('close', (ev: CloseEvent) => {
    lost = ev.reason || 'The connection to the app was lost.';
    for (const settle of pending.values()) settle(unreachable(lost));
    pending.clear();
    options.onDisconnect?.(lost);
  });

  return {
    async request<K extends RequestName>(name: K, ...args: unknown[]): Promise<Reply<K>> {
      if (!(await opened)) return unreachable(lost ?? 'The app refused or closed the connection.');
      if (lost) return unreachable(lost);
      const id = nextId++;
      return new Promise<Reply<K>>((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, name, args: args[0] }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: ConsoleEvents[E]) => void) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
    close: () => ws.close(),
  };
}
