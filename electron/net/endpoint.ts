import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { formatEndpoint } from './address.ts';
import { GrantTable } from './grants.ts';

/** What an endpoint needs of a running session: a way to end it. */
export interface EndpointSession {
  terminate(reason: string): void;
}

export interface EndpointSettings<G = unknown> {
  /** The endpoint's path; on a shared HTTP server, upgrades to other paths belong to someone else. */
  path: string;
  /** Names the endpoint in the errors of its own misuse ("the gateway is not listening"). */
  name: string;
  /** How long a grant waits for its page. */
  grantTtlMs: number;
  /** What every running session is told when the endpoint closes. */
  stopReason: string;
  /** Told of each grant that went unused (expired, revoked, cleared), to free what it holds. */
  onGrantDropped?: (grant: G) => void;
  /** Limits of the page's WebSocket (message size, subprotocol); never compressed. */
  websocket: Pick<ServerOptions, 'maxPayload' | 'handleProtocols'>;
}

/**
 * A WebSocket endpoint on loopback that the page reaches with a one-time grant: on its own port (Electron) or on
 * the upgrade event of a shared HTTP server (browser mode). It owns the server, the page's sockets, the grants and
 * the running sessions, so that `revoke` and `close` end everything; what a request must present and what a
 * session does belong to the subclass (the RDP gateway, the console relay).
 */
export abstract class WebSocketEndpoint<G extends { sessionId: string }, S extends EndpointSession> {
  protected readonly grants: GrantTable<G>;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<string, S>();
  private readonly sockets = new Set<WebSocket>();
  private server?: Server;
  private ownServer = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.route(req, socket, head);

  constructor(private readonly settings: EndpointSettings<G>) {
    this.grants = new GrantTable(settings.grantTtlMs, settings.onGrantDropped);
    this.wss = new WebSocketServer({ ...settings.websocket, noServer: true, perMessageDeflate: false });
  }

  /** Listens on its own port (loopback unless told otherwise). Returns the endpoint's URL. */
  async listen(host = '127.0.0.1', port = 0): Promise<string> {
    const server = createServer((_req, res) => {
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.ownServer = true;
    this.attach(server);
    return this.url;
  }

  /** Serves on an existing HTTP server's upgrade event; upgrades to other paths are left alone. */
  attach(server: Server): void {
    if (this.server) throw new Error(`the ${this.settings.name} is already attached`);
    this.server = server;
    server.on('upgrade', this.onUpgrade);
  }

  /** The HTTP server the endpoint serves on (another endpoint may share its port). */
  get httpServer(): Server {
    if (!this.server) throw new Error(`the ${this.settings.name} is not listening`);
    return this.server;
  }

  /** ws://host:port/path. */
  get url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error(`the ${this.settings.name} is not listening`);
    return `ws://${formatEndpoint(addr.address, addr.port)}${this.settings.path}`;
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  /** Forgets a session's unused grant and ends its connection if one is running. */
  revoke(sessionId: string, reason = 'the session was closed'): void {
    this.grants.revoke(sessionId);
    this.sessions.get(sessionId)?.terminate(reason);
  }

  /** Ends every session and page socket, forgets every grant, and closes the server if it is the endpoint's own. */
  async close(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    for (const s of [...this.sessions.values()]) s.terminate(this.settings.stopReason);
    for (const ws of this.sockets) ws.terminate();
    this.grants.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    if (this.ownServer && this.server) {
      const server = this.server;
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.server = undefined;
  }

  /** An upgrade request to this endpoint's path: refuse it (`refuseUpgrade`) or `accept` it. */
  protected abstract upgrade(req: IncomingMessage, url: URL, socket: Duplex, head: Buffer): void;

  /** Completes an upgrade; `close` ends the WebSocket if it is still open then. */
  protected accept(req: IncomingMessage, socket: Duplex, head: Buffer, serve: (ws: WebSocket) => void): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.once('close', () => this.sockets.delete(ws));
      serve(ws);
    });
  }

  /** Registers a running session, so that `revoke` and `close` can end it. */
  protected track(sessionId: string, session: S): void {
    this.sessions.set(sessionId, session);
  }

  /** Forgets a session that ended, unless a newer session of the same id has taken its place. */
  protected untrack(sessionId: string, session: S): void {
    if (this.sessions.get(sessionId) === session) this.sessions.delete(sessionId);
  }

  private route(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://loopback');
    } catch {
      return;
    }
    if (url.pathname !== this.settings.path) return; // another endpoint of the shared server owns it
    this.upgrade(req, url, socket, head);
  }
}

/** Answers an upgrade request with an HTTP error instead, before any WebSocket exists. */
export function refuseUpgrade(socket: Duplex, status: 400 | 403): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
