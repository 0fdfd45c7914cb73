import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  decodeRdCleanPath,
  encodeRdCleanPath,
  RdCleanPathFormatError,
  RdCleanPathFramer,
  RDCLEANPATH_VERSION,
  type RdCleanPathErrorInfo,
} from './rdcleanpath.ts';
import { formatEndpoint } from './upstream.ts';
import {
  RelaySession,
  type CertificateVerifier,
  type GrantRecord,
  type ServerStreamFilterFactory,
  type SessionStatus,
  type Timeouts,
} from './relay-session.ts';
import { RdCleanPathErrorCode } from '../common/rdcleanpath-codes.ts';

/**
 * The RDCleanPath gateway: a WebSocket endpoint on loopback through which the renderer's WASM RDP client reaches
 * RDP servers. It connects only where the main process allowed: every session needs a one-time token minted by
 * `grant()`, bound to host, port, pre-connection blob and connection order. Anything else is answered with an
 * RDCleanPath error and closed, and one broken session never disturbs the others.
 */

export const GATEWAY_PATH = '/rdcleanpath';

export interface GatewayOptions {
  /** Checks (or asks the user about) the server certificate before the client is answered. */
  verifyCertificate: CertificateVerifier;
  /** Session progress for the main process (forwarded to the page as `session.status`). */
  onStatus?: (status: SessionStatus) => void;
  /** Transform of the server→client plaintext (the xrdp bitmap repair plugs in here). */
  serverFilter?: ServerStreamFilterFactory;
  /** Optional check of the upgrade request's Origin header; the token is the real protection. */
  allowOrigin?: (origin: string | undefined) => boolean;
  path?: string;
  /** How long a grant may wait for its connection. */
  grantTtlMs?: number;
  /** How long a client may take to send its RDCleanPath request. */
  requestTimeoutMs?: number;
  timeouts?: Partial<Timeouts>;
  /** Diagnostic lines; never carries tokens or credentials. */
  log?: (line: string) => void;
}

export interface GrantRequest {
  host: string;
  port: number;
  preConnectionBlob?: string;
  vmconnect: boolean;
  /** Reuse a session id (e.g. chosen by the session service); a fresh one otherwise. */
  sessionId?: string;
}

export interface IssuedGrant {
  sessionId: string;
  token: string;
  /** host:port the client must send as RDCleanPath destination. */
  destination: string;
  /** ws:// URL of this gateway. */
  gatewayUrl: string;
}

interface PendingGrant extends GrantRecord {
  token: string;
  expiresAt: number;
}

export class RdpGateway {
  private readonly wss: WebSocketServer;
  private readonly path: string;
  private readonly grants = new Map<string, PendingGrant>();
  private readonly sessions = new Map<string, RelaySession>();
  private readonly sockets = new Set<WebSocket>();
  private server?: Server;
  private ownServer = false;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(private readonly opts: GatewayOptions) {
    this.path = opts.path ?? GATEWAY_PATH;
    // Client→server RDP messages are small (input, clipboard); 8 MiB bounds a hostile page.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 8 << 20, perMessageDeflate: false });
  }

  /** Listens on its own loopback port. Returns the gateway URL. */
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

  /** Serves on an existing HTTP server's upgrade event (browser mode shares one port); other paths are ignored. */
  attach(server: Server): void {
    if (this.server) throw new Error('the gateway is already attached');
    this.server = server;
    server.on('upgrade', this.onUpgrade);
  }

  /** The HTTP server the gateway serves on (Electron: the console relay shares its port). */
  get httpServer(): Server {
    if (!this.server) throw new Error('the gateway is not listening');
    return this.server;
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error('the gateway is not listening');
    return `ws://${formatEndpoint(addr.address, addr.port)}${this.path}`;
  }

