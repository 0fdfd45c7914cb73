import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A console proxy that behaves as Nova's websockify-based proxies do (nova/console/websocketproxy.py, CONSOLES.md
 * §3): the upgrade is always answered 101 (subprotocol `binary` when offered); then the token (the `token` query
 * parameter, else a `token` cookie) is looked up, and the Origin is checked exactly as Nova checks it: absent is
 * fine (a non-browser client); present, its host name must equal the Host header's host name (or be an allowed
 * origin) and its scheme must match the console's (http for novnc). Any failure drops the connection without a
 * close frame, as Nova does when new_websocket_client raises. Then it relays to the target as binary frames and
 * refuses text frames with 1003. Written from Nova's code, not from the relay's.
 */

export interface ProxyRequest {
  origin?: string;
  protocols?: string;
  host?: string;
  /** Whether the request named a known token (the token itself is not kept). */
  knownToken: boolean;
  /** Why the proxy dropped the connection, if it did. */
  refused?: string;
}

export interface NovaProxyDouble {
  port: number;
  /** The console URL's WebSocket form, as the app hands it to the relay. */
  url(token: string): string;
  addToken(token: string, host: string, port: number): void;
  requests: ProxyRequest[];
  close(): Promise<void>;
}

export async function startNovaProxyDouble(opts: { allowedOrigins?: string[]; accessScheme?: 'http' | 'https' | 'ws' | 'wss' } = {}): Promise<NovaProxyDouble> {
  const targets = new Map<string, { host: string; port: number }>();
  const requests: ProxyRequest[] = [];
  const sockets = new Set<Socket>();
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  http.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (p) => (p.has('binary') ? 'binary' : false) });
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req)));

  function originRefusal(req: IncomingMessage): string | undefined {
    const originUrl = req.headers.origin;
    if (originUrl === undefined) return undefined; // a non-browser client
    let expected = req.headers.host ?? '';
    if (expected.includes(':')) expected = expected.includes('[') && expected.includes(']') ? expected.split(']')[0].slice(1) : expected.split(':')[0];
    const expectedHostnames = [...(opts.allowedOrigins ?? []), expected];
    let hostname = '';
    let scheme = '';
    try {
      const u = new URL(originUrl);
      hostname = u.hostname.replace(/^\[|\]$/g, '');
      scheme = u.protocol.replace(/:$/, '');
    } catch {
      // urlparse of something that is not a URL gives empty parts
    }
    const forwarded = req.headers['x-forwarded-proto'];
    if (typeof forwarded === 'string') scheme = forwarded;
    if (hostname === '' || scheme === '') return 'Origin header not valid.';
    if (!expectedHostnames.includes(hostname)) return 'Origin header does not match this host.';
    // verify_origin_proto: the console URL's scheme, and http/https for ws/wss.
    const access: string = opts.accessScheme ?? 'http';
    const protos = [access];
    if (access === 'ws') protos.push('http');
    if (access === 'wss') protos.push('https');
    if (!protos.includes(scheme)) return 'Origin header protocol does not match this host.';
    return undefined;
  }

  function serve(ws: WebSocket, req: IncomingMessage): void {
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    const cookie = /(?:^|;\s*)token=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    const token = query ?? cookie;
    const target = token ? targets.get(token) : undefined;
    const record: ProxyRequest = {
      origin: req.headers.origin,
      protocols: req.headers['sec-websocket-protocol'],
      host: req.headers.host,
      knownToken: target !== undefined,
    };
    requests.push(record);
    ws.on('error', () => {});
    record.refused = !target ? 'The token has expired or is invalid.' : originRefusal(req);
    if (record.refused || !target) {
      // new_websocket_client raised: websockify logs it and the connection just ends (no close frame).
      (ws as unknown as { _socket: Socket })._socket.destroy();
      return;
    }
    const tcp = connect(target);
    tcp.on('error', () => ws.terminate());
    // Flow control both ways, as websockify's select loop has: a slow side stops the other from being read.
    tcp.on('data', (d) => {
      ws.send(d, { binary: true }, () => {
        if (tcp.isPaused() && ws.bufferedAmount < 1 << 18) tcp.resume();
      });
      if (ws.bufferedAmount > 1 << 20) tcp.pause();
    });
    tcp.on('drain', () => ws.resume());
    tcp.on('close', () => ws.close(1000, 'Target closed'));
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        ws.close(1003, 'Unsupported: Text frames are not supported');
        tcp.destroy();
        return;
      }
      if (!tcp.write(data)) ws.pause();
    });
    ws.on('close', () => tcp.destroy());
  }

  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: (token) => `ws://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`,
    addToken: (token, host, p) => targets.set(token, { host, port: p }),
    requests,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
