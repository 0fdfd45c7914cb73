/**
 * Opens a session's WebSocket to the gateway before IronRDP asks for it. IronRDP creates its socket, then checks
 * every 50 ms whether it is open yet, and only then sends its first message; the gateway answers a loopback upgrade
 * in a millisecond or two, so each connect waited 25–50 ms (more while the worker was busy) for nothing. Given a socket
 * that is already open, IronRDP finds it open at its first check and goes straight on.
 *
 * The gateway sends nothing before the client's first message (RDCleanPath's request), so a socket opened ahead loses
 * nothing while it waits to be handed over. A socket that fails to open is not handed over: IronRDP then opens its
 * own and reports the failure in its own words.
 */

/** Sockets already open, by URL, waiting for the IronRDP session that will ask for that URL. */
const ready = new Map<string, WebSocket[]>();

/** How long an opening socket is waited for before IronRDP is left to open its own. */
const OPEN_WAIT_MS = 5000;

/**
 * Replaces the realm's WebSocket constructor with one that hands out a socket opened ahead for the same URL, and
 * otherwise constructs as before. `instanceof WebSocket` holds for both.
 */
export function installSocketHandover(scope: { WebSocket: typeof WebSocket }): void {
  scope.WebSocket = new Proxy(scope.WebSocket, {
    construct(target, args: ConstructorParameters<typeof WebSocket>, newTarget) {
      const waiting = ready.get(String(args[0]));
      const ws = waiting?.shift();
      if (waiting && waiting.length === 0) ready.delete(String(args[0]));
      return ws ?? (Reflect.construct(target, args, newTarget) as WebSocket);
    },
  });
}

/**
 * Opens a socket to `url` and keeps it for the next constructor call with that URL. Resolves once it is open (or has
 * failed, or the wait ran out); never rejects. Returns what drops the socket if nobody took it. `prepare` sees the
 * open socket before it is handed over.
 */
export async function openAhead(NativeWebSocket: typeof WebSocket, url: string, prepare?: (ws: WebSocket) => void): Promise<() => void> {
  const ws = new NativeWebSocket(url);
  const opened = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), OPEN_WAIT_MS);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(true);
    };
    ws.onerror = ws.onclose = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
  ws.onopen = ws.onerror = ws.onclose = null;
  if (!opened) {
    ws.close();
    return () => {};
  }
  prepare?.(ws);
  const list = ready.get(url) ?? [];
  list.push(ws);
  ready.set(url, list);
  return () => {
    const waiting = ready.get(url);
    const at = waiting?.indexOf(ws) ?? -1;
    if (at < 0) return;
    waiting!.splice(at, 1);
    if (waiting!.length === 0) ready.delete(url);
    ws.close();
  };
}

/**
 * The gateway URL one session's IronRDP is given, and its socket is opened ahead for: the grant's URL with the
 * worker's session id as a query parameter (the gateway routes by path and reads the grant's token from RDCleanPath,
 * so it ignores it). Sockets opened ahead are handed over by URL, and each is tied to its session (its direct bitmap
 * path draws on that session's canvas): with one URL for all, two tabs connecting at once could swap sockets.
 */
export function sessionSocketUrl(gatewayUrl: string, sessionId: number): string {
  const url = new URL(gatewayUrl);
  url.searchParams.set('worker-session', String(sessionId));
  return url.toString();
}
