// The soak's counter inside the app's RDP worker, and the function that reads it. The app runs IronRDP's WASM client
// in a dedicated worker (renderer/consoles/rdp/engine/ironrdp-worker.ts, served as rdp-worker.js), which opens each
// RDP session's WebSocket to the gateway and holds it there: the page probe (page-probe.ts), whose WebSocket wrapper
// lives in the page's realm, never sees those sockets. (Their pictures it does see: the worker ships the regions
// IronRDP drew to the page, which puts them on the tab's canvas; so frames are counted in the page, per tab, and not
// here.) Installed through Playwright's handle of the worker (app.ts:
// Worker.evaluate), as soon as the worker exists: the app warms the engine up at page load, so that is before any
// RDP tab opens. Like the page probe, both functions run inside Chromium and use nothing from this module's scope
// (see page-probe.ts about tsx's `__name`: helpers are methods of one object).
//
// Bytes: every WebSocket of the worker (only the RDP sessions' own) is counted as in the page: the constructor is
// wrapped (a Proxy: `instanceof` and the constants still work) and a 'message' listener counts what it receives. A
// socket opened before the probe (a worker restarted and not yet probed when a session began) would escape that; the
// wrapped WebSocket.prototype.send takes it on at its first send (IronRDP sends input, acknowledgements), from
// which on what it receives is counted too. Every RDP socket goes to the one gateway URL (the grant travels inside
// the RDCleanPath request, not in the URL), so a socket here names the kind of console, not the tab: the soak knows
// it for an RDP socket through the grants the main process handed out (app.ts), and sums it with the page's by kind.
import type { SocketCounts } from './page-probe.ts';

export interface WorkerProbeRead {
  /** The worker's sockets, as the page probe reports the page's: open ones, and closed ones once. */
  sockets: SocketCounts[];
  installed: boolean;
}

/** Installs the counter in the worker it runs in; false if it was there already. Runs in the worker. */
export function installWorkerProbe(): boolean {
  const scope = globalThis as unknown as { __soakWorkerProbe?: unknown; WebSocket: typeof WebSocket };
  if (scope.__soakWorkerProbe) return false;
  interface Tracked extends SocketCounts {
    ws: WebSocket;
  }
  const probe = {
    sockets: new Set<Tracked>(),
    known: new WeakSet<object>(),
    track(ws: WebSocket, url: string) {
      if (probe.known.has(ws)) return;
      probe.known.add(ws);
      const t: Tracked = { ws, url, bytes: 0, messages: 0, lines: 0, open: ws.readyState !== 3 };
      probe.sockets.add(t);
      ws.addEventListener('message', (e: MessageEvent) => {
        t.messages++;
        const data: unknown = e.data;
        if (data instanceof ArrayBuffer) {
          t.bytes += data.byteLength;
          const bytes = new Uint8Array(data);
          for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) t.lines++;
        } else if (typeof data === 'string') {
          t.bytes += data.length;
          for (let i = data.indexOf('\n'); i >= 0; i = data.indexOf('\n', i + 1)) t.lines++;
        } else if (data instanceof Blob) {
          t.bytes += data.size;
        }
      });
      ws.addEventListener('close', () => {
        t.open = false;
      });
    },
    /** WebSocket.send that first takes on a socket opened before the probe (track ignores known ones). */
    sending(native: WebSocket['send']): WebSocket['send'] {
      return function (this: WebSocket, data: Parameters<WebSocket['send']>[0]) {
        probe.track(this, this.url);
        return native.call(this, data);
      };
    },
    take(): WorkerProbeRead {
      const sockets: SocketCounts[] = [];
      for (const t of probe.sockets) {
        sockets.push({ url: t.url, bytes: t.bytes, messages: t.messages, lines: t.lines, open: t.open });
        t.bytes = 0;
        t.messages = 0;
        t.lines = 0;
        if (!t.open) probe.sockets.delete(t);
      }
      return { sockets, installed: true };
    },
  };
  const NativeWebSocket = scope.WebSocket;
  // Replaced through its property descriptor, so the wrapper keeps the native method's attributes.
  const send = Object.getOwnPropertyDescriptor(NativeWebSocket.prototype, 'send')!;
  Object.defineProperty(NativeWebSocket.prototype, 'send', { ...send, value: probe.sending(send.value as WebSocket['send']) });
  scope.WebSocket = new Proxy(NativeWebSocket, {
    construct(target, args: ConstructorParameters<typeof WebSocket>, newTarget) {
      const ws = Reflect.construct(target, args, newTarget) as WebSocket;
      probe.track(ws, String(args[0]));
      return ws;
    },
  });
  Object.defineProperty(scope, '__soakWorkerProbe', { value: probe, enumerable: false });
  return true;
}

/** Reads (and restarts) the worker's counter. Runs in the worker. */
export function readWorkerProbe(): WorkerProbeRead {
  const probe = (globalThis as unknown as { __soakWorkerProbe?: { take(): WorkerProbeRead } }).__soakWorkerProbe;
  return probe ? probe.take() : { sockets: [], installed: false };
}
