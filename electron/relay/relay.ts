import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { CertificateVerifier } from '../rdp/relay-session.ts';
import { RelayCloseCode } from '../common/relay-close-codes.ts';
import { formatEndpoint } from '../net/address.ts';
import { refuseUpgrade, WebSocketEndpoint } from '../net/endpoint.ts';
import { EarlyUpstream } from './early-upstream.ts';
import {
  DEFAULT_TIMEOUTS,
  RelayedSession,
  subjectOf,
  type RelayDestination,
  type RelayStatus,
  type RelayTimeouts,
  type ResolvedDestination,
} from './session.ts';

/**
 * The console relay: a WebSocket endpoint on loopback (`/relay`) through which the page reaches VNC and serial
 * consoles without ever opening a socket to the outside. The main process resolves a console to a
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
  /** The way to a VNC console, started at once (early-upstream.ts). */
  early?: EarlyUpstream;
}

/** Page→relay messages are VNC input and clipboard, or typed and pasted text: small. This bounds a hostile page. */
const MAX_PAGE_FRAME = 8 << 20;

export class ConsoleRelay extends WebSocketEndpoint<PendingGrant, RelayedSession> {
  private readonly timeouts: RelayTimeouts;

  constructor(private readonly opts: RelayOptions) {
    super({
      name: 'relay',
      path: opts.path ?? RELAY_PATH,
      grantTtlMs: opts.grantTtlMs ?? 60_000,
      stopReason: 'the relay stopped',
      onGrantDropped: (grant) => grant.early?.drop(),
      websocket: {
        maxPayload: MAX_PAGE_FRAME,
        // noVNC offers `binary` when asked to (or nothing), the serial tab offers it; the relay carries binary frames only.
        handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
      },
    });
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  }

  /** Mints a single-use grant for one destination. Throws a RangeError for a destination it cannot connect to. */
  grant(destination: RelayDestination, opts: GrantOptions = {}): IssuedRelayGrant {
    const resolved = resolveDestination(destination);
    const endpoint = formatEndpoint(resolved.host, resolved.port);
    const sessionId = opts.sessionId ?? randomUUID();
    // VNC only: a serial proxy's refusal of a token is told by a close soon after the upgrade (see early-upstream.ts).
    const vnc = resolved.kind === 'tcp' || resolved.console === 'vnc';
    const early = vnc ? new EarlyUpstream(resolved, subjectOf(resolved), this.timeouts, this.opts.extraCa) : undefined;
    const token = this.grants.issue({ sessionId, destination: resolved, endpoint, ...(early ? { early } : {}) });
    return { sessionId, relayUrl: `${this.url}?grant=${token}`, endpoint };
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  protected upgrade(req: IncomingMessage, url: URL, socket: Duplex, head: Buffer): void {
    const offered = req.headers['sec-websocket-protocol'];
    if (offered !== undefined && !offered.split(',').some((p) => p.trim() === 'binary')) {
      // A client that cannot take binary frames (websockify's old base64 mode) would fail after the upgrade anyway.
      refuseUpgrade(socket, 400);
      return;
    }
    const grant = this.grants.take(url.searchParams.get('grant'));
    if (this.opts.allowOrigin && !this.opts.allowOrigin(req.headers.origin)) {
      // A grant presented from a foreign origin has leaked: it is burnt, and its tab learns why.
      this.log('refused a relay connection from a page of another origin');
      grant?.early?.drop();
      if (grant) this.opts.onStatus?.({ sessionId: grant.sessionId, state: 'closed', reason: 'the relay refused a page of another origin', cause: 'refused' });
      refuseUpgrade(socket, 403);
      return;
    }
    this.accept(req, socket, head, (ws) => {
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
    const session = new RelayedSession(ws, { sessionId: grant.sessionId, destination: grant.destination, endpoint: grant.endpoint, early: grant.early }, {
      verifyCertificate: this.opts.verifyCertificate,
      timeouts: this.timeouts,
      extraCa: this.opts.extraCa,
      log: (line) => this.log(line),
      status: (s) => {
        if (s.state === 'closed') this.untrack(s.sessionId, session);
        this.opts.onStatus?.(s);
      },
    });
    this.track(grant.sessionId, session);
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
      return { kind: 'websocket', url, host: unbracket(url.hostname), port, secure, console: d.console ?? 'vnc' };
    }
  }
}

const unbracket = (host: string) => (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6 ? host.slice(1, -1) : host);

export type { RelayConsole, RelayDestination, RelayStatus, RelayTimeouts } from './session.ts';
export { RelayCloseCode } from '../common/relay-close-codes.ts';
