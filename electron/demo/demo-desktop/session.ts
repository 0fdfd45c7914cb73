import type { Duplex } from 'node:stream';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ProtocolError } from './bytes.ts';
import type { DemoDesktop, DesktopView } from './desktop.ts';
import {
  BITMAP_PDU_BUDGET,
  bitmapData,
  bitmapUpdatePdu,
  frameMarkerPdu,
  defaultPointerUpdate,
  parseFastPathInput,
  parseSlowPathInput,
  type InputEvent,
} from './fast-path-pdus.ts';
import { FrameSplitter } from './pdu-splitter.ts';
import { ChannelReassembler, channelChunk } from './static-channel.ts';
import {
  DISPLAY_CONTROL_CHANNEL,
  displayControlCaps,
  dvcCapsRequest,
  dvcCreateRequest,
  dvcData,
  parseDvc,
  parseMonitorLayout,
} from './display-control.ts';
import { KeyboardState } from './keyboard.ts';
import { CLIPRDR_CHANNEL, ClipboardChannel } from './cliprdr.ts';
import {
  IO_CHANNEL,
  MCS_ATTACH_USER_REQUEST,
  MCS_CHANNEL_JOIN_REQUEST,
  MCS_DISCONNECT_ULTIMATUM,
  MCS_ERECT_DOMAIN,
  MCS_SEND_DATA_REQUEST,
  SERVER_CHANNEL,
  attachUserConfirm,
  channelIds,
  channelJoinConfirm,
  connectResponse,
  domainPduType,
  parseChannelJoin,
  parseConnectInitial,
  parseSendDataRequest,
  sendDataIndication,
} from './mcs.ts';
import { INTERLEAVED_BPP, encodeInterleaved24 } from './interleaved.ts';
import { encodePlanar } from './planar.ts';
import {
  PDUTYPE2_CONTROL,
  PDUTYPE2_FONTLIST,
  PDUTYPE2_FRAME_ACKNOWLEDGE,
  PDUTYPE2_INPUT,
  PDUTYPE2_REFRESH_RECT,
  PDUTYPE2_SHUTDOWN_REQUEST,
  PDUTYPE2_SUPPRESS_OUTPUT,
  PDUTYPE2_SYNCHRONIZE,
  PDUTYPE_CONFIRM_ACTIVE,
  PDUTYPE_DATA,
  checkClientInfo,
  control,
  deactivateAll,
  demandActive,
  fontMap,
  licenseValidClient,
  clientFrameCapabilities,
  confirmActiveCapabilities,
  parseFrameAcknowledge,
  SUSPEND_FRAME_ACKNOWLEDGEMENT,
  parseRefreshRect,
  parseShareMessages,
  parseSuppressOutput,
  synchronize,
} from './rdp-pdus.ts';
import {
  HYBRID_REQUIRED_BY_SERVER,
  PROTOCOL_HYBRID,
  PROTOCOL_SSL,
  SSL_REQUIRED_BY_SERVER,
  connectionConfirmFailure,
  connectionConfirmSelecting,
  isConnectionRequest,
  parseConnectionRequest,
  x224Data,
  x224DataPayload,
} from './x224.ts';
import { connectionErrorText } from './connection-error.ts';

export interface TlsIdentity {
  key: string;
  cert: string;
}

export interface DesktopSessionOptions {
  /** Certificate and key for the TLS upgrade after X.224 (unused when the stream is already inside TLS). */
  tls: TlsIdentity;
  /**
   * The stream is already TLS (a Hyper-V style console host did the pre-connection PDU and TLS). The first PDU may
   * then be an X.224 request (answered without a second TLS upgrade) or straight MCS Connect-Initial.
   */
  insideTls?: boolean;
  /** CredSSP already authenticated this client (the console host did it): an X.224 request may select HYBRID. */
  credsspDone?: boolean;
  /** Bytes already read from the stream that belong to this session. */
  initialBytes?: Buffer;
  /**
   * How tiles are sent: 'rle24' (24 bpp interleaved RLE, see interleaved.ts; the default), 'planar' (32 bpp RDP 6.0
   * planar) or 'raw' (32 bpp uncompressed).
   */
  encoding?: TileEncoding;
  log?: (line: string) => void;
  /** Session label for log lines (client address, VM id). */
  label?: string;
  /** The handshake must finish within this time (default 30 s), so stalled clients do not linger. */
  handshakeTimeoutMs?: number;
}

export type TileEncoding = 'planar' | 'raw' | 'rle24';

