// The demo's nova-serialproxy: where serial console URLs (ws://host:6083/?token=…) lead. Nova's serial proxy is the
// same websockify-based handler as its noVNC proxy (nova/console/websocketproxy.py) without a security proxy, so it
// behaves the same up to the relaying, which is of raw bytes both ways:
//  - a WebSocket upgrade on any path; the token from the `token` query parameter, else a `token` cookie;
//  - subprotocol `binary` when offered (offering others without it is an HTTP 400, websockify's rule);
//  - a bad, unknown or expired token, a failed Origin check or an unreachable serial port is found only AFTER the
//    101: the socket opens, then drops without a close frame (the client sees 1006);
//  - text frames close the socket with 1003 (websockify refuses them);
//  - when the VM's side ends (the VM stopped), the client gets a normal close, 1000 "Target closed".
// Plain HTTP requests (no upgrade) get a short page naming the address.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { originRefusal, tokenFromRequest } from '../websocket-proxy/request-checks.ts';
import { headerValue, startConsoleProxyServer, toBuffer } from '../websocket-proxy/server.ts';

/** What the proxy learns from a valid token (Nova's ConsoleAuthToken). */
export interface SerialTokenInfo {
  /** The VM's serial port. */
  host: string;
  port: number;
  /** The console URL's base; the Origin's scheme is checked against it. */
  accessUrlBase: string;
}

export interface SerialProxyOptions {
  /** Default 6083 (Nova's) when free, else any free port; 0 for any. */
  port?: number;
  host?: string;
  /** The token's record while it is valid (unknown and expired tokens: undefined). */
  lookupToken: (token: string) => SerialTokenInfo | undefined;
  /** Nova's [console] allowed_origins: Origin hosts accepted besides the Host header's. */
  allowedOrigins?: string[];
  log?: (line: string) => void;
}

export interface SerialProxy {
  host: string;
  port: number;
  /** Nova's [serial_console] base_url for this proxy. */
  baseUrl: string;
  /** WebSocket connections open now. */
  connectionCount(): number;
  close(): Promise<void>;
}

/** While this much waits to go to the client, the serial port is not read. */
const HIGH_WATER = 256 * 1024;

export async function startSerialProxy(opts: SerialProxyOptions): Promise<SerialProxy> {
  const log = opts.log ?? ((line: string) => console.error(line));

  /** One console connection, after the 101 (where Nova's proxy does all its checks). */
  function serveConsole(ws: WebSocket, req: IncomingMessage): void {
    const label = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    let port: Socket | null = null;
    const early: Buffer[] = [];
    const drop = (why: string) => {
      log(`serial proxy ${label}: ${why}`);
      // No close frame: the client sees the connection end abnormally (1006), as with Nova's proxy.
      ws.terminate();
      port?.destroy();
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        log(`serial proxy ${label}: text frame refused`);
        ws.close(1003, 'Unsupported: Text frames are not supported');
        port?.destroy();
        return;
      }
      const bytes = toBuffer(data);
      if (port && !port.connecting) port.write(bytes);
      else early.push(bytes);
    });
    ws.on('close', () => port?.destroy());
    ws.on('error', () => port?.destroy());

    const token = tokenFromRequest(req.url ?? '/', req.headers.cookie);
    const info = token ? opts.lookupToken(token) : undefined;
    if (!info) return drop('invalid or expired token');
    const refusal = originRefusal(
      { origin: req.headers.origin, host: req.headers.host, 'x-forwarded-proto': headerValue(req.headers['x-forwarded-proto']) },
      info.accessUrlBase,
      opts.allowedOrigins,
    );
    if (refusal) return drop(refusal);

    const target = connect(info.port, info.host);
    port = target;
    proxy.track(target);
    target.setNoDelay(true);
    let connected = false;
    target.once('connect', () => {
      connected = true;
      for (const b of early.splice(0)) target.write(b);
    });
    target.on('data', (d: Buffer) => {
      ws.send(d, { binary: true });
      if (ws.bufferedAmount > HIGH_WATER) {
        target.pause();
        const resume = () => (ws.bufferedAmount > HIGH_WATER / 2 ? setTimeout(resume, 10) : target.resume());
        setTimeout(resume, 10);
      }
    });
    target.on('error', (err) => {
      if (!connected) drop(`cannot reach the serial port ${info.host}:${info.port}: ${err.message}`);
    });
    target.on('close', () => {
      // websockify's words when the target ends the session.
      if (ws.readyState === ws.OPEN) ws.close(1000, 'Target closed');
    });
  }

  const proxy = await startConsoleProxyServer({
    name: 'serial proxy',
    defaultPort: 6083,
    port: opts.port,
    host: opts.host,
    onHttp: httpPage,
    serve: serveConsole,
    log,
  });
  return {
    host: proxy.host,
    port: proxy.port,
    baseUrl: `ws://${proxy.urlHost}:${proxy.port}/`,
    connectionCount: () => proxy.connectionCount(),
    close: () => proxy.close(),
  };
}

/** Plain HTTP (no upgrade): a line saying what this address is. */
function httpPage(req: IncomingMessage, res: ServerResponse): void {
  const body = 'nova-serialproxy (demo): open a WebSocket here with ?token=<console token>\n';
  res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 200 : 405, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
