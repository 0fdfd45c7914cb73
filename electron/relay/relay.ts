import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CertificateVerifier } from '../rdp/relay-session.ts';
import { RelayCloseCode } from '../common/relay-close-codes.ts';
import { formatEndpoint } from './failure.ts';
import {
  DEFAULT_TIMEOUTS,
  RelayedSession,
  type RelayDestination,
  type RelayStatus,
  type RelayTimeouts,
  type ResolvedDestination,
} from './session.ts';

/**
 * The console relay: a WebSocket endpoint on loopback (`/relay`) through which the page reaches VNC consoles (and
 * later serial ones) without ever opening a socket to the outside. The main process resolves a console to a
 * destination and mints a grant for it; the page opens `relayUrl`, and the relay connects to that one destination
 * itself (a console proxy's WebSocket without a page Origin, or TCP to a VNC server) and relays raw bytes as
 * binary frames. A grant is random, single-use and expires unused after 60 s.
 */

export const RELAY_PATH = '/relay';

export interface RelayOptions {
  /** Decides whether a wss proxy's certificate that the CA store does not verify may be used (trust store, user prompt). */
  verifyCertificate: CertificateVerifier;
  /** Session progress for the main process (forwarded to the page as `session.status`). */
  onStatus?: (status: RelayStatus) => void;
  /** Check of the upgrade request's Origin header (browser mode: the page's own origin only); the grant is the real protection. */
  allowOrigin?: (origin: string | undefined) => boolean;
  path?: string;
  /** How long a grant may wait for its page (default 60 s). */
  grantTtlMs?: number;
  timeouts?: Partial<RelayTimeouts>;
  /** CA certificates (PEM) trusted for wss proxies besides Node's store (NODE_EXTRA_CA_CERTS works too). */
  extraCa?: readonly string[];
  /** Diagnostic lines; never carries tokens. */
  log?: (line: string) => void;
}

export interface GrantOptions {
  /** Reuse a session id (e.g. chosen by the session service); a fresh one otherwise. */
  sessionId?: string;
}

export interface IssuedRelayGrant {
  sessionId: string;
  /** ws://127.0.0.1:PORT/relay?grant=… for the page (the contract's RelayGrant.relayUrl). */
  relayUrl: string;
  /** host:port of the proxy or the VNC server, for the tab (never the token). */
  endpoint: string;
}

