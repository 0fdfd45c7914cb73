// One VNC client of a demo VM, from the version handshake to the end: RFB 3.8 (3.7 and 3.3 clients too), security
// type None only, then the client's requests answered from the VM's demo desktop (the same DemoDesktop an RDP
// client of a Hyper-V VM sees: name, id, status, clock, typed text, pointer, clipboard line).
//
// Updates are client-pulled as RFB wants: an update goes out only while a FramebufferUpdateRequest is outstanding,
// an incremental one only once something changed. A client that stops reading simply stops being sent frames.
import type { Socket } from 'node:net';
import { ProtocolError } from '../demo-desktop/bytes.ts';
import { connectionErrorText } from '../demo-desktop/connection-error.ts';
import type { DemoDesktop } from '../demo-desktop/desktop.ts';
import type { KeyAction } from '../demo-desktop/keyboard.ts';
import { KeysymKeyboard } from './keysym-keyboard.ts';
import { SERVER_PIXEL_FORMAT, readPixelFormat, writePixelFormat } from './pixel-format.ts';
import {
  CLIENT,
  ENCODING,
  RESIZE_REASON,
  RESIZE_STATUS,
  clientMessageLength,
  extendedDesktopSize,
  readCutText,
  readEncodings,
  readKeyEvent,
  readPointerEvent,
  readQemuKeyEvent,
  readSetDesktopSize,
  readUpdateRequest,
  rectHeader,
  serverCutText,
  updateHeader,
} from './rfb-messages.ts';
import type { ResizeListener, SharedScreen } from './shared-screen.ts';
import { changedTileRects, hasChanges, invalidate, newTileClient, type Region, type TileClient } from './tile-updates.ts';
import { CPixelWriter } from './zrle.ts';

export const SERVER_VERSION = 'RFB 003.008\n';
const SECURITY_NONE = 1;
/** While this much waits in the socket, no update is built (the client reads slowly; it gets later frames instead). */
const HIGH_WATER = 512 * 1024;
/** A client that has not finished the handshake by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 30_000;

export type RfbVersion = '3.3' | '3.7' | '3.8';

export interface VncSessionOptions {
  desktop: DemoDesktop;
  screen: SharedScreen;
  /** The desktop name in ServerInit (libvirt's QEMU says "QEMU (<domain name>)"). */
  desktopName: string;
  /** Who the client is, for log lines. */
  label: string;
  log: (line: string) => void;
}

type Phase = 'version' | 'security' | 'init' | 'normal' | 'closed';

export class VncSession implements ResizeListener {
  version: RfbVersion | null = null;
  /** The encodings the client listed, in its order of preference. */
  encodings: number[] = [];
  private phase: Phase = 'version';
  private input: Buffer = Buffer.alloc(0);
  private client: TileClient | null = null;
  private readonly keyboard = new KeysymKeyboard();
  /** The outstanding FramebufferUpdateRequest (several are merged into one region). */
  private request: { incremental: boolean; region: Region } | null = null;
  /** Pseudo-rectangles to send first in the next update. */
  private pseudo: Buffer[] = [];
  private announcedExtendedSize = false;
  private acknowledgedQemuKeys = false;
  private readonly handshakeTimer: NodeJS.Timeout;
  /** The VM was stopped or suspended: QEMU exits, and with it every VNC connection. */
  private readonly onPowerOff = (): void => this.end('the VM was turned off');

  constructor(
    private readonly socket: Socket,
    private readonly opts: VncSessionOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('error', (err) => this.end(`connection error: ${connectionErrorText(err)}`));
    socket.on('close', () => this.end(null));
    socket.on('drain', this.flush);
    opts.desktop.on('power-off', this.onPowerOff);
    this.handshakeTimer = setTimeout(() => this.end('no RFB handshake within 30 s'), HANDSHAKE_TIMEOUT_MS);
    socket.write(SERVER_VERSION);
  }

