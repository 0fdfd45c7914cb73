// What the demo's console proxies (noVNC, serial) share, as Nova's share websockify: an HTTP server whose upgrades
// become WebSockets (`binary` subprotocol when offered, websockify's 400s otherwise), Nova's port when free, the
// open WebSockets and VM sockets to end on close. What each proxy does with a connection is its own.
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { chooseSubprotocol } from './request-checks.ts';

export interface ConsoleProxyServerOptions {
  /** For log lines: "novnc proxy", "serial proxy". */
  name: string;
  /** Nova's port for this proxy, taken when `port` is undefined and it is free (else any free port). */
  defaultPort: number;
  port?: number;
  host?: string;
  /** Plain HTTP requests (no upgrade). */
  onHttp: RequestListener;
  /** One console connection, after the 101 (where Nova's proxies do all their checks). */
  serve: (ws: WebSocket, req: IncomingMessage) => void;
  log: (line: string) => void;
}

export interface ConsoleProxyServer {
  host: string;
  port: number;
  /** The host as a URL writes it (IPv6 in brackets). */
  urlHost: string;
  /** A socket to the VM, destroyed when the proxy closes. */
  track(vm: Socket): void;
  connectionCount(): number;
  close(): Promise<void>;
}

export async function startConsoleProxyServer(opts: ConsoleProxyServerOptions): Promise<ConsoleProxyServer> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has('binary') ? 'binary' : false) });
  const open = new Set<WebSocket>();
  const tcp = new Set<Socket>();
  const server = createServer(opts.onHttp);
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
      opts.serve(ws, req);
    });
  });

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
    listen(opts.port ?? opts.defaultPort, opts.port === undefined);
  });
  server.on('error', (err) => opts.log(`${opts.name} server error: ${err.message}`));
  const addr = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    urlHost: addr.address.includes(':') ? `[${addr.address}]` : addr.address,
    track(vm) {
      tcp.add(vm);
      vm.once('close', () => tcp.delete(vm));
    },
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

export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
