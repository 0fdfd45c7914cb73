import type { WebSocket } from 'ws';
import type { ConsoleEvents } from '../common/contract.ts';
import type { CertificateVerifier } from '../rdp/relay-session.ts';
import { RelayCloseCode } from '../common/relay-close-codes.ts';
import { relayEndCause } from '../common/session-end.ts';
import { BinarySender, toBuffer } from '../net/websocket.ts';
import { closeReason, PageGone, printable, RelayFailure, type Subject } from './failure.ts';
import { checkGreeting } from './rfb.ts';
import type { EarlyUpstream } from './early-upstream.ts';
import type { TlsResult, Upstream, UpstreamEnd } from './upstream.ts';
import { abandon, reach, upgradeToProxy } from './reach.ts';

/**
 * One relayed session, after the page's WebSocket presented a valid grant: open the outside connection (TCP to a
 * VNC server, or a console proxy's WebSocket, over TLS with the certificate checked first), for VNC check that the
 * first bytes are an RFB greeting, then relay bytes both ways as binary frames with backpressure. A serial console
 * has no greeting (it is often silent until a key is pressed): its bytes flow as soon as the proxy's WebSocket is
 * open. Whatever ends a session ends the other side with a close code and a sentence
 * (electron/common/relay-close-codes.ts).
 */

/** What the app forwards to the page as the contract's `session.status` event. */
export type RelayStatus = ConsoleEvents['session.status'];

/** The console a grant carries: VNC (RFB, greeting checked) or a serial port (raw bytes). */
export type RelayConsole = 'vnc' | 'serial';

/** Where a grant leads, resolved by the main process (never by the page). */
export type RelayDestination =
  /**
   * A console proxy's WebSocket: Nova's novnc proxy or websockify for VNC (the default), Nova's serial proxy for
   * `console: 'serial'`: `ws(s)://host:port/…?token=…`.
   */
  | { kind: 'websocket'; url: string; console?: RelayConsole }
  /** A VNC server's TCP port (a `vnc://` address). */
  | { kind: 'tcp'; host: string; port: number };

/** A destination checked and taken apart by `grant()`. */
export type ResolvedDestination =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'websocket'; url: URL; host: string; port: number; secure: boolean; console: RelayConsole };

export interface RelayTimeouts {
  /** TCP connect. */
  connectMs: number;
  /** The TLS handshake with a wss proxy (a trust question is not counted: the user takes the time it takes). */
  tlsMs: number;
  /** The proxy's answer to the WebSocket upgrade. */
  upgradeMs: number;
  /** The RFB ProtocolVersion, once connected. */
  greetingMs: number;
  /**
   * Serial: how long a silent console must stay open after the upgrade to count as started. Nova's proxy checks the
   * token only after the HTTP 101 and then drops the connection; a close before this (with no byte) is that refusal.
   */
  serialSettleMs: number;
  /**
   * A console proxy's WebSocket is pinged this often, and the session counts as lost once nothing (no frame, no
   * pong) came for `silenceMs`: a proxy or network that vanished without a close (half-open) is noticed, and the page
   * reconnects. The limit outlasts a 30 s stall, which is slow rather than lost.
   */
  keepaliveMs: number;
  silenceMs: number;
}

export const DEFAULT_TIMEOUTS: RelayTimeouts = {
  connectMs: 10_000,
  tlsMs: 15_000,
  upgradeMs: 15_000,
  greetingMs: 15_000,
  serialSettleMs: 1500,
  keepaliveMs: 10_000,
  silenceMs: 40_000,
};

/** How sentences name the far side of a destination. */
export function subjectOf(d: ResolvedDestination): Subject {
  return d.kind === 'tcp' ? 'the VNC server' : d.console === 'serial' ? 'the serial console proxy' : 'the console proxy';
}

export interface SessionRecord {
  sessionId: string;
  destination: ResolvedDestination;
  /** host:port, for the log and the trust store. Never the token. */
  endpoint: string;
  /** The way to a VNC console, started when its grant was minted (early-upstream.ts). */
  early?: EarlyUpstream;
}

export interface SessionHooks {
  verifyCertificate: CertificateVerifier;
  status(status: RelayStatus): void;
  log(line: string): void;
  timeouts: RelayTimeouts;
  /** CA certificates (PEM) trusted besides Node's store. */
  extraCa?: readonly string[];
}

/** Page bytes held until the server has shown itself a VNC server (or the serial proxy's WebSocket is open). */
const MAX_HELD_PAGE_BYTES = 1 << 20;

