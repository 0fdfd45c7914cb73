import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { RelayCloseCode } from '../common/relay-close-codes.ts';
import { errnoCause, reword } from '../net/errors.ts';
import { connectTcp } from '../net/tcp.ts';
import { peerChain, startTls } from '../net/tls.ts';
import { BinarySender, toBuffer } from '../net/websocket.ts';
import { networkFailure, PageGone, printable, RelayFailure, type Subject } from './failure.ts';

/**
 * The relay's side toward the outside: TCP connect, TLS toward a wss console proxy, the proxy's WebSocket upgrade,
 * and the two kinds of open connection (a TCP socket, a proxy WebSocket) behind one small interface. Every failure
 * becomes a RelayFailure with a close code and a sentence; none of them carries the console token.
 */

/** How the far side ended an open connection; the session turns it into a sentence (it knows whether bytes came). */
export type UpstreamEnd =
  /** TCP: the server closed the connection in order. */
  | { kind: 'closed' }
  /** TCP: the connection broke (reset, broken pipe). */
  | { kind: 'reset'; code?: string }
  /** WebSocket: the proxy's close frame, or 1006 when the connection ended without one. */
  | { kind: 'ws-close'; code: number; reason: string }
  /** WebSocket: the proxy broke the protocol (a text frame, an invalid frame). */
  | { kind: 'protocol'; message: string }
  /** WebSocket: nothing came (no frame, no pong) for `ms`: the connection is presumed lost and was dropped. */
  | { kind: 'silent'; ms: number };

export interface UpstreamHandlers {
  data(chunk: Buffer): void;
  /** The upstream's send buffer went low again after write() returned false. */
  drain(): void;
  end(how: UpstreamEnd): void;
}

/** An open connection toward the server: bytes in and out, flow control, and an end. */
export interface Upstream {
  /** Starts delivering events (anything that arrived before is delivered first, in order). */
  bind(handlers: UpstreamHandlers): void;
  /** Sends bytes; false when the send buffer is high (stop reading the page until `drain`). */
  write(data: Buffer): boolean;
  pause(): void;
  resume(): void;
  /** Ends the connection: politely (a close frame to a proxy) or at once. */
  close(graceful: boolean): void;
}

/** TCP to the VNC server or the console proxy; a failure is said in the relay's terms. */
export function connectUpstream(host: string, port: number, subject: Subject, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return reword(connectTcp(host, port, { timeoutMs, signal }), (err) => {
    switch (err.kind) {
      case 'aborted':
        return new PageGone();
      case 'timeout':
        return networkFailure({ code: 'ETIMEDOUT' }, subject, host);
      case 'closed':
      case 'error':
        return networkFailure(err, subject, host);
    }
  });
}

export interface TlsResult {
  tls: TLSSocket;
  /** Verified against the CA store and the host name: no one needs to be asked. */
  authorized: boolean;
  /** Why not, in words (for the trust question's outcome). */
  authorizationError?: string;
  /** The proxy's certificate chain, leaf first, as DER. */
  chain: Buffer[];
}

/**
 * TLS toward a wss console proxy. Nothing is rejected here: the caller trusts a certificate the CA store and host
 * name verify, and otherwise asks the trust hook (pinning, like RDP servers) before sending the upgrade request,
 * which carries the console token.
 */
export async function proxyTls(socket: Socket, host: string, subject: Subject, timeoutMs: number, signal: AbortSignal, extraCa?: readonly string[]): Promise<TlsResult> {
  const tls = await reword(startTls(socket, { host, timeoutMs, signal, alpn: ['http/1.1'], extraCa }), (err) => {
    switch (err.kind) {
      case 'aborted':
        return new PageGone();
      case 'timeout':
        return new RelayFailure(RelayCloseCode.timeout, `timed out during the TLS handshake with ${subject}`);
      case 'closed':
        return new RelayFailure(RelayCloseCode.tlsFailure, `${subject} closed the connection during the TLS handshake (is it a TLS port?)`);
      case 'error':
        return errnoCause(err) === 'reset'
          ? new RelayFailure(RelayCloseCode.tlsFailure, `${subject} reset the connection during the TLS handshake (is it a TLS port?)`)
          : new RelayFailure(RelayCloseCode.tlsFailure, `the TLS handshake with ${subject} failed: ${printable(err.message, 80)}`);
    }
  });
  return {
    tls,
    authorized: tls.authorized,
    authorizationError: tls.authorized ? undefined : describeAuthorizationError(tls.authorizationError),
    chain: peerChain(tls),
  };
}

