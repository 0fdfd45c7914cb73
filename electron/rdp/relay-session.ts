import { HandshakeEnd } from './handshake-end.ts';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import { derMessageLength, encodeRdCleanPath, RDCLEANPATH_VERSION, type RdCleanPathPdu } from './rdcleanpath.ts';
import { encodePreconnectionPdu, PreconnectionBlobError } from './preconnection.ts';
import {
  buildConfirm,
  describeNegotiationFailure,
  parseConfirm,
  Protocol,
  requestedProtocols,
  tpktLength,
  withRequestedProtocols,
  X224Error,
} from './x224.ts';
import { clientGone, connectServer, readTpkt, SessionFailure, startServerTls } from './upstream.ts';
import { RdCleanPathErrorCode, TlsAlert, WsaError } from '../common/rdcleanpath-codes.ts';
import type { SessionEndCause } from '../common/session-end.ts';
import { formatEndpoint } from '../net/address.ts';
import { peerChain } from '../net/tls.ts';
import { BinarySender, closeReason } from '../net/websocket.ts';

/**
 * One RDP session through the gateway, after its RDCleanPath request matched a grant: connect to the server in
 * the standard order (X.224 → TLS) or Hyper-V's VMConnect order (PCB → TLS → CredSSP → X.224), check the
 * certificate, answer the client, then relay bytes both ways with backpressure.
 */

export interface GrantRecord {
  sessionId: string;
  host: string;
  port: number;
  /** host:port as the client must send it in RDCleanPath destination. */
  destination: string;
  preConnectionBlob?: string;
  vmconnect: boolean;
}

export interface SessionStatus {
  sessionId: string;
  state: 'connecting' | 'connected' | 'closed';
  reason?: string;
  /** With `closed`: what kind of end it was (electron/common/session-end.ts). */
  cause?: SessionEndCause;
}

export interface CertificateCheck {
  sessionId: string;
  /** host:port the certificate is pinned for. */
  endpoint: string;
  /** The leaf certificate, DER. */
  certificate: Buffer;
  chain: Buffer[];
  /** Aborted when the client goes away while a decision is pending. */
  signal: AbortSignal;
}

/** Decides whether the server certificate may be used (trust store, user prompt). */
export type CertificateVerifier = (check: CertificateCheck) => Promise<boolean>;

/**
 * Hook on the server→client plaintext once RDP proper has started (after any CredSSP and X.224 exchange): a
 * stream transform such as the xrdp bitmap repair. Returns undefined to leave the session untouched.
 */
export type ServerStreamFilterFactory = (info: { sessionId: string; endpoint: string }) => ((chunk: Buffer) => Buffer[]) | undefined;

export interface Timeouts {
  /** TCP connect. */
  connectMs: number;
  /** Each negotiation step: X.224 confirm, TLS handshake, the server's confirm in VMConnect order. */
  handshakeMs: number;
}

export interface SessionHooks {
  verifyCertificate: CertificateVerifier;
  status(status: SessionStatus): void;
  serverFilter?: ServerStreamFilterFactory;
  timeouts: Timeouts;
  log(line: string): void;
}

/** Client bytes held while the server side is not ready (pipelined data, VMConnect's held MCS request). */
const MAX_HELD_CLIENT_BYTES = 1 << 20;
const MAX_CREDSSP_MESSAGE = 1 << 20;

type Phase = 'handshake' | 'credssp' | 'await-confirm' | 'relay' | 'closed';