type Phase = 'opening' | 'greeting' | 'relay' | 'closed';

export class RelayedSession {
  private readonly abort = new AbortController();
  private readonly subject: Subject;
  private phase: Phase = 'opening';
  private upstream?: Upstream;
  /** Server bytes toward the page; the upstream is not read while the page's WebSocket holds too much. */
  private readonly toPage: BinarySender;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private greeting: Buffer = Buffer.alloc(0);
  private greetingTimer?: NodeJS.Timeout;
  /** Serial: the console sent a byte, or stayed open past serialSettleMs (before that, a close is a refused token). */
  private started = false;
  private settleTimer?: NodeJS.Timeout;
  /** Strings that must never appear in a reason: the console token and the rest of the proxy URL's query. */
  private readonly secrets: string[] = [];

  constructor(
    private readonly page: WebSocket,
    private readonly record: SessionRecord,
    private readonly hooks: SessionHooks,
  ) {
    const d = record.destination;
    this.subject = subjectOf(d);
    if (d.kind === 'websocket') {
      // Long values only: a short one (`shared=true`) is no secret, and scrubbing it would garble sentences.
      for (const value of d.url.searchParams.values()) if (value.length >= 8) this.secrets.push(value);
      if (d.url.search.length > 9) this.secrets.push(d.url.search.slice(1));
      for (const part of d.url.pathname.split('/')) if (part.length >= 16) this.secrets.push(part);
    }
    this.toPage = new BinarySender(page, { high: () => this.upstream?.pause(), low: () => this.upstream?.resume() });
    page.on('message', (data, isBinary) => this.fromPage(toBuffer(data), isBinary));
    page.on('close', () => this.finish(undefined, 'the page closed the session'));
    page.on('error', (err) => hooks.log(`relay session ${record.sessionId}: page WebSocket error: ${err.message}`));
  }

  get sessionId(): string {
    return this.record.sessionId;
  }

  async start(): Promise<void> {
    this.hooks.status({ sessionId: this.sessionId, state: 'connecting' });
    let upstream: Upstream;
    try {
      upstream = await this.open();
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.phase === 'closed') {
      upstream.close(false);
      return;
    }
    this.upstream = upstream;
    if (this.serial) {
      this.startSerial(upstream);
      return;
    }
    this.phase = 'greeting';
    const seconds = Math.round(this.hooks.timeouts.greetingMs / 1000);
    this.greetingTimer = setTimeout(
      () => this.fail(new RelayFailure(RelayCloseCode.notVnc, `not a VNC server: no RFB greeting came${this.behind()} within ${seconds} s`)),
      this.hooks.timeouts.greetingMs,
    );
    upstream.bind({
      data: (chunk) => this.fromUpstream(chunk),
      drain: () => {
        if (this.page.isPaused) this.page.resume();
      },
      end: (how) => this.upstreamEnded(how),
    });
  }

  private get serial(): boolean {
    const d = this.record.destination;
    return d.kind === 'websocket' && d.console === 'serial';
  }

  /** Serial: nothing to check; bytes flow at once, held page bytes (keys typed while connecting) go first. */
  private startSerial(upstream: Upstream): void {
    this.phase = 'relay';
    this.settleTimer = setTimeout(() => this.serialStarted(), this.hooks.timeouts.serialSettleMs);
    upstream.bind({
      data: (chunk) => {
        this.serialStarted();
        this.fromUpstream(chunk);
      },
      drain: () => {
        if (this.page.isPaused) this.page.resume();
      },
      end: (how) => this.upstreamEnded(how),
    });
    this.flushHeld();
  }

