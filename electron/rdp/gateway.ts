import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  decodeRdCleanPath,
  encodeRdCleanPath,
  RdCleanPathFormatError,
  RdCleanPathFramer,
  RDCLEANPATH_VERSION,
  type RdCleanPathErrorInfo,
} from './rdcleanpath.ts';
import {
  RelaySession,
  type CertificateVerifier,
  type GrantRecord,
  type ServerStreamFilterFactory,
  type SessionStatus,
  type Timeouts,
} from './relay-session.ts';
import { RdCleanPathErrorCode } from '../common/rdcleanpath-codes.ts';
import { formatEndpoint } from '../net/address.ts';
import { refuseUpgrade, WebSocketEndpoint } from '../net/endpoint.ts';
import { toBuffer } from '../net/websocket.ts';

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

export class RdpGateway extends WebSocketEndpoint<GrantRecord, RelaySession> {
  constructor(private readonly opts: GatewayOptions) {
    super({
      name: 'gateway',
      path: opts.path ?? GATEWAY_PATH,
      grantTtlMs: opts.grantTtlMs ?? 5 * 60_000,
      stopReason: 'the gateway stopped',
      // Client→server RDP messages are small (input, clipboard); 8 MiB bounds a hostile page.
      websocket: { maxPayload: 8 << 20 },
    });
  }

  /** Mints a one-time token for one destination. */
  grant(req: GrantRequest): IssuedGrant {
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) throw new RangeError('port must be 1–65535');
    if (!req.host) throw new RangeError('host is empty');
    const sessionId = req.sessionId ?? randomUUID();
    const destination = formatEndpoint(req.host, req.port);
    const token = this.grants.issue({
      sessionId,
      host: req.host,
      port: req.port,
      destination,
      preConnectionBlob: req.preConnectionBlob || undefined,
      vmconnect: req.vmconnect,
    });
    return { sessionId, token, destination, gatewayUrl: this.url };
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  protected upgrade(req: IncomingMessage, _url: URL, socket: Duplex, head: Buffer): void {
    if (this.opts.allowOrigin && !this.opts.allowOrigin(req.headers.origin)) {
      refuseUpgrade(socket, 403);
      return;
    }
    this.accept(req, socket, head, (ws) => this.serve(ws));
  }

  private serve(ws: WebSocket): void {
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
      session?.onClientClose();
    });
    ws.on('message', (data, isBinary) => {
      const buf = toBuffer(data);
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
    // One use only, whatever follows: a token presented with the wrong destination is burnt too.
    const grant = this.grants.take(request.proxyAuth);
    if (!grant) {
      refuse('unknown, used or expired session token', { errorCode: RdCleanPathErrorCode.general, httpStatus: 403 });
      return undefined;
    }
    const status = (s: SessionStatus) => this.opts.onStatus?.(s);
    if ((request.destination ?? '').toLowerCase() !== grant.destination.toLowerCase()) {
      refuse(`destination does not match the session's grant`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 403 });
      status({ sessionId: grant.sessionId, state: 'closed', reason: 'the page asked for a destination the session was not granted', cause: 'refused' });
      return undefined;
    }
    if ((request.preconnectionBlob || undefined) !== grant.preConnectionBlob) {
      refuse(`pre-connection blob does not match the session's grant`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 403 });
      status({ sessionId: grant.sessionId, state: 'closed', reason: 'the page sent a pre-connection blob the session was not granted', cause: 'refused' });
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
        if (s.state === 'closed') this.untrack(s.sessionId, session);
        status(s);
      },
    });
    this.track(grant.sessionId, session);
    void session.start(rest);
    return session;
  }
}