  /** Mints a one-time token for one destination. */
  grant(req: GrantRequest): IssuedGrant {
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) throw new RangeError('port must be 1–65535');
    if (!req.host) throw new RangeError('host is empty');
    this.expireGrants();
    const token = randomBytes(32).toString('base64url');
    const sessionId = req.sessionId ?? randomUUID();
    const destination = formatEndpoint(req.host, req.port);
    this.grants.set(token, {
      token,
      sessionId,
      host: req.host,
      port: req.port,
      destination,
      preConnectionBlob: req.preConnectionBlob || undefined,
      vmconnect: req.vmconnect,
      expiresAt: Date.now() + (this.opts.grantTtlMs ?? 5 * 60_000),
    });
    return { sessionId, token, destination, gatewayUrl: this.url };
  }

  /** Forgets a session's unused grant and ends its connection if one is running. */
  revoke(sessionId: string, reason = 'the session was closed'): void {
    for (const [token, g] of this.grants) if (g.sessionId === sessionId) this.grants.delete(token);
    this.sessions.get(sessionId)?.terminate(reason);
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    for (const s of [...this.sessions.values()]) s.terminate('the gateway stopped');
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

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private expireGrants(): void {
    const now = Date.now();
    for (const [token, g] of this.grants) if (g.expiresAt <= now) this.grants.delete(token);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://loopback').pathname;
    } catch {
      return;
    }
    if (pathname !== this.path) return; // another endpoint of the shared server owns it
    if (this.opts.allowOrigin && !this.opts.allowOrigin(req.headers.origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    const framer = new RdCleanPathFramer();
    let session: RelaySession | undefined;
    let done = false;
    const timer = setTimeout(() => refuse('no RDCleanPath request arrived in time', { errorCode: RdCleanPathErrorCode.general, httpStatus: 408 }), this.opts.requestTimeoutMs ?? 15_000);

    const refuse = (why: string, info: RdCleanPathErrorInfo) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.log(`refused a gateway connection: ${why}`);
      if (ws.readyState === ws.OPEN) {
        ws.send(encodeRdCleanPath({ version: RDCLEANPATH_VERSION, error: info }));
        ws.close(1008, 'refused');
      }
    };

    ws.on('error', (err) => this.log(`gateway WebSocket error: ${err.message}`));
    ws.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(ws);
      session?.onClientClose();
    });
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (session) {
        session.onClientMessage(buf);
        return;
      }
      if (done) return;
      if (!isBinary) {
        refuse('a text message instead of an RDCleanPath request', { errorCode: RdCleanPathErrorCode.general, httpStatus: 400 });
        return;
      }
      try {
        const framed = framer.push(buf);
        if (!framed) return;
        done = true;
        clearTimeout(timer);
        session = this.startSession(ws, framed.pdu, framed.rest, (why, info) => {
          done = false;
          refuse(why, info);
        });
      } catch (err) {
        done = false;
        refuse(err instanceof RdCleanPathFormatError ? err.message : 'a malformed request', { errorCode: RdCleanPathErrorCode.general, httpStatus: 400 });
      }
    });
  }

  private startSession(
    ws: WebSocket,
    der: Buffer,
    rest: Buffer,
    refuse: (why: string, info: RdCleanPathErrorInfo) => void,
  ): RelaySession | undefined {
    const request = decodeRdCleanPath(der);
    if (request.version !== RDCLEANPATH_VERSION) {
      refuse(`unsupported RDCleanPath version ${request.version}`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 400 });
      return undefined;
    }
    this.expireGrants();
    const grant = request.proxyAuth === undefined ? undefined : this.grants.get(request.proxyAuth);
    if (!grant) {
      refuse('unknown, used or expired session token', { errorCode: RdCleanPathErrorCode.general, httpStatus: 403 });
      return undefined;
    }
    // One use only, whatever follows: a token presented with the wrong destination is burnt too.
    this.grants.delete(grant.token);
    const status = (s: SessionStatus) => this.opts.onStatus?.(s);
    if ((request.destination ?? '').toLowerCase() !== grant.destination.toLowerCase()) {
      refuse(`destination does not match the session's grant`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 403 });
      status({ sessionId: grant.sessionId, state: 'closed', reason: 'the page asked for a destination the session was not granted' });
      return undefined;
    }
    if ((request.preconnectionBlob || undefined) !== grant.preConnectionBlob) {
      refuse(`pre-connection blob does not match the session's grant`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 403 });
      status({ sessionId: grant.sessionId, state: 'closed', reason: 'the page sent a pre-connection blob the session was not granted' });
      return undefined;
    }
    const x224 = request.x224ConnectionPdu;
    if (!x224 || x224.length < 11) {
      refuse('the request carries no X.224 connection request', { errorCode: RdCleanPathErrorCode.general, httpStatus: 400 });
      return undefined;
    }
    const session = new RelaySession(ws, { ...request, x224ConnectionPdu: x224 }, grant, {
      verifyCertificate: this.opts.verifyCertificate,
      serverFilter: this.opts.serverFilter,
      timeouts: { connectMs: 10_000, handshakeMs: 15_000, ...this.opts.timeouts },
      log: (line) => this.log(line),
      status: (s) => {
        if (s.state === 'closed') this.sessions.delete(s.sessionId);
        status(s);
      },
    });
    this.sessions.set(grant.sessionId, session);
    void session.start(rest);
    return session;
  }
}
