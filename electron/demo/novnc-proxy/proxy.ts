// The demo's nova-novncproxy: what a libvirt cloud's console URLs (http://host:6080/vnc_auto.html?path=%3Ftoken%3D…)
// lead to. It behaves as Nova's proxy does (nova/console/websocketproxy.py on websockify), because clients meet
// exactly that:
//  - a WebSocket upgrade on any path; the token from the `token` query parameter, else a `token` cookie;
//  - subprotocol `binary` when offered (offering others without it is an HTTP 400, websockify's rule);
//  - a bad, unknown or expired token, or a failed Origin check, is found only AFTER the 101: the socket opens,
//    then drops without a close frame (the client sees 1006), as a Python exception ends websockify's handler;
//  - text frames close the socket with 1003 (websockify refuses them);
//  - the RFB security proxy (rfb-security-proxy.ts) between the client and the VM's VNC server, then plain relaying.
// Other HTTP requests get a page saying what the address is (the real proxy serves noVNC's files there).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ByteQueue } from './byte-queue.ts';
import { proxyPage } from './proxy-page.ts';
import { chooseSubprotocol, originRefusal, tokenFromRequest } from '../websocket-proxy/request-checks.ts';
import { SecurityProxyFailure, proxySecurity } from './rfb-security-proxy.ts';

/** What the proxy learns from a valid token (Nova's ConsoleAuthToken). */
export interface NovncTokenInfo {
  instanceUuid: string;
  consoleType: string;
  /** The VM's VNC server. */
  host: string;
  port: number;
  /** The console URL's base; the Origin's scheme is checked against it. */
  accessUrlBase: string;
}

export interface NovncProxyOptions {
  /** Default 6080 (Nova's) when free, else any free port; 0 for any. */
  port?: number;
  host?: string;
  /** The token's record while it is valid (unknown and expired tokens: undefined). */
  lookupToken: (token: string) => NovncTokenInfo | undefined;
  /** Nova's [console] allowed_origins: Origin hosts accepted besides the Host header's. */
  allowedOrigins?: string[];
  log?: (line: string) => void;
}

export interface NovncProxy {
  host: string;
  port: number;
  /** Nova's [vnc] novncproxy_base_url for this proxy. */
  baseUrl: string;
  /** WebSocket connections open now (any phase). */
  connectionCount(): number;
  close(): Promise<void>;
}

/** While this much waits to go to the browser, the VM's socket is not read (and the other way round). */
const HIGH_WATER = 1024 * 1024;

export async function startNovncProxy(opts: NovncProxyOptions): Promise<NovncProxy> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has('binary') ? 'binary' : false) });
  const open = new Set<WebSocket>();
  const tcp = new Set<Socket>();

  const server: Server = createServer((req, res) => proxyPage(req, res, (token) => opts.lookupToken(token)));
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
    const fromClient = new ByteQueue('client');
    let vm: Socket | null = null;
    let relaying = false;
    const drop = (why: string) => {
      log(`novnc proxy ${label}: ${why}`);
      // No close frame: the client sees the connection end abnormally (1006), as with Nova's proxy.
      ws.terminate();
      vm?.destroy();
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        log(`novnc proxy ${label}: text frame refused`);
        ws.close(1003, 'Unsupported: Text frames are not supported');
        vm?.destroy();
        return;
      }
      const bytes = toBuffer(data);
      if (relaying) writeToVm(bytes);
      else fromClient.push(bytes);
    });
    ws.on('close', () => {
      fromClient.fail(new Error('the client closed the connection'));
      vm?.destroy();
    });
    ws.on('error', () => vm?.destroy());

    const writeToVm = (bytes: Buffer) => {
      if (!vm || vm.destroyed) return;
      if (!vm.write(bytes)) {
        ws.pause();
        vm.once('drain', () => ws.resume());
      }
    };

    const token = tokenFromRequest(req.url ?? '/', req.headers.cookie);
    const info = token ? opts.lookupToken(token) : undefined;
    if (!info || info.consoleType !== 'novnc') return drop('invalid or expired token');
    const refusal = originRefusal(
      { origin: req.headers.origin, host: req.headers.host, 'x-forwarded-proto': headerValue(req.headers['x-forwarded-proto']) },
      info.accessUrlBase,
      opts.allowedOrigins,
    );
    if (refusal) return drop(refusal);

    const fromVm = new ByteQueue('VNC server');
    vm = connect(info.port, info.host);
    tcp.add(vm);
    const target = vm;
    target.setNoDelay(true);
    target.on('close', () => {
      tcp.delete(target);
      fromVm.fail(new Error('the VNC server closed the connection'));
      // websockify's words when the target ends the session.
      if (ws.readyState === ws.OPEN) ws.close(1000, 'Target closed');
    });
    target.on('error', (err) => {
      fromVm.fail(err);
      if (!relaying) drop(`cannot reach the VM's VNC server ${info.host}:${info.port}: ${err.message}`);
    });
    target.on('data', (d: Buffer) => {
      if (!relaying) return fromVm.push(d);
      ws.send(d, { binary: true });
      // The browser reads slowly: stop reading the VM until what was sent has left.
      if (ws.bufferedAmount > HIGH_WATER) {
        target.pause();
        const resume = () => (ws.bufferedAmount > HIGH_WATER / 2 ? setTimeout(resume, 10) : target.resume());
        setTimeout(resume, 10);
      }
    });
    target.once('connect', () => {
      const client = { queue: fromClient, send: (b: Buffer) => ws.send(b, { binary: true }) };
      const rfb = { queue: fromVm, send: (b: Buffer) => target.write(b) };
      proxySecurity(client, rfb).then(
        () => {
          relaying = true;
          const early = fromClient.drain();
          if (early.length) writeToVm(early);
          const pending = fromVm.drain();
          if (pending.length) ws.send(pending, { binary: true });
        },
        (err: unknown) => {
          const why = err instanceof Error ? err.message : String(err);
          if (err instanceof SecurityProxyFailure) {
            // Nova sends its failure message, closes the WebSocket normally (websockify's send_close: 1000), then
            // shuts the VM's socket.
            log(`novnc proxy ${label}: security proxy: ${why}`);
            if (ws.readyState === ws.OPEN) ws.close(1000);
            target.end();
          } else drop(why);
        },
      );
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
    listen(opts.port ?? 6080, opts.port === undefined);
  });
  server.on('error', (err) => log(`novnc proxy server error: ${err.message}`));
  const addr = server.address() as AddressInfo;
  const urlHost = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const baseUrl = `http://${urlHost}:${addr.port}/vnc_auto.html`;

  let closing: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    baseUrl,
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