/** Node's verification error codes, in words. */
function describeAuthorizationError(error: unknown): string {
  // Typed as an Error; Node stores the OpenSSL code (a string) there.
  const e = error as (Error & { code?: string }) | string | undefined;
  const code = typeof e === 'string' ? e : (e?.code ?? e?.message ?? 'unverified');
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'self-signed';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return 'not signed by a trusted authority';
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'issued for another name';
    default:
      return printable(code, 60);
  }
}

/** A TCP connection to a VNC server. */
export class TcpUpstream implements Upstream {
  private handlers?: UpstreamHandlers;
  private lastError?: NodeJS.ErrnoException;
  private ended = false;

  constructor(private readonly socket: Socket) {
    socket.on('error', (err: NodeJS.ErrnoException) => (this.lastError = err));
  }

  bind(handlers: UpstreamHandlers): void {
    this.handlers = handlers;
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => handlers.data(chunk));
    socket.on('drain', () => handlers.drain());
    socket.once('close', () => this.end());
    if (socket.destroyed) this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers?.end(this.lastError ? { kind: 'reset', code: this.lastError.code } : { kind: 'closed' });
  }

  write(data: Buffer): boolean {
    if (this.socket.destroyed) return true;
    return this.socket.write(data);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.ended = true;
    this.socket.destroy();
  }
}

/** What an upgrade needs besides the socket. */
export interface UpgradeOptions {
  /** The proxy as sentences name it ("the console proxy", "the serial console proxy"). */
  subject: Subject;
  timeoutMs: number;
  signal: AbortSignal;
  /** Largest frame accepted from the proxy. */
  maxPayload: number;
  /** Ping the proxy every `intervalMs`; end the session as `silent` after `silenceMs` with nothing heard. */
  keepalive: { intervalMs: number; silenceMs: number };
}

/**
 * The console proxy's WebSocket over an already connected (and, for wss, trusted) socket: subprotocol `binary`, no
 * Origin header (Nova's proxies refuse a page's Origin, and accept none), no compression, no redirects.
 * Resolves once the proxy answered 101; events that arrive before `bind` are kept for it.
 */
export function upgradeProxy(url: URL, socket: Socket, opts: UpgradeOptions): Promise<WsUpstream> {
  return new Promise((resolve, reject) => {
    if (opts.signal.aborted) {
      socket.destroy();
      return reject(new PageGone());
    }
    const subject = opts.subject;
    const ws = new WebSocket(url, ['binary'], {
      createConnection: () => socket,
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload: opts.maxPayload,
    });
    ws.binaryType = 'nodebuffer';
    const upstream = new WsUpstream(ws, opts.keepalive);
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      if (err) {
        ws.terminate();
        socket.destroy();
        reject(err);
      } else resolve(upstream);
    };
    const onAbort = () => settle(new PageGone());
    const timer = setTimeout(() => settle(new RelayFailure(RelayCloseCode.timeout, `${subject} did not answer the WebSocket upgrade in time`)), opts.timeoutMs);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    ws.on('unexpected-response', (req, res) => {
      const status = res.statusCode ?? 0;
      const text = res.statusMessage ? ` ${printable(res.statusMessage, 40)}` : '';
      const hint = status === 401 || status === 403 ? ': the console token was refused or has expired' : '';
      res.resume();
      req.destroy();
      settle(new RelayFailure(RelayCloseCode.upgradeRefused, `${subject} refused the WebSocket upgrade with HTTP ${status}${text}${hint}`));
    });
    ws.on('error', (err: Error & { code?: string }) => {
      if (settled) return;
      if (err.code === 'ECONNRESET' || err.message === 'socket hang up') {
        // websockify with a token plugin hangs up on an unknown token without an HTTP answer.
        settle(new RelayFailure(RelayCloseCode.upgradeRefused, `${subject} hung up without answering the WebSocket upgrade: the console token was probably refused`));
      } else if (/subprotocol/i.test(err.message)) {
        settle(new RelayFailure(RelayCloseCode.proxyProtocolError, `${subject} did not accept the binary WebSocket subprotocol (${printable(err.message, 60)})`));
      } else if (/^(Invalid|Server|Unexpected)/.test(err.message)) {
        settle(new RelayFailure(RelayCloseCode.proxyProtocolError, `${subject} answered the WebSocket upgrade wrongly: ${printable(err.message, 60)}`));
      } else {
        settle(networkFailure(err, subject, url.hostname, 'while upgrading the connection to'));
      }
    });
    ws.once('open', () => settle());
  });
}