  /** The serial console is running: the tab may say Connected (there is no handshake to wait for). */
  private serialStarted(): void {
    if (this.started || this.phase !== 'relay') return;
    this.started = true;
    clearTimeout(this.settleTimer);
    this.hooks.status({ sessionId: this.sessionId, state: 'connected' });
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const b of held) this.fromPage(b, true);
  }

  /** Ends the session from the main process (the tab closed, the grant was revoked, the relay stops). */
  terminate(reason: string): void {
    this.finish(RelayCloseCode.closedByApp, reason);
  }

  private async open(): Promise<Upstream> {
    const t = this.hooks.timeouts;
    const signal = this.abort.signal;
    const d = this.record.destination;
    const reached = await (this.record.early ? this.record.early.take(signal) : reach(d, this.subject, t, signal, this.hooks.extraCa));
    if ('upstream' in reached) return reached.upstream;
    // A wss proxy whose certificate the CA store does not verify: the upgrade request carries the console token, so
    // it is sent only once the certificate is trusted.
    try {
      await this.checkCertificate(reached.unverified);
    } catch (err) {
      abandon(reached);
      throw err;
    }
    return upgradeToProxy(reached.url, reached.unverified.tls, this.subject, t, signal);
  }

  private async checkCertificate({ tls, chain, authorizationError }: TlsResult): Promise<void> {
    const signal = this.abort.signal;
    if (chain.length === 0) throw new RelayFailure(RelayCloseCode.certificateNotTrusted, `${this.subject} presented no TLS certificate`);
    let trusted: boolean;
    try {
      trusted = await this.hooks.verifyCertificate({ sessionId: this.sessionId, endpoint: this.record.endpoint, certificate: chain[0], chain, signal });
    } catch (err) {
      if (signal.aborted) throw new PageGone();
      throw new RelayFailure(RelayCloseCode.certificateNotTrusted, `the certificate of ${this.subject} could not be checked: ${printable(errorMessage(err), 80)}`);
    }
    if (signal.aborted) throw new PageGone();
    if (!trusted) {
      throw new RelayFailure(
        RelayCloseCode.certificateNotTrusted,
        `${this.subject}'s certificate is not trusted (${authorizationError ?? 'unverified'}): rejected, or not the pinned one`,
      );
    }
    // A decision can take a while (the user reads the prompt); the proxy may have given up meanwhile.
    if (tls.destroyed || !tls.writable) {
      throw new RelayFailure(RelayCloseCode.connectionLost, `${this.subject} closed the connection while its certificate was being checked; try again`);
    }
  }

  /** " behind the console proxy" for a proxied console: the VNC server is the one the proxy reached. */
  private behind(): string {
    return this.record.destination.kind === 'websocket' ? ' through the console proxy' : '';
  }

  private fromPage(data: Buffer, isBinary: boolean): void {
    if (this.phase === 'closed') return;
    if (!isBinary) {
      this.finish(1003, 'the page sent a text frame; the relay carries binary frames only');
      return;
    }
    if (this.phase === 'relay') {
      if (!this.upstream!.write(data) && !this.page.isPaused) this.page.pause();
      return;
    }
    this.heldBytes += data.length;
    if (this.heldBytes > MAX_HELD_PAGE_BYTES) {
      this.finish(RelayCloseCode.pageOverflow, 'the page sent too much data before the server was ready');
      return;
    }
    this.held.push(data);
  }

  private fromUpstream(chunk: Buffer): void {
    if (this.phase === 'relay') {
      this.sendPage(chunk);
      return;
    }
    if (this.phase !== 'greeting') return;
    this.greeting = Buffer.concat([this.greeting, chunk]);
    switch (checkGreeting(this.greeting)) {
      case 'partial':
        return;
      case 'mismatch':
        this.fail(new RelayFailure(RelayCloseCode.notVnc, `not a VNC server${this.behind()}: its first bytes were "${printable(this.greeting.subarray(0, 12).toString('latin1'), 12)}", not an RFB greeting`));
        return;
      case 'match': {
        clearTimeout(this.greetingTimer);
        this.phase = 'relay';
        this.hooks.status({ sessionId: this.sessionId, state: 'connected' });
        const first = this.greeting;
        this.greeting = Buffer.alloc(0);
        this.sendPage(first);
        this.flushHeld();
        return;
      }
    }
  }

  private sendPage(data: Buffer): void {
    if (this.phase === 'closed' || data.length === 0) return;
    this.toPage.send(data);
  }

  private upstreamEnded(how: UpstreamEnd): void {
    if (this.phase === 'closed') return;
    this.fail(this.describeEnd(how));
  }

  private describeEnd(how: UpstreamEnd): RelayFailure {
    if (this.serial) return this.describeSerialEnd(how);
    const s = this.subject;
    const started = this.phase === 'relay';
    const gotBytes = started || this.greeting.length > 0;
    switch (how.kind) {
      case 'protocol':
        return new RelayFailure(RelayCloseCode.proxyProtocolError, `${s} broke the WebSocket protocol: ${how.message}`);
      case 'silent':
        return silentFailure(s, how.ms);
      case 'closed':
      case 'reset':
        if (!gotBytes) return new RelayFailure(RelayCloseCode.serverClosed, `${s} closed the connection before saying anything: not a VNC server, or it turned this client away`);
        if (!started) return new RelayFailure(RelayCloseCode.notVnc, 'not a VNC server: the connection ended inside the RFB greeting');
        return how.kind === 'closed'
          ? new RelayFailure(RelayCloseCode.serverClosed, `${s} closed the session`)
          : new RelayFailure(RelayCloseCode.connectionLost, `the connection to ${s} was lost (${how.code ?? 'reset'})`);
      case 'ws-close': {
        const said = wsCloseSaid(how);
        if (!gotBytes) return closedAtOnce(s, how);
        if (!started) return new RelayFailure(RelayCloseCode.notVnc, 'not a VNC server through the console proxy: the connection ended inside the RFB greeting');
        if (how.code === 1006) return new RelayFailure(RelayCloseCode.connectionLost, 'the connection to the console proxy was lost (no close frame)');
        return new RelayFailure(RelayCloseCode.serverClosed, `the console proxy closed the session${said ? ` (${said})` : ''}`);
      }
    }
  }

  /** A serial console has no greeting: only whether it had started tells a refused token from a session's end. */
  private describeSerialEnd(how: UpstreamEnd): RelayFailure {
    const s = this.subject;
    if (how.kind === 'protocol') return new RelayFailure(RelayCloseCode.proxyProtocolError, `${s} broke the WebSocket protocol: ${how.message}`);
    if (how.kind === 'silent') return silentFailure(s, how.ms);
    if (how.kind !== 'ws-close') return new RelayFailure(RelayCloseCode.connectionLost, `the connection to ${s} was lost`);
    if (!this.started) return closedAtOnce(s, how);
    const said = wsCloseSaid(how);
    if (how.code === 1006) return new RelayFailure(RelayCloseCode.connectionLost, `the connection to ${s} was lost (no close frame)`);
    return new RelayFailure(RelayCloseCode.serverClosed, `${s} closed the connection${said ? ` (${said})` : ''}`);
  }

  private fail(err: unknown): void {
    if (err instanceof PageGone) this.finish(undefined, err.message);
    else if (err instanceof RelayFailure) this.finish(err.code, err.reason);
    else this.finish(RelayCloseCode.internal, `internal relay error: ${printable(errorMessage(err), 80)}`);
  }

  /** Ends both sides once. `code` undefined: the page is already gone. */
  private finish(code: number | undefined, why: string): void {
    if (this.phase === 'closed') return;
    const graceful = code === undefined || code === RelayCloseCode.closedByApp;
    this.phase = 'closed';
    this.abort.abort();
    clearTimeout(this.greetingTimer);
    clearTimeout(this.settleTimer);
    this.held = [];
    this.upstream?.close(graceful);
    const reason = this.scrub(why);
    const page = this.page;
    if (code !== undefined && (page.readyState === page.OPEN || page.readyState === page.CONNECTING)) page.close(code, closeReason(reason));
    this.hooks.log(`relay session ${this.sessionId} to ${this.record.endpoint} closed: ${reason}`);
    this.hooks.status({ sessionId: this.sessionId, state: 'closed', reason, cause: code === undefined ? 'closed-by-app' : relayEndCause(code) });
  }

  /** Text that came from the far side (a close reason, a status line) could echo the token: it never leaves here. */
  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('…');
    return out;
  }
}

