import type { IncomingMessage, Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ConsoleEvents, EventName } from '../common/contract.ts';
import { dispatch, type EventSink, type HandlerTable } from './handlers.ts';

/**
 * The browser-mode transport: the contract (electron/common/contract.ts) over a WebSocket on loopback. A page must present the per-run secret
 * (query `secret=`), and its Host and Origin must be the loopback address the server was opened on, so another
 * site open in the same browser cannot drive the app (DNS rebinding, cross-site WebSocket).
 *
 * Wire format, JSON text frames:
 *   page → host  {"id": n, "name": "<request>", "args": …}
 *   host → page  {"id": n, "reply": {"ok": true, "value": …} | {"ok": false, "error": {code, message}}}
 *   host → page  {"event": "<name>", "payload": …}
 */
export interface WsTransportOptions {
  secret: string;
  /** Origins allowed to connect, e.g. `http://127.0.0.1:5173`. */
  allowedOrigins: () => string[];
  /** Host header values allowed, e.g. `127.0.0.1:5173`. */
  allowedHosts: () => string[];
  path?: string;
}

export interface WsTransport {
  emit: EventSink;
  close(): Promise<void>;
}

export const API_WS_PATH = '/api';

export function secretMatches(given: string | null | undefined, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Host/Origin/secret check shared by every loopback endpoint of browser mode. Returns an HTTP status or 0. */
export function checkLoopbackRequest(req: IncomingMessage, opts: WsTransportOptions, secretFromRequest: string | null): number {
  const host = req.headers.host ?? '';
  if (!opts.allowedHosts().includes(host)) return 421;
  const origin = req.headers.origin;
  if (origin !== undefined && !opts.allowedOrigins().includes(origin)) return 403;
  if (!secretMatches(secretFromRequest, opts.secret)) return 401;
  return 0;
}

/** A message's bytes as text, whichever of its three shapes `ws` delivers it in. */
function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.isBuffer(data) ? data.toString() : Buffer.from(new Uint8Array(data)).toString();
}

export function attachWebSocketApi(server: Server, table: HandlerTable, opts: WsTransportOptions): WsTransport {
  const path = opts.path ?? API_WS_PATH;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const clients = new Set<WebSocket>();

  const onUpgrade = (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    if (url.pathname !== path) return; // another endpoint (the RDP gateway) may own this path
    // A WebSocket from a page always carries an Origin; refuse ones without.
    const status = req.headers.origin === undefined ? 403 : checkLoopbackRequest(req, opts, url.searchParams.get('secret'));
    if (status !== 0) {
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => void onMessage(ws, rawText(data), isBinary));
    });
  };
  server.on('upgrade', onUpgrade);

  async function onMessage(ws: WebSocket, text: string, isBinary: boolean) {
    let msg: { id?: unknown; name?: unknown; args?: unknown };
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(text) as typeof msg;
    } catch {
      ws.close(1003, 'Expected JSON text');
      return;
    }
    if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number') {
      ws.close(1003, 'Expected {id, name, args}');
      return;
    }
    const reply = await dispatch(table, msg.name, msg.args);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, reply }));
  }

  const emit: EventSink = <E extends EventName>(event: E, payload: ConsoleEvents[E]) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };

  return {
    emit,
    close: async () => {
      server.off('upgrade', onUpgrade);
      for (const ws of clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
