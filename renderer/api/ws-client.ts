import type { ApiError, ConsoleApi, ConsoleEvents, EventName, Reply, RequestName } from '../../electron/api/contract.ts';

/**
 * The ConsoleApi in browser mode: requests and events over the loopback WebSocket of electron/api/ws-transport.ts.
 * Wire format (JSON text): page → host {id, name, args}; host → page {id, reply} or {event, payload}.
 */
export class ApiRequestError extends Error implements ApiError {
  constructor(
    readonly code: ApiError['code'],
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

export interface WsClientOptions {
  /** Called when the connection to the app is lost (the host stopped, or refused this page). */
  onDisconnect?: (reason: string) => void;
  /** Tests pass their own WebSocket class. */
  WebSocketImpl?: typeof WebSocket;
}

export function createWsClient(url: string, options: WsClientOptions = {}): ConsoleApi & { close(): void } {
  const Impl = options.WebSocketImpl ?? WebSocket;
  const ws = new Impl(url);
  let nextId = 1;
  let lost: string | undefined;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('close', () => reject(new ApiRequestError('unreachable', 'The app refused or closed the connection.')), { once: true });
  });
  opened.catch(() => undefined);

  ws.addEventListener('message', (ev: MessageEvent) => {
    let msg: { id?: number; reply?: Reply<RequestName>; event?: string; payload?: unknown };
    try {
      msg = JSON.parse(String(ev.data));
    } catch {
      return;
    }
    if (typeof msg.id === 'number' && msg.reply) {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.reply.ok) p.resolve(msg.reply.value);
      else p.reject(new ApiRequestError(msg.reply.error.code, msg.reply.error.message));
    } else if (typeof msg.event === 'string') {
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
    }
  });
  ws.addEventListener('close', (ev: CloseEvent) => {
    lost = ev.reason || 'The connection to the app was lost.';
    for (const p of pending.values()) p.reject(new ApiRequestError('unreachable', lost));
    pending.clear();
    options.onDisconnect?.(lost);
  });

  return {
    async invoke(name, ...args) {
      await opened;
      if (lost) throw new ApiRequestError('unreachable', lost);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
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

/** The message of anything a request threw, for the UI. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}
