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
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { chooseSubprotocol, originRefusal, tokenFromRequest } from '../websocket-proxy/request-checks.ts';

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
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has('binary') ? 'binary' : false) });
  const open = new Set<WebSocket>();
  const tcp = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const body = 'nova-serialproxy (demo): open a WebSocket here with ?token=<console token>\n';
    res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 200 : 405, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const choice = chooseSubprotocol(req.headers['sec-websocket-protocol']);
    if ('refused' in choice || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      const reason = 'refused' in choice ? choice.refused : 'Not a WebSocket upgrade';
      socket.end(`HTTP/1.1 400 ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.add(ws);
      ws.once('close', () => open.delete(ws));
      serveConsole(ws, req);
    });
  });

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
    tcp.add(target);
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
      tcp.delete(target);
      // websockify's words when the target ends the session.
      if (ws.readyState === ws.OPEN) ws.close(1000, 'Target closed');
    });
  }

  await new Promise<void>((resolve, reject) => {
    const listen = (port: number, fallback: boolean) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (fallback && err.code === 'EADDRINUSE') listen(0, false);
        else reject(err);
      });
      server.listen(port, opts.host ?? '127.0.0.1', () => {
        server.removeAllListeners('error');
        resolve();
      });
    };
    listen(opts.port ?? 6083, opts.port === undefined);
  });
  server.on('error', (err) => log(`serial proxy server error: ${err.message}`));
  const addr = server.address() as AddressInfo;
  const urlHost = addr.address.includes(':') ? `[${addr.address}]` : addr.address;

  let closing: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    baseUrl: `ws://${urlHost}:${addr.port}/`,
    connectionCount: () => open.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const ws of open) ws.terminate();
        for (const s of tcp) s.destroy();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