type Phase = 'x224' | 'mcs-connect' | 'mcs-domain' | 'confirm-active' | 'active' | 'closed';

/** Output stops while this many bytes wait in the socket: a slow client skips frames instead of queueing them. */
const HIGH_WATER = 512 * 1024;
/**
 * With a client that acknowledges frames, at most this many go unacknowledged (fewer if the client asks for fewer):
 * one being drawn, the next ready behind it. Each one more only waits in a buffer and shows the user a screen that
 * much older. Bytes waiting in this process say little about that: the kernel's socket buffers, the console host and
 * the app's gateway sit between it and the client, and hold many frames of a cheap encoding.
 */
const FRAMES_IN_FLIGHT = 2;

/**
 * One RDP connection to a demo desktop, from X.224 negotiation to the active session. Every protocol error ends
 * only this session, with one log line.
 */
export class DesktopSession {
  private phase: Phase;
  private io: Duplex;
  private frames = new FrameSplitter();
  private requestedProtocols: number | null = null;
  private userId = 0;
  private staticChannels: number[] = [];
  /** The drdynvc static channel, when the client offered it: dynamic resolution runs over it. */
  private drdynvc: number | null = null;
  private dvcStarted = false;
  private dvcReassembler = new ChannelReassembler();
  /** The clipboard static channel (cliprdr), when the client offered it. */
  private cliprdrId: number | null = null;
  private clipboard: ClipboardChannel | null = null;
  private readonly onClipboard = (): void => this.clipboard?.offer();
  private static readonly DISPLAY_DVC_ID = 1;
  private view: DesktopView | null = null;
  private sent: Uint32Array | null = null;
  private outputEnabled = false;
  private suppressed = false;
  private keyboard = new KeyboardState();
  private gotClientInfo = false;
  /** The client takes frame markers: each flush is one frame, begun and ended by a marker. */
  private frameMarkers = false;
  /** Frames allowed unacknowledged; 0 when the client does not acknowledge frames. */
  private framesInFlight = 0;
  /**
   * The last frame the client acknowledged. The limit applies only once one came: a client that offers
   * acknowledgements and never sends one gets the byte limit alone, not a stalled screen.
   */
  private framesAcked: number | undefined;
  private everActive = false;
  private handshakeTimer: NodeJS.Timeout | null;
  private startTimer: NodeJS.Timeout | null = null;
  private readonly onFrame = (): void => this.flush();
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  /** The VM was stopped or suspended: like a Hyper-V console of a VM that turns off, the connection ends. */
  private readonly onPowerOff = (): void => this.end('the VM was turned off');
  /**
   * Counters for benchmarks and tests. frames: flushes sent between frame markers, which is also the last frame's id
   * (1, 2, 3 …: a session would need years at 60 frames a second to reach 0xFFFFFFFF); frameAcks: acknowledgements
   * received.
   */
  readonly stats = { bytesOut: 0, tilesSent: 0, flushes: 0, frames: 0, frameAcks: 0 };

  constructor(
    private socket: Duplex,
    private readonly desktop: DemoDesktop,
    private readonly opts: DesktopSessionOptions,
  ) {
    this.io = socket;
    this.phase = opts.insideTls ? 'mcs-connect' : 'x224';
    socket.on('error', (err) => this.end(`connection error: ${connectionErrorText(err)}`));
    socket.on('close', () => this.end(this.closedByPeerReason()));
    socket.on('data', this.onData);
    desktop.on('power-off', this.onPowerOff);
    socket.resume(); // the console host hands over a paused stream
    this.handshakeTimer = setTimeout(() => this.end('handshake did not finish in time'), opts.handshakeTimeoutMs ?? 30000);
    if (opts.initialBytes?.length) queueMicrotask(() => this.receive(opts.initialBytes!));
  }

  /** Bytes written but not yet taken by the connection: bounded for slow clients (see HIGH_WATER). */
  get pendingBytes(): number {
    return this.io.writableLength;
  }