  /** The client's framebuffer size, once it is past the handshake. */
  get size(): { width: number; height: number } | null {
    return this.client ? { width: this.client.view.width, height: this.client.view.height } : null;
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Ends the session; `reason` (if any) is logged. */
  end(reason: string | null): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.handshakeTimer);
    if (reason) this.opts.log(`vnc ${this.opts.label}: ${reason}`);
    this.opts.screen.leave(this);
    this.opts.desktop.off('frame', this.flush);
    this.opts.desktop.off('clipboard', this.sendClipboard);
    this.opts.desktop.off('power-off', this.onPowerOff);
    if (this.client) this.opts.desktop.detach(this.client.view);
    this.client = null;
    this.socket.destroy();
  }

  /** Ends the session after what was written reaches the client (a failure reason must not be cut off). */
  private refuse(reason: string): void {
    this.phase = 'closed';
    clearTimeout(this.handshakeTimer);
    this.opts.log(`vnc ${this.opts.label}: ${reason}`);
    this.socket.end();
    // A client that never closes its side is not waited for.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  private receive(data: Buffer): void {
    this.input = this.input.length ? Buffer.concat([this.input, data]) : data;
    try {
      for (;;) {
        const used = this.step();
        if (used === 0) break;
        this.input = this.input.subarray(used);
        if (this.phase === 'closed') return;
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.end(err.message);
    }
  }

  /** Handles one message if it is complete; returns the bytes it took (0 = wait for more). */
  private step(): number {
    const buf = this.input;
    switch (this.phase) {
      case 'version':
        return buf.length < 12 ? 0 : this.onVersion(buf.subarray(0, 12));
      case 'security':
        return buf.length < 1 ? 0 : this.onSecurityType(buf[0]);
      case 'init':
        return buf.length < 1 ? 0 : this.onClientInit();
      case 'normal': {
        if (buf.length === 0) return 0;
        const length = clientMessageLength(buf);
        if (length === null) return 0;
        this.onMessage(buf.subarray(0, length));
        return length;
      }
      case 'closed':
        return 0;
    }
  }

  /**
   * ProtocolVersion: 3.8 and 3.7 negotiate the security type; 3.3 (and anything between) is told it. A later 3.x
   * version (Apple's 3.889) is served as 3.8, as the specification says.
   */
  private onVersion(text: Buffer): number {
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(text.toString('latin1'));
    if (!m || Number(m[1]) !== 3) throw new ProtocolError(`not an RFB 3.x client (${JSON.stringify(text.toString('latin1'))})`);
    const minor = Number(m[2]);
    this.version = minor >= 8 ? '3.8' : minor === 7 ? '3.7' : '3.3';
    if (this.version === '3.3') {
      const type = Buffer.alloc(4);
      type.writeUInt32BE(SECURITY_NONE);
      this.socket.write(type);
      this.phase = 'init';
    } else {
      this.socket.write(Buffer.from([1, SECURITY_NONE]));
      this.phase = 'security';
    }
    return 12;
  }

  private onSecurityType(type: number): number {
    if (type !== SECURITY_NONE) {
      if (this.version === '3.8') {
        // SecurityResult "failed" with a reason (3.8 only; 3.7 clients are just disconnected).
        const reason = Buffer.from(`security type ${type} is not offered; this server offers None (1) only`);
        const head = Buffer.alloc(8);
        head.writeUInt32BE(1, 0);
        head.writeUInt32BE(reason.length, 4);
        this.socket.write(Buffer.concat([head, reason]));
      }
      this.refuse(`client chose security type ${type}`);
      return 1;
    }
    // 3.8 confirms None with SecurityResult OK; 3.7 sends SecurityResult only after VNC authentication.
    if (this.version === '3.8') this.socket.write(Buffer.alloc(4));
    this.phase = 'init';
    return 1;
  }

  /** ClientInit (its shared flag does not matter: every client of a demo VM shares it) → ServerInit. */
  private onClientInit(): number {
    clearTimeout(this.handshakeTimer);
    const { screen, desktop } = this.opts;
    const view = desktop.attach(screen.width, screen.height);
    this.client = newTileClient(view, SERVER_PIXEL_FORMAT);
    const name = Buffer.from(this.opts.desktopName, 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt16BE(view.width, 0);
    head.writeUInt16BE(view.height, 2);
    const nameLength = Buffer.alloc(4);
    nameLength.writeUInt32BE(name.length);
    this.socket.write(Buffer.concat([head, writePixelFormat(SERVER_PIXEL_FORMAT), nameLength, name]));
    this.phase = 'normal';
    screen.join(this);
    desktop.on('frame', this.flush);
    desktop.on('clipboard', this.sendClipboard);
    return 1;
  }

  private onMessage(m: Buffer): void {
    const client = this.client!;
    switch (m[0]) {
      case CLIENT.setPixelFormat:
        client.pixelFormat = readPixelFormat(m.subarray(4, 20));
        client.cpixel = new CPixelWriter(client.pixelFormat);
        // What the client shows was sent in the old format: all of it is repainted in the new one.
        this.forgetClientPicture();
        break;
      case CLIENT.setEncodings:
        this.setEncodings(readEncodings(m));
        break;
      case CLIENT.framebufferUpdateRequest: {
        const r = readUpdateRequest(m);
        const region = this.clip({ x: r.x, y: r.y, w: r.w, h: r.h });
        if (!r.incremental) invalidate(client, region);
        this.request = this.request
          ? { incremental: this.request.incremental && r.incremental, region: union(this.request.region, region) }
          : { incremental: r.incremental, region };
        break;
      }
      case CLIENT.keyEvent: {
        const k = readKeyEvent(m);
        this.apply(this.keyboard.keysym(k.keysym, k.down));
        break;
      }
      case CLIENT.qemu: {
        const k = readQemuKeyEvent(m);
        this.apply(this.keyboard.qemuKey(k.keycode, k.keysym, k.down));
        break;
      }
      case CLIENT.pointerEvent: {
        const p = readPointerEvent(m);
        this.opts.desktop.movePointer(Math.min(p.x, client.view.width - 1), Math.min(p.y, client.view.height - 1));
        break;
      }
      case CLIENT.clientCutText:
        this.opts.desktop.receiveClipboard(readCutText(m));
        break;
      case CLIENT.setDesktopSize: {
        const { width, height, screens } = readSetDesktopSize(m);
        const status = this.opts.screen.request(width, height, screens, this);
        if (status === RESIZE_STATUS.ok) this.resize(RESIZE_REASON.thisClient);
        else this.pseudo.push(extendedDesktopSize(RESIZE_REASON.thisClient, status, client.view.width, client.view.height, this.opts.screen.screenId));
        break;
      }
      default:
        // EnableContinuousUpdates and fences: only sent to servers that announced them, which this one does not.
        break;
    }
    this.flush();
  }

  private setEncodings(list: number[]): void {
    const client = this.client!;
    this.encodings = list;
    // The first of the two picture encodings the client listed (Raw if it listed neither: every client takes Raw).
    client.encoding = list.find((e) => e === ENCODING.zrle || e === ENCODING.raw) === ENCODING.zrle ? ENCODING.zrle : ENCODING.raw;
    client.copyRect = list.includes(ENCODING.copyRect);
    // A client learns that SetDesktopSize works from an ExtendedDesktopSize rectangle; QEMU's key events likewise.
    if (list.includes(ENCODING.extendedDesktopSize) && !this.announcedExtendedSize) {
      this.announcedExtendedSize = true;
      this.pseudo.push(extendedDesktopSize(RESIZE_REASON.server, RESIZE_STATUS.ok, client.view.width, client.view.height, this.opts.screen.screenId));
    }
    if (list.includes(ENCODING.qemuExtendedKeyEvent) && !this.acknowledgedQemuKeys) {
      this.acknowledgedQemuKeys = true;
      this.pseudo.push(rectHeader(0, 0, 0, 0, ENCODING.qemuExtendedKeyEvent));
    }
  }

  /** Another client (or this one) resized the shared screen. */
  screenResized(reason: number): void {
    if (this.phase !== 'normal') return;
    // A client that knows neither size pseudo-encoding cannot follow: it keeps the size it has.
    if (!this.encodings.includes(ENCODING.extendedDesktopSize) && !this.encodings.includes(ENCODING.desktopSize)) return;
    this.resize(reason);
    this.flush();
  }

  private resize(reason: number): void {
    const client = this.client!;
    const { width, height } = this.opts.screen;
    if (width !== client.view.width || height !== client.view.height) {
      const old = client.view;
      client.view = this.opts.desktop.attach(width, height);
      this.opts.desktop.detach(old);
      client.sent = new Uint32Array(client.view.cols * client.view.rows);
      client.shown = Buffer.alloc(client.view.fb.data.length);
    }
    this.pseudo.push(
      this.encodings.includes(ENCODING.extendedDesktopSize)
        ? extendedDesktopSize(reason, RESIZE_STATUS.ok, width, height, this.opts.screen.screenId)
        : rectHeader(0, 0, width, height, ENCODING.desktopSize),
    );
    // The whole new screen follows the size change, whatever region the client last asked for.
    if (this.request) this.request.region = { x: 0, y: 0, w: width, h: height };
  }

  private forgetClientPicture(): void {
    this.client!.sent.fill(0);
  }

  private clip(r: Region): Region {
    const { width, height } = this.client!.view;
    const x = Math.min(r.x, width);
    const y = Math.min(r.y, height);
    return { x, y, w: Math.min(r.w, width - x), h: Math.min(r.h, height - y) };
  }

  private apply(action: KeyAction): void {
    const d = this.opts.desktop;
    if (action?.type === 'char') d.typeText(action.text);
    else if (action?.type === 'backspace') d.backspace();
    else if (action?.type === 'secure-attention') d.secureAttention();
    else if (action?.type === 'copy') d.copyTyped();
  }

  /** Sends an update if one is asked for and there is something to send (called on requests, frames and drain). */
  private readonly flush = (): void => {
    const client = this.client;
    if (this.phase !== 'normal' || !client || !this.request) return;
    if (this.socket.writableLength > HIGH_WATER) return; // 'drain' calls again
    const region = this.clip(this.request.region);
    if (this.pseudo.length === 0 && !hasChanges(client, region)) return;
    const rects = [...this.pseudo, ...changedTileRects(client, region)];
    this.pseudo = [];
    this.request = null;
    this.socket.write(Buffer.concat([updateHeader(rects.length), ...rects]));
  };

  /** The VM's clipboard changed (Ctrl+C in it): ServerCutText to this client. */
  private readonly sendClipboard = (): void => {
    if (this.phase === 'normal') this.socket.write(serverCutText(this.opts.desktop.clipboard));
  };
}

function union(a: Region, b: Region): Region {
  if (a.w === 0 || a.h === 0) return b;
  if (b.w === 0 || b.h === 0) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