/** The console proxy's WebSocket: binary frames both ways; a text frame from the proxy ends the session. */
export class WsUpstream implements Upstream {
  private handlers?: UpstreamHandlers;
  private readonly early: Array<{ data: Buffer } | { end: UpstreamEnd }> = [];
  private protocolError?: string;
  private ended = false;
  private opened = false;
  /** Page bytes toward the proxy; `drain` tells the session to read the page again. */
  private readonly sender: BinarySender;
  /** When the proxy was last heard from (a frame or a pong), for the keepalive. */
  private lastHeard = Date.now();
  private paused = false;
  private keepaliveTimer?: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly keepalive: { intervalMs: number; silenceMs: number },
  ) {
    this.sender = new BinarySender(ws, { low: () => this.handlers?.drain() });
    ws.once('open', () => (this.opened = true));
    ws.on('pong', () => (this.lastHeard = Date.now()));
    ws.on('message', (data, isBinary) => {
      this.lastHeard = Date.now();
      if (this.ended) return;
      if (!isBinary) {
        this.protocolError = 'it sent a text frame; a console carries binary frames only';
        this.emitEnd({ kind: 'protocol', message: this.protocolError });
        ws.terminate();
        return;
      }
      const buf = toBuffer(data);
      if (this.handlers) this.handlers.data(buf);
      else this.early.push({ data: buf });
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws names protocol violations WS_ERR_*; anything else (a reset) shows as a close without a close frame.
      if (err.code?.startsWith('WS_ERR_')) this.protocolError = printable(err.message, 60);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (!this.opened) return; // the upgrade failed: upgradeProxy reports it
      this.emitEnd(this.protocolError ? { kind: 'protocol', message: this.protocolError } : { kind: 'ws-close', code, reason: reason.toString('utf8') });
    });
  }

  private emitEnd(how: UpstreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepaliveTimer);
    if (this.handlers) this.handlers.end(how);
    else this.early.push({ end: how });
  }

  bind(handlers: UpstreamHandlers): void {
    this.handlers = handlers;
    for (const e of this.early.splice(0)) {
      if ('data' in e) handlers.data(e.data);
      else handlers.end(e.end);
    }
    if (!this.ended) this.startKeepalive();
  }

  /**
   * Pings the proxy and ends the session when nothing came back for the silence limit. While the session holds the
   * proxy paused (the page reads slowly) pongs cannot be read, so that time does not count as silence.
   */
  private startKeepalive(): void {
    this.lastHeard = Date.now();
    this.keepaliveTimer = setInterval(() => {
      if (this.ended || this.ws.readyState !== this.ws.OPEN) return;
      const now = Date.now();
      if (this.paused) this.lastHeard = now;
      const silent = now - this.lastHeard;
      if (silent >= this.keepalive.silenceMs) {
        this.emitEnd({ kind: 'silent', ms: silent });
        this.ws.terminate();
        return;
      }
      this.ws.ping();
    }, this.keepalive.intervalMs);
    this.keepaliveTimer.unref();
  }

  write(data: Buffer): boolean {
    return this.sender.send(data);
  }

  pause(): void {
    this.paused = true;
    this.ws.pause();
  }

  resume(): void {
    this.paused = false;
    this.lastHeard = Date.now();
    this.ws.resume();
  }

  close(graceful: boolean): void {
    this.ended = true;
    clearInterval(this.keepaliveTimer);
    if (graceful && this.ws.readyState === this.ws.OPEN) {
      this.ws.close(1000);
      // A proxy that never answers the close frame is not waited for (ws would wait 30 s).
      setTimeout(() => this.ws.terminate(), 2000).unref();
    } else {
      this.ws.terminate();
    }
  }
}