interface PendingGrant {
  sessionId: string;
  destination: ResolvedDestination;
  endpoint: string;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

/** Page→relay messages are VNC input and clipboard: small. This bounds a hostile page. */
const MAX_PAGE_FRAME = 8 << 20;

export class ConsoleRelay {
  private readonly wss: WebSocketServer;
  private readonly path: string;
  private readonly grants = new Map<string, PendingGrant>();
  private readonly sessions = new Map<string, RelayedSession>();
  private readonly sockets = new Set<WebSocket>();
  private readonly timeouts: RelayTimeouts;
  private server?: Server;
  private ownServer = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(private readonly opts: RelayOptions) {
    this.path = opts.path ?? RELAY_PATH;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_PAGE_FRAME,
      perMessageDeflate: false,
      // noVNC offers `binary` when asked to (or nothing); the relay carries binary frames only.
      handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    });
  }

  /** Listens on its own loopback port (Electron). Returns the relay's base URL. */
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

  /** Serves on an existing HTTP server's upgrade event (browser mode shares the page's port); other paths are left alone. */
  attach(server: Server): void {
    if (this.server) throw new Error('the relay is already attached');
    this.server = server;
    server.on('upgrade', this.onUpgrade);
  }

  /** ws://host:port/relay (without a grant). */
  get url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error('the relay is not listening');
    return `ws://${formatEndpoint(addr.address, addr.port)}${this.path}`;
  }

  /** Mints a single-use grant for one destination. Throws a RangeError for a destination it cannot connect to. */
  grant(destination: RelayDestination, opts: GrantOptions = {}): IssuedRelayGrant {
    const resolved = resolveDestination(destination);
    const endpoint = formatEndpoint(resolved.host, resolved.port);
    const token = randomBytes(32).toString('base64url');
    const sessionId = opts.sessionId ?? randomUUID();
    const ttl = this.opts.grantTtlMs ?? 60_000;
    const timer = setTimeout(() => this.grants.delete(token), ttl);
    timer.unref();
    this.grants.set(token, { sessionId, destination: resolved, endpoint, expiresAt: Date.now() + ttl, timer });
    return { sessionId, relayUrl: `${this.url}?grant=${token}`, endpoint };
  }

  /** Forgets a session's unused grant and ends its connection if one is running. */
  revoke(sessionId: string, reason = 'the session was closed'): void {
    for (const [token, g] of this.grants) {
      if (g.sessionId === sessionId) this.forget(token, g);
    }
    this.sessions.get(sessionId)?.terminate(reason);
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    for (const s of [...this.sessions.values()]) s.terminate('the relay stopped');
    for (const ws of this.sockets) ws.terminate();
    for (const [token, g] of this.grants) this.forget(token, g);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    if (this.ownServer && this.server) {
      const server = this.server;
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.server = undefined;
  }

  private forget(token: string, g: PendingGrant): void {
    clearTimeout(g.timer);
    this.grants.delete(token);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** The grant a request names, taken out of the table whatever happens next (single use); undefined when none is valid. */
  private takeGrant(token: string | null): PendingGrant | undefined {
    if (!token) return undefined;
    const g = this.grants.get(token);
    if (!g) return undefined;
    this.forget(token, g);
    return g.expiresAt > Date.now() ? g : undefined;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://loopback');
    } catch {
      return;
    }
    if (url.pathname !== this.path) return; // another endpoint of the shared server owns it
    const offered = req.headers['sec-websocket-protocol'];
    if (offered !== undefined && !offered.split(',').some((p) => p.trim() === 'binary')) {
      // A client that cannot take binary frames (websockify's old base64 mode) would fail after the upgrade anyway.
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const grant = this.takeGrant(url.searchParams.get('grant'));
    if (this.opts.allowOrigin && !this.opts.allowOrigin(req.headers.origin)) {
      // A grant presented from a foreign origin has leaked: it is burnt, and its tab learns why.
      this.log('refused a relay connection from a page of another origin');
      if (grant) this.opts.onStatus?.({ sessionId: grant.sessionId, state: 'closed', reason: 'the relay refused a page of another origin' });
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.once('close', () => this.sockets.delete(ws));
      if (!grant) {
        // Answered over the WebSocket (not with an HTTP status) so the page can say why; nothing was opened.
        this.log('refused a relay connection: unknown, used or expired grant');
        ws.on('error', () => {});
        ws.close(RelayCloseCode.grantRefused, 'the relay refused the session: its grant is unknown, used or expired (open the console again)');
        return;
      }
      this.startSession(ws, grant);
    });
  }

  private startSession(ws: WebSocket, grant: PendingGrant): void {
    const session = new RelayedSession(ws, { sessionId: grant.sessionId, destination: grant.destination, endpoint: grant.endpoint }, {
      verifyCertificate: this.opts.verifyCertificate,
      timeouts: this.timeouts,
      extraCa: this.opts.extraCa,
      log: (line) => this.log(line),
      status: (s) => {
        if (s.state === 'closed' && this.sessions.get(s.sessionId) === session) this.sessions.delete(s.sessionId);
        this.opts.onStatus?.(s);
      },
    });
    this.sessions.set(grant.sessionId, session);
    void session.start();
  }
}

/** Checks a destination and takes it apart; the URL's token stays inside the URL object. */
function resolveDestination(d: RelayDestination): ResolvedDestination {
  switch (d.kind) {
    case 'tcp': {
      if (!d.host) throw new RangeError('host is empty');
      if (!Number.isInteger(d.port) || d.port < 1 || d.port > 65535) throw new RangeError('port must be 1–65535');
      return { kind: 'tcp', host: unbracket(d.host), port: d.port };
    }
    case 'websocket': {
      let url: URL;
      try {
        url = new URL(d.url);
      } catch {
        throw new RangeError('the console proxy URL is not a URL');
      }
      if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new RangeError('the console proxy URL must be ws:// or wss://');
      if (!url.hostname) throw new RangeError('the console proxy URL has no host');
      if (url.username || url.password) throw new RangeError('the console proxy URL must not carry credentials');
      url.hash = '';
      const secure = url.protocol === 'wss:';
      const port = url.port ? Number(url.port) : secure ? 443 : 80;
      return { kind: 'websocket', url, host: unbracket(url.hostname), port, secure };
    }
  }
}

const unbracket = (host: string) => (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6 ? host.slice(1, -1) : host);

export type { RelayDestination, RelayStatus, RelayTimeouts } from './session.ts';
export { RelayCloseCode } from '../common/relay-close-codes.ts';
