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
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { ByteQueue } from './byte-queue.ts';
import { proxyPage } from './proxy-page.ts';
import { originRefusal, tokenFromRequest } from '../websocket-proxy/request-checks.ts';
import { headerValue, startConsoleProxyServer, toBuffer } from '../websocket-proxy/server.ts';
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
    proxy.track(vm);
    const target = vm;
    target.setNoDelay(true);
    target.on('close', () => {
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

  const proxy = await startConsoleProxyServer({
    name: 'novnc proxy',
    defaultPort: 6080,
    port: opts.port,
    host: opts.host,
    onHttp: (req, res) => proxyPage(req, res, (token) => opts.lookupToken(token)),
    serve: serveConsole,
    log,
  });
  return {
    host: proxy.host,
    port: proxy.port,
    baseUrl: `http://${proxy.urlHost}:${proxy.port}/vnc_auto.html`,
    connectionCount: () => proxy.connectionCount(),
    close: () => proxy.close(),
  };
}