type WsClose = { code: number; reason: string };

/** What a proxy's close frame said ("1011 Failed to connect…"); empty for 1005 (a frame without a code) and 1006 (no frame). */
function wsCloseSaid(how: WsClose): string {
  return how.code !== 1005 && how.code !== 1006 ? `${how.code}${how.reason ? ' ' + printable(how.reason, 60) : ''}` : '';
}

/**
 * The proxy dropped the connection right after the upgrade, before the console started: Nova checks the token (and
 * the Origin) only after the HTTP 101. Without a reason (no close frame, or a bare 1000/1001) that is its answer to a
 * bad or expired token; a reason is quoted (websockify's "1011 Failed to connect to downstream server").
 */
/** The keepalive went unanswered: the connection is as good as lost (nothing says so: no close, no reset). */
function silentFailure(subject: Subject, ms: number): RelayFailure {
  return new RelayFailure(RelayCloseCode.connectionLost, `the connection to ${subject} was lost (no answer for ${Math.round(ms / 1000)} s)`);
}

function closedAtOnce(subject: Subject, how: WsClose): RelayFailure {
  const bare = (how.code === 1000 || how.code === 1001) && !how.reason;
  const said = bare ? '' : wsCloseSaid(how);
  return said
    ? new RelayFailure(RelayCloseCode.closedAtOnce, `${subject} closed the connection at once, before the console started (${said})`)
    : new RelayFailure(RelayCloseCode.closedAtOnce, `${subject} closed the connection at once: the console token was refused or has expired`);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