  /** True while the client asked for no display updates (Suppress Output). */
  get outputSuppressed(): boolean {
    return this.suppressed;
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Ends the session; `reason` (if any) is logged once. */
  end(reason: string | null, farewell?: Buffer): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    if (reason) this.opts.log?.(`demo desktop ${this.desktop.id}: session ${this.opts.label ?? ''} ended: ${reason}`);
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.startTimer) clearTimeout(this.startTimer);
    this.desktop.off('frame', this.onFrame);
    this.desktop.off('clipboard', this.onClipboard);
    this.desktop.off('power-off', this.onPowerOff);
    this.clipboard?.close();
    if (this.view) this.desktop.detach(this.view);
    this.view = null;
    this.io.off('data', this.onData);
    if (farewell) {
      // A last answer (a negotiation failure) must reach the client: write it, close gracefully, and make sure
      // the connection is gone shortly after even if the client never reads.
      const io = this.io;
      const raw = this.socket;
      io.end(farewell);
      setTimeout(() => {
        io.destroy();
        raw.destroy();
      }, 2000).unref();
      return;
    }
    this.io.destroy();
    if (this.socket !== this.io) this.socket.destroy();
  }

  /** A hang-up in the middle of the handshake is worth a log line; after it, closing is normal. */
  private closedByPeerReason(): string | null {
    return this.phase === 'active' ? null : `client closed the connection during the handshake (${this.phase})`;
  }

  private receive(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    const stream = this.io;
    try {
      this.frames.push(chunk);
      for (let f = this.frames.next(); f; f = this.frames.next()) {
        this.handleFrame(f);
        // After the TLS upgrade the rest of the bytes belong to the TLS layer (handed back by upgradeToTls).
        if ((this.phase as Phase) === 'closed' || this.io !== stream) return;
      }
    } catch (err) {
      this.end(err instanceof ProtocolError ? err.message : `internal error: ${(err as Error).message}`);
    }
  }

  private write(buf: Buffer): void {
    if (this.phase === 'closed') return;
    this.stats.bytesOut += buf.length;
    this.io.write(buf);
  }

  private writeIo(pdu: Buffer): void {
    this.write(x224Data(sendDataIndication(IO_CHANNEL, pdu)));
  }

  private handleFrame(frame: Buffer): void {
    switch (this.phase) {
      case 'x224':
        return this.onConnectionRequest(frame, false);
      case 'mcs-connect':
        if (isConnectionRequest(frame)) return this.onConnectionRequest(frame, true);
        return this.onConnectInitial(frame);
      default:
        if (frame[0] !== 0x03) return this.onFastPathInput(frame);
        return this.onMcs(x224DataPayload(frame));
    }
  }

  private onConnectionRequest(frame: Buffer, insideTls: boolean): void {
    if (!isConnectionRequest(frame)) throw new ProtocolError('expected an X.224 connection request');
    const req = parseConnectionRequest(frame);
    const requested = req.requestedProtocols ?? 0;
    this.requestedProtocols = requested;
    if (insideTls) {
      // Hyper-V order: TLS (and maybe CredSSP) already happened; confirm what was actually used.
      if (this.opts.credsspDone && requested & PROTOCOL_HYBRID) {
        this.write(connectionConfirmSelecting(PROTOCOL_HYBRID));
      } else if (this.opts.credsspDone) {
        return this.end('client authenticated with CredSSP but did not request it', connectionConfirmFailure(HYBRID_REQUIRED_BY_SERVER));
      } else if (requested & PROTOCOL_SSL) {
        this.write(connectionConfirmSelecting(PROTOCOL_SSL));
      } else {
        return this.end('client did not offer TLS', connectionConfirmFailure(SSL_REQUIRED_BY_SERVER));
      }
      this.phase = 'mcs-connect';
      return;
    }
    if (!(requested & PROTOCOL_SSL)) {
      return this.end('client did not offer TLS security', connectionConfirmFailure(SSL_REQUIRED_BY_SERVER));
    }
    this.write(connectionConfirmSelecting(PROTOCOL_SSL));
    this.upgradeToTls();
  }

  private upgradeToTls(): void {
    const raw = this.socket;
    raw.off('data', this.onData);
    raw.pause();
    const rest = this.frames.takeRest();
    if (rest.length) raw.unshift(rest);
    if (!(raw instanceof Socket)) throw new Error('TLS upgrade needs a TCP socket');
    const tls = new TLSSocket(raw, { isServer: true, key: this.opts.tls.key, cert: this.opts.tls.cert });
    tls.on('error', (err: Error) => this.end(this.everActive ? `connection lost: ${connectionErrorText(err)}` : `TLS failed: ${connectionErrorText(err)}`));
    tls.on('close', () => this.end(this.closedByPeerReason()));
    tls.on('data', this.onData);
    this.io = tls;
    this.phase = 'mcs-connect';
  }

  private onConnectInitial(frame: Buffer): void {
    const ci = parseConnectInitial(x224DataPayload(frame));
    const requested = this.requestedProtocols ?? ci.coreSelectedProtocol ?? PROTOCOL_SSL;
    this.staticChannels = channelIds(ci.channels);
    const dyn = ci.channels.findIndex((c) => c.name.toLowerCase() === 'drdynvc');
    this.drdynvc = dyn >= 0 ? this.staticChannels[dyn] : null;
    const clip = ci.channels.findIndex((c) => c.name.toLowerCase() === CLIPRDR_CHANNEL);
    this.cliprdrId = clip >= 0 ? this.staticChannels[clip] : null;
    this.userId = IO_CHANNEL + ci.channels.length + 1;
    this.write(x224Data(connectResponse(requested, ci.channels, ci.earlyCapabilityFlags)));
    this.view = this.desktop.attach(ci.width, ci.height);
    this.sent = new Uint32Array(this.view.versions.length);
    this.phase = 'mcs-domain';
  }

  private onMcs(mcs: Buffer): void {
    const type = domainPduType(mcs);
    switch (type) {
      case MCS_ERECT_DOMAIN:
        return;
      case MCS_ATTACH_USER_REQUEST:
        return this.write(x224Data(attachUserConfirm(this.userId)));
      case MCS_CHANNEL_JOIN_REQUEST: {
        const { channelId } = parseChannelJoin(mcs);
        const ok = channelId === IO_CHANNEL || channelId === this.userId || this.staticChannels.includes(channelId);
        return this.write(x224Data(channelJoinConfirm(this.userId, channelId, ok)));
      }
      case MCS_SEND_DATA_REQUEST: {
        const { channelId, data } = parseSendDataRequest(mcs);
        if (channelId === IO_CHANNEL) return this.onIoData(data);
        if (channelId === this.drdynvc && this.drdynvc !== null) return this.onDrdynvc(data);
        if (channelId === this.cliprdrId && this.clipboard) return this.clipboard.receive(data);
        return; // other static virtual channels (sound, drives …) are not served
      }
      case MCS_DISCONNECT_ULTIMATUM:
        return this.end(null);
      default:
        throw new ProtocolError(`unexpected MCS PDU type ${type}`);
    }
  }

  private onIoData(data: Buffer): void {
    if (!this.gotClientInfo) {
      checkClientInfo(data);
      this.gotClientInfo = true;
      this.writeIo(licenseValidClient());
      this.writeIo(demandActive(this.view!.width, this.view!.height));
      this.phase = 'confirm-active';
      return;
    }
    for (const msg of parseShareMessages(data)) {
      if (msg.pduType === PDUTYPE_CONFIRM_ACTIVE) {
        const frames = clientFrameCapabilities(confirmActiveCapabilities(msg.payload));
        this.frameMarkers = frames.frameMarkers;
        this.framesInFlight = frames.frameMarkers && frames.maxUnacknowledged > 0 ? Math.min(frames.maxUnacknowledged, FRAMES_IN_FLIGHT) : 0;
        this.phase = 'active';
        this.everActive = true;
        if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
        this.handshakeTimer = null;
        continue;
      }
      if (msg.pduType !== PDUTYPE_DATA) continue;
      this.onDataPdu(msg.pduType2, msg.payload);
    }
  }

  private onDataPdu(type: number, payload: Buffer): void {
    switch (type) {
      case PDUTYPE2_SYNCHRONIZE:
        return this.writeIo(synchronize());
      case PDUTYPE2_CONTROL: {
        const action = payload.length >= 2 ? payload.readUInt16LE(0) : 0;
        if (action === 4) this.writeIo(control(4, 0, 0)); // cooperate
        else if (action === 1) this.writeIo(control(2, this.userId, SERVER_CHANNEL)); // request → granted
        return;
      }
      case PDUTYPE2_FONTLIST:
        this.writeIo(fontMap());
        // The first screen follows at once, as Windows sends it. (IronRDP's web client drops bytes that reach it in
        // one message with the Font Map; the app's gateway cuts the stream there, electron/rdp/handshake-end.ts.)
        this.startTimer = setTimeout(() => this.startOutput(), 0);
        return;
      case PDUTYPE2_INPUT:
        return this.applyInput(parseSlowPathInput(payload));
      case PDUTYPE2_REFRESH_RECT:
        for (const r of parseRefreshRect(payload)) this.invalidate(r.left, r.top, r.right, r.bottom);
        return this.flush();
      case PDUTYPE2_SUPPRESS_OUTPUT:
        this.suppressed = !parseSuppressOutput(payload);
        if (!this.suppressed && this.view) {
          this.invalidate(0, 0, this.view.width - 1, this.view.height - 1);
          this.flush();
        }
        return;
      case PDUTYPE2_SHUTDOWN_REQUEST:
        return this.end(null);
      case PDUTYPE2_FRAME_ACKNOWLEDGE: {
        const id = parseFrameAcknowledge(payload);
        this.stats.frameAcks++;
        // SUSPEND_FRAME_ACKNOWLEDGEMENT: the client stops acknowledging until further notice; the byte limit stays.
        this.framesAcked = id === SUSPEND_FRAME_ACKNOWLEDGEMENT ? undefined : id;
        return this.flush();
      }
      default:
        return; // other data PDUs (persistent key lists …) need no answer
    }
  }

  private startOutput(): void {
    this.startTimer = null;
    if (this.phase === 'closed') return;
    this.outputEnabled = true;
    this.write(defaultPointerUpdate());
    this.desktop.off('frame', this.onFrame);
    this.io.off('drain', this.onFrame);
    this.desktop.on('frame', this.onFrame);
    this.io.on('drain', this.onFrame);
    this.flush();
    if (this.drdynvc !== null && !this.dvcStarted) {
      this.dvcStarted = true;
      this.writeChannel(this.drdynvc, dvcCapsRequest());
    }
    if (this.cliprdrId !== null && !this.clipboard) {
      const id = this.cliprdrId;
      this.clipboard = new ClipboardChannel((chunk) => this.write(x224Data(sendDataIndication(id, chunk))), {
        received: (text) => this.desktop.receiveClipboard(text),
        text: () => this.desktop.clipboard,
      });
      this.desktop.on('clipboard', this.onClipboard);
      this.clipboard.start();
    }
  }

  private writeChannel(channelId: number, data: Buffer): void {
    this.write(x224Data(sendDataIndication(channelId, channelChunk(data))));
  }

  /** Dynamic virtual channels: open display control, then follow the client's monitor layouts. */
  private onDrdynvc(chunk: Buffer): void {
    const msg = this.dvcReassembler.push(chunk);
    if (!msg || this.drdynvc === null) return;
    const id = DesktopSession.DISPLAY_DVC_ID;
    const dvc = parseDvc(msg);
    if (dvc.kind === 'caps') {
      this.writeChannel(this.drdynvc, dvcCreateRequest(id, DISPLAY_CONTROL_CHANNEL));
    } else if (dvc.kind === 'created' && dvc.channelId === id && dvc.ok) {
      this.writeChannel(this.drdynvc, dvcData(id, displayControlCaps()));
    } else if (dvc.kind === 'data' && dvc.channelId === id) {
      const layout = parseMonitorLayout(dvc.data);
      if (layout) this.resize(layout.width, layout.height);
    }
  }

  /**
   * Deactivation-reactivation with a new desktop size: Deactivate All, then a Demand Active carrying the size; the
   * client confirms and repeats synchronisation, and output restarts at the new size.
   */
  private resize(width: number, height: number): void {
    const w = Math.max(200, Math.min(8192, width & ~1));
    const h = Math.max(200, Math.min(8192, height));
    if (!this.view || (w === this.view.width && h === this.view.height) || this.phase !== 'active') return;
    this.outputEnabled = false;
    this.desktop.off('frame', this.onFrame);
    this.desktop.detach(this.view);
    this.view = this.desktop.attach(w, h);
    this.sent = new Uint32Array(this.view.versions.length);
    this.writeIo(deactivateAll());
    this.writeIo(demandActive(w, h));
    this.phase = 'confirm-active';
  }

  /** The desktop size this session currently shows. */
  get size(): { width: number; height: number } | null {
    return this.view ? { width: this.view.width, height: this.view.height } : null;
  }

  private onFastPathInput(frame: Buffer): void {
    // Input may keep coming while a resize re-runs capability exchange; before the first activation it is an error.
    if (!this.everActive) throw new ProtocolError('fast-path input before the session is active');
    this.applyInput(parseFastPathInput(frame));
  }

  private applyInput(events: InputEvent[]): void {
    for (const e of events) {
      if (e.kind === 'scancode') {
        const action = this.keyboard.key(e.code, e.release, e.extended);
        if (action?.type === 'char') this.desktop.typeText(action.text);
        else if (action?.type === 'backspace') this.desktop.backspace();
        else if (action?.type === 'secure-attention') this.desktop.secureAttention();
        else if (action?.type === 'copy') this.desktop.copyTyped();
      } else if (e.kind === 'unicode') {
        if (e.release) continue;
        if (e.char === 8) this.desktop.backspace();
        else if (e.char >= 0x20) this.desktop.typeText(String.fromCharCode(e.char));
      } else if (e.kind === 'mouse') {
        if (this.view) this.desktop.movePointer(Math.min(e.x, this.view.width - 1), Math.min(e.y, this.view.height - 1));
      }
    }
  }

  /** Forget what was sent for tiles touching an inclusive rectangle, so they go out again. */
  private invalidate(left: number, top: number, right: number, bottom: number): void {
    const view = this.view;
    if (!view || !this.sent) return;
    const tx0 = Math.max(0, Math.floor(left / 64));
    const ty0 = Math.max(0, Math.floor(top / 64));
    const tx1 = Math.min(view.cols - 1, Math.floor(right / 64));
    const ty1 = Math.min(view.rows - 1, Math.floor(bottom / 64));
    for (let ty = ty0; ty <= ty1; ty++) for (let tx = tx0; tx <= tx1; tx++) this.sent[ty * view.cols + tx] = 0;
  }

  /** Sends every tile whose version differs from the one this client last received. */
  private flush(): void {
    // Called from timers and desktop events: a failure here must end this session only, never the process.
    try {
      this.flushTiles();
    } catch (err) {
      this.end(`internal error while drawing: ${(err as Error).message}`);
    }
  }

  private flushTiles(): void {
    const view = this.view;
    const sent = this.sent;
    if (!view || !sent || !this.outputEnabled || this.suppressed || this.phase !== 'active') return;
    if (this.io.writableLength > HIGH_WATER) return; // 'drain' calls again
    if (this.framesInFlight && this.framesAcked !== undefined && this.stats.frames - this.framesAcked >= this.framesInFlight) return; // an acknowledgement calls again
    this.stats.flushes++;
    const pdus: Buffer[] = [];
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (let i = 0; i < view.versions.length; i++) {
      const version = view.versions[i];
      if (sent[i] === version) continue;
      sent[i] = version;
      const rect = this.encodeTile(view, i, version);
      if (batchBytes + rect.length > BITMAP_PDU_BUDGET && batch.length) {
        pdus.push(bitmapUpdatePdu(batch));
        batch = [];
        batchBytes = 0;
      }
      batch.push(rect);
      batchBytes += rect.length;
      this.stats.tilesSent++;
    }
    if (batch.length) pdus.push(bitmapUpdatePdu(batch));
    if (!pdus.length) return;
    if (this.frameMarkers) {
      const id = ++this.stats.frames;
      pdus.unshift(frameMarkerPdu('begin', id));
      pdus.push(frameMarkerPdu('end', id));
    }
    this.write(Buffer.concat(pdus));
  }

  private encodeTile(view: DesktopView, index: number, version: number): Buffer {
    const encoding = this.opts.encoding ?? 'rle24';
    const cache = encoding === 'raw' ? null : view.encoded[encoding];
    const cached = cache?.get(index);
    if (cached && cached.version === version) return cached.data;
    const { x, y, w, h } = view.tileRect(index);
    const fb = view.fb;
    let rect: Buffer;
    if (encoding === 'raw') {
      const data = Buffer.alloc(w * h * 4);
      for (let row = 0; row < h; row++) {
        const src = (y + h - 1 - row) * fb.stride + x * 4;
        fb.data.copy(data, row * w * 4, src, src + w * 4);
      }
      rect = bitmapData({ x, y, w, h, compressed: false, data });
    } else if (encoding === 'rle24') {
      // Clients pick the decoder by the rectangle's depth: below 32, interleaved RLE.
      rect = bitmapData({ x, y, w, h, bpp: INTERLEAVED_BPP, compressed: true, data: encodeInterleaved24(fb.data, fb.stride, x, y, w, h) });
    } else {
      rect = bitmapData({ x, y, w, h, compressed: true, data: encodePlanar(fb.data, fb.stride, x, y, w, h) });
    }
    cache?.set(index, { version, data: rect });
    return rect;
  }
}

/**
 * Serves one RDP connection from a demo desktop. `socket` is either a raw TCP socket (X.224 first, then TLS) or a
 * stream already inside TLS (see DesktopSessionOptions.insideTls).
 */
export function handleRdpConnection(socket: Duplex, desktop: DemoDesktop, opts: DesktopSessionOptions): DesktopSession {
  return new DesktopSession(socket, desktop, opts);
}