export class RelaySession {
  private readonly abort = new AbortController();
  private readonly endpoint: string;
  private phase: Phase = 'handshake';
  private responded = false;
  private tcp?: Socket;
  private tls?: TLSSocket;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private filter?: (chunk: Buffer) => Buffer[];
  /** Cuts the server's stream right after the connection sequence's Font Map (handshake-end.ts). */
  private handshakeEnd?: HandshakeEnd;
  /** Server bytes toward the client; the server is not read while the client's WebSocket holds too much. */
  private readonly toClient: BinarySender;
  // VMConnect CredSSP framing of client bytes: bytes left in the current DER message, and an incomplete header.
  private credsspRemaining = 0;
  private credsspHead: Buffer = Buffer.alloc(0);
  private confirmBuf: Buffer = Buffer.alloc(0);
  /**
   * False while CredSSP may still be running (the server selected HYBRID): the client's first TPKT (its MCS
   * request) ends it. A server that hangs up before then refused the login.
   */
  private rdpStarted = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly request: RdCleanPathPdu & { x224ConnectionPdu: Buffer },
    private readonly grant: GrantRecord,
    private readonly hooks: SessionHooks,
  ) {
    this.endpoint = formatEndpoint(grant.host, grant.port);
    this.toClient = new BinarySender(ws, { high: () => this.tls?.pause(), low: () => this.tls?.resume() });
  }

  get sessionId(): string {
    return this.grant.sessionId;
  }

  async start(pipelined: Buffer): Promise<void> {
    if (pipelined.length) this.hold(pipelined);
    this.hooks.status({ sessionId: this.sessionId, state: 'connecting' });
    try {
      if (this.grant.vmconnect) await this.connectVmconnect();
      else await this.connectStandard();
    } catch (err) {
      this.fail(err);
    }
  }

  /** A binary message from the RDP client. */
  onClientMessage(data: Buffer): void {
    switch (this.phase) {
      case 'handshake':
      case 'await-confirm':
        this.hold(data);
        return;
      case 'credssp':
        this.credsspFromClient(data);
        return;
      case 'relay':
        if (!this.rdpStarted && data[0] === 0x03) this.beginRdp();
        this.writeServer(data);
        return;
      case 'closed':
        return;
    }
  }

  onClientClose(): void {
    this.finish('the client closed the session', 1000, 'closed-by-app');
  }

  /** Ends the session from the main process (the tab closed, the grant was revoked). */
  terminate(reason: string): void {
    this.finish(reason, 1000, 'closed-by-app');
  }

  private async connectStandard(): Promise<void> {
    const { host, port } = this.grant;
    const { connectMs, handshakeMs } = this.hooks.timeouts;
    const signal = this.abort.signal;
    const tcp = await connectServer(host, port, connectMs, signal);
    this.tcp = tcp;
    if (this.grant.preConnectionBlob) tcp.write(this.pcb());
    tcp.write(this.request.x224ConnectionPdu);
    const confirm = await readTpkt(tcp, this.endpoint, handshakeMs, signal);
    const selected = this.checkServerConfirm(confirm, true);
    this.rdpStarted = (selected & (Protocol.hybrid | Protocol.hybridEx)) === 0;
    const tls = await startServerTls(tcp, host, this.endpoint, handshakeMs, signal);
    this.tls = tls;
    const chain = await this.checkCertificate(tls);
    this.respond(confirm, chain, tcp);
    this.startRelay();
  }

  private async connectVmconnect(): Promise<void> {
    const { host, port } = this.grant;
    const { connectMs, handshakeMs } = this.hooks.timeouts;
    const signal = this.abort.signal;
    // Hyper-V answers X.224 only after CredSSP, so the client's choice is answered here: HYBRID when it offers
    // CredSSP (never HYBRID_EX: Hyper-V would not send the early authorization result the client then expects).
    const requested = this.clientRequestedProtocols();
    const selected = requested & (Protocol.hybrid | Protocol.hybridEx) ? Protocol.hybrid : requested & Protocol.ssl ? Protocol.ssl : -1;
    if (selected < 0) {
      throw new SessionFailure(`${this.endpoint} (a Hyper-V console) requires TLS security, which the client did not offer`, {
        errorCode: RdCleanPathErrorCode.negotiation,
        x224: buildConfirm({ failureCode: 1 }),
      });
    }
    const tcp = await connectServer(host, port, connectMs, signal);
    this.tcp = tcp;
    if (this.grant.preConnectionBlob) tcp.write(this.pcb());
    const tls = await startServerTls(tcp, host, this.endpoint, handshakeMs, signal);
    this.tls = tls;
    const chain = await this.checkCertificate(tls);
    this.respond(buildConfirm({ protocol: selected }), chain, tcp);
    if (selected === Protocol.ssl) {
      // TLS without CredSSP: Hyper-V expects no X.224 at all; MCS follows directly.
      this.startRelay();
    } else {
      this.phase = 'credssp';
      this.watchServer();
      this.flushHeld();
    }
  }

  private clientRequestedProtocols(): number {
    try {
      return requestedProtocols(this.request.x224ConnectionPdu);
    } catch (err) {
      throw new SessionFailure(`the client's X.224 connection request is malformed (${err instanceof X224Error ? err.message : 'bad data'})`, {
        errorCode: RdCleanPathErrorCode.general,
        httpStatus: 400,
      });
    }
  }

  private pcb(): Buffer {
    try {
      return encodePreconnectionPdu(this.grant.preConnectionBlob!);
    } catch (err) {
      throw new SessionFailure(`the pre-connection blob cannot be sent: ${err instanceof PreconnectionBlobError ? err.message : 'bad value'}`, {
        errorCode: RdCleanPathErrorCode.general,
        httpStatus: 400,
      });
    }
  }

  /** The selected protocol; throws a SessionFailure unless the confirm selects a TLS-based one. */
  private checkServerConfirm(confirm: Buffer, forClient: boolean): number {
    let result;
    try {
      result = parseConfirm(confirm);
    } catch (err) {
      throw new SessionFailure(`${this.endpoint} sent a malformed X.224 confirm (${err instanceof X224Error ? err.message : 'bad data'})`, {
        errorCode: RdCleanPathErrorCode.general,
        httpStatus: 502,
      });
    }
    const x224 = forClient ? confirm : undefined;
    if (result.kind === 'failure') {
      throw new SessionFailure(describeNegotiationFailure(result.failureCode, this.endpoint), { errorCode: RdCleanPathErrorCode.negotiation, x224 });
    }
    if (result.kind === 'legacy' || result.protocol === Protocol.rdp) {
      throw new SessionFailure(`${this.endpoint} only offers standard RDP security without TLS, which is not supported`, { errorCode: RdCleanPathErrorCode.negotiation, x224 });
    }
    return result.protocol;
  }

  private async checkCertificate(tls: TLSSocket): Promise<Buffer[]> {
    const chain = peerChain(tls);
    if (chain.length === 0) {
      throw new SessionFailure(`${this.endpoint} presented no TLS certificate`, { errorCode: RdCleanPathErrorCode.general, tlsAlert: TlsAlert.badCertificate });
    }
    let trusted: boolean;
    try {
      trusted = await this.hooks.verifyCertificate({
        sessionId: this.sessionId,
        endpoint: this.endpoint,
        certificate: chain[0],
        chain,
        signal: this.abort.signal,
      });
    } catch (err) {
      if (this.abort.signal.aborted) throw clientGone();
      throw new SessionFailure(`the certificate of ${this.endpoint} could not be checked: ${(err as Error)?.message ?? String(err)}`, {
        errorCode: RdCleanPathErrorCode.general,
        tlsAlert: TlsAlert.badCertificate,
      });
    }
    if (this.abort.signal.aborted) throw clientGone();
    // A decision can take a while (the user reads the prompt); the server may have given up meanwhile.
    if (trusted && (tls.destroyed || !tls.writable)) {
      throw new SessionFailure(`${this.endpoint} closed the connection while the certificate was being checked; try again`, {
        errorCode: RdCleanPathErrorCode.general,
        wsaLastError: WsaError.connReset,
      });
    }
    if (!trusted) {
      throw new SessionFailure(`the certificate of ${this.endpoint} is not trusted, so the session was stopped`, { errorCode: RdCleanPathErrorCode.general, tlsAlert: TlsAlert.badCertificate });
    }
    return chain;
  }

  private respond(confirm: Buffer, chain: Buffer[], tcp: Socket): void {
    const serverAddr = tcp.remoteAddress ? formatEndpoint(tcp.remoteAddress, tcp.remotePort ?? this.grant.port) : this.endpoint;
    this.ws.send(encodeRdCleanPath({ version: RDCLEANPATH_VERSION, x224ConnectionPdu: confirm, serverCertChain: chain, serverAddr }));
    this.responded = true;
    this.hooks.status({ sessionId: this.sessionId, state: 'connected' });
  }

  private startRelay(): void {
    this.phase = 'relay';
    if (this.rdpStarted) this.startFilter();
    this.watchServer();
    this.flushHeld();
  }

  /**
   * Standard order with CredSSP: the client's first TPKT (its MCS Connect-Initial; WebSocket messages from the
   * client are whole PDUs) ends authentication. The client sends it only after reading the server's last CredSSP
   * message (and HYBRID_EX's Early User Authorization Result), so every server byte read before this point is
   * authentication and every byte after it is RDP: the stream filter starts exactly here, never mid-message.
   */
  private beginRdp(): void {
    this.rdpStarted = true;
    this.startFilter();
  }

  /** The server→client filter sees RDP proper only, from its first byte; so does the handshake-end guard. */
  private startFilter(): void {
    this.filter = this.hooks.serverFilter?.({ sessionId: this.sessionId, endpoint: this.endpoint });
    this.handshakeEnd = new HandshakeEnd();
  }

  private watchServer(): void {
    const tls = this.tls!;
    if (tls.listenerCount('data') > 0) return;
    tls.on('data', (chunk: Buffer) => this.fromServer(chunk));
    tls.on('drain', () => {
      if (this.ws.isPaused) this.ws.resume();
    });
    tls.on('close', () => {
      if (this.phase === 'closed') return;
      const authenticating = this.phase === 'credssp' || (this.phase === 'relay' && !this.rdpStarted);
      // Whether the server closed in order or the connection broke, a session that had started was lost: the page
      // reconnects it. During authentication it is the server's answer to the login, which a retry would not change.
      if (authenticating) this.finish(`${this.endpoint} closed the connection during authentication: login failed or the server refused it`, 1000, 'refused');
      else this.finish(`${this.endpoint} closed the session`, 1000, 'lost');
    });
  }

  private fromServer(chunk: Buffer): void {
    switch (this.phase) {
      case 'credssp':
        this.sendClient(chunk);
        return;
      case 'await-confirm':
        this.confirmFromServer(chunk);
        return;
      case 'relay':
        this.sendFiltered(chunk);
        return;
      default:
        return;
    }
  }

  private sendFiltered(chunk: Buffer): void {
    const guard = this.handshakeEnd;
    if (guard && !guard.passed) {
      // Each part becomes a message of its own: the first ends with the Font Map.
      for (const part of guard.push(chunk)) this.sendFilteredPart(part);
      return;
    }
    this.sendFilteredPart(chunk);
  }

  private sendFilteredPart(chunk: Buffer): void {
    if (!this.filter) {
      this.sendClient(chunk);
      return;
    }
    let out: Buffer[];
    try {
      out = this.filter(chunk);
    } catch {
      this.finish('internal error while processing the server stream', 1011);
      return;
    }
    for (const b of out) this.sendClient(b);
  }

  private sendClient(data: Buffer): void {
    if (this.phase === 'closed' || data.length === 0) return;
    this.toClient.send(data);
  }

  private writeServer(data: Buffer): void {
    const tls = this.tls;
    if (!tls || tls.destroyed) return;
    if (!tls.write(data) && !this.ws.isPaused) this.ws.pause();
  }

  private hold(data: Buffer): void {
    this.heldBytes += data.length;
    if (this.heldBytes > MAX_HELD_CLIENT_BYTES) {
      this.finish('the client sent too much data before the connection was ready', 1008);
      return;
    }
    this.held.push(data);
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const b of held) this.onClientMessage(b);
  }

  /**
   * VMConnect with CredSSP: client bytes are DER TSRequests (0x30…) until its first TPKT (0x03), the MCS request
   * that follows the X.224 exchange it believes already happened. Then the X.224 request goes to the server.
   */
  private credsspFromClient(data: Buffer): void {
    let buf = data;
    while (buf.length > 0 && this.phase === 'credssp') {
      if (this.credsspRemaining > 0) {
        const n = Math.min(this.credsspRemaining, buf.length);
        this.writeServer(buf.subarray(0, n));
        this.credsspRemaining -= n;
        buf = buf.subarray(n);
        continue;
      }
      const head = this.credsspHead.length ? Buffer.concat([this.credsspHead, buf]) : buf;
      this.credsspHead = Buffer.alloc(0);
      if (head[0] === 0x03) {
        this.injectX224(head);
        return;
      }
      let total: number | undefined;
      try {
        total = derMessageLength(head, MAX_CREDSSP_MESSAGE);
      } catch {
        this.finish('the client sent unexpected data during authentication', 1002);
        return;
      }
      if (total === undefined) {
        this.credsspHead = Buffer.from(head);
        return;
      }
      this.credsspRemaining = total;
      buf = head;
    }
  }

  private injectX224(firstTpkt: Buffer): void {
    this.phase = 'await-confirm';
    this.hold(firstTpkt);
    let request: Buffer;
    try {
      // FreeRDP's /vmconnect asks for SSL|HYBRID here; Hyper-V is known to accept exactly that.
      request = withRequestedProtocols(this.request.x224ConnectionPdu, Protocol.ssl | Protocol.hybrid);
    } catch {
      this.finish("the client's X.224 connection request is malformed", 1002);
      return;
    }
    this.writeServer(request);
  }

  private confirmFromServer(chunk: Buffer): void {
    this.confirmBuf = Buffer.concat([this.confirmBuf, chunk]);
    let len: number | undefined;
    try {
      len = tpktLength(this.confirmBuf);
    } catch {
      this.finish(`${this.endpoint} did not answer the X.224 request after authentication`, 1011);
      return;
    }
    if (len === undefined || this.confirmBuf.length < len) return;
    const confirm = this.confirmBuf.subarray(0, len);
    const rest = this.confirmBuf.subarray(len);
    this.confirmBuf = Buffer.alloc(0);
    try {
      this.checkServerConfirm(confirm, false);
    } catch (err) {
      this.finish(err instanceof SessionFailure ? err.reason : 'bad X.224 confirm', 1011);
      return;
    }
    // The client already got a confirm from us; the server's is dropped and RDP proper starts.
    this.phase = 'relay';
    this.startFilter();
    if (rest.length) this.sendFiltered(rest);
    this.flushHeld();
  }

  private fail(err: unknown): void {
    const failure =
      err instanceof SessionFailure ? err : new SessionFailure(`internal gateway error: ${(err as Error)?.message ?? String(err)}`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 500 });
    if (!this.responded && this.ws.readyState === this.ws.OPEN) {
      const { x224, ...info } = failure.client;
      this.ws.send(encodeRdCleanPath({ version: RDCLEANPATH_VERSION, error: info, x224ConnectionPdu: x224 }));
    }
    this.finish(failure.reason, this.responded ? 1011 : 1000, failure.endCause);
  }

  private finish(reason: string, wsCode = 1000, cause: SessionEndCause = 'failed'): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.abort.abort();
    this.held = [];
    this.tls?.destroy();
    this.tcp?.destroy();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(wsCode, closeReason(reason));
    }
    this.hooks.log(`session ${this.sessionId} to ${this.endpoint} closed: ${reason}`);
    this.hooks.status({ sessionId: this.sessionId, state: 'closed', reason, cause });
  }
}
