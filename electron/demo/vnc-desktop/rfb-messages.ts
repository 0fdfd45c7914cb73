// RFB messages after the handshake (RFC 6143 §7.5-7.8, plus the rfbproto community extensions the demo serves):
// how long each client message is, what it says, and the server messages the demo sends.
import { ProtocolError } from '../demo-desktop/bytes.ts';

/** Encodings (and pseudo-encodings, the negative ones) the demo server knows. */
export const ENCODING = {
  raw: 0,
  copyRect: 1,
  zrle: 16,
  desktopSize: -223,
  extendedDesktopSize: -308,
  qemuExtendedKeyEvent: -258,
} as const;

/** Client-to-server message types. */
export const CLIENT = {
  setPixelFormat: 0,
  setEncodings: 2,
  framebufferUpdateRequest: 3,
  keyEvent: 4,
  pointerEvent: 5,
  clientCutText: 6,
  enableContinuousUpdates: 150,
  clientFence: 248,
  setDesktopSize: 251,
  qemu: 255,
} as const;

/** Cut text longer than this ends the session: a demo VM has no use for megabytes of clipboard. */
export const MAX_CUT_TEXT = 1024 * 1024;

/**
 * The length of the client message at the start of `buf`, or null while it is incomplete. An unknown type is fatal:
 * RFB messages carry no length, so nothing after it could be read.
 */
export function clientMessageLength(buf: Buffer): number | null {
  const need = (n: number) => (buf.length >= n ? n : null);
  switch (buf[0]) {
    case CLIENT.setPixelFormat:
      return need(20);
    case CLIENT.setEncodings:
      return buf.length < 4 ? null : need(4 + 4 * buf.readUInt16BE(2));
    case CLIENT.framebufferUpdateRequest:
      return need(10);
    case CLIENT.keyEvent:
      return need(8);
    case CLIENT.pointerEvent:
      return need(6);
    case CLIENT.clientCutText: {
      if (buf.length < 8) return null;
      const length = buf.readInt32BE(4);
      // A negative length is the extended clipboard format, which this server never offers.
      if (length < 0 || length > MAX_CUT_TEXT) throw new ProtocolError(`client cut text of ${length} bytes refused`);
      return need(8 + length);
    }
    case CLIENT.enableContinuousUpdates:
      return need(10);
    case CLIENT.clientFence:
      return buf.length < 9 ? null : need(9 + buf[8]);
    case CLIENT.setDesktopSize:
      return buf.length < 8 ? null : need(8 + 16 * buf[6]);
    case CLIENT.qemu:
      if (buf.length < 2) return null;
      if (buf[1] !== 0) throw new ProtocolError(`QEMU client message subtype ${buf[1]} is not supported`);
      return need(12);
    default:
      throw new ProtocolError(`unknown client message type ${buf[0]}`);
  }
}

export interface UpdateRequest {
  incremental: boolean;
  x: number;
  y: number;
  w: number;
  h: number;
}

export function readUpdateRequest(m: Buffer): UpdateRequest {
  return { incremental: m[1] !== 0, x: m.readUInt16BE(2), y: m.readUInt16BE(4), w: m.readUInt16BE(6), h: m.readUInt16BE(8) };
}

export function readEncodings(m: Buffer): number[] {
  const list: number[] = [];
  for (let i = 0; i < m.readUInt16BE(2); i++) list.push(m.readInt32BE(4 + 4 * i));
  return list;
}

/** KeyEvent: X keysym, down or up. */
export function readKeyEvent(m: Buffer): { down: boolean; keysym: number } {
  return { down: m[1] !== 0, keysym: m.readUInt32BE(4) };
}

/** QEMU Extended Key Event: a keysym and the key's XT scancode as QEMU numbers it (0x80 set for extended keys). */
export function readQemuKeyEvent(m: Buffer): { down: boolean; keysym: number; keycode: number } {
  return { down: m.readUInt16BE(2) !== 0, keysym: m.readUInt32BE(4), keycode: m.readUInt32BE(8) };
}

export function readPointerEvent(m: Buffer): { buttons: number; x: number; y: number } {
  return { buttons: m[1], x: m.readUInt16BE(2), y: m.readUInt16BE(4) };
}

/** ClientCutText: Latin-1 by the protocol's definition. */
export function readCutText(m: Buffer): string {
  return m.subarray(8).toString('latin1');
}

export interface Screen {
  id: number;
  x: number;
  y: number;
  w: number;
  h: number;
  flags: number;
}

export function readSetDesktopSize(m: Buffer): { width: number; height: number; screens: Screen[] } {
  const screens: Screen[] = [];
  for (let i = 0; i < m[6]; i++) {
    const o = 8 + 16 * i;
    screens.push({ id: m.readUInt32BE(o), x: m.readUInt16BE(o + 4), y: m.readUInt16BE(o + 6), w: m.readUInt16BE(o + 8), h: m.readUInt16BE(o + 10), flags: m.readUInt32BE(o + 12) });
  }
  return { width: m.readUInt16BE(2), height: m.readUInt16BE(4), screens };
}

/** FramebufferUpdate header: message type 0, padding, number of rectangles. */
export function updateHeader(rectangles: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(rectangles, 2);
  return b;
}

export function rectHeader(x: number, y: number, w: number, h: number, encoding: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(x, 0);
  b.writeUInt16BE(y, 2);
  b.writeUInt16BE(w, 4);
  b.writeUInt16BE(h, 6);
  b.writeInt32BE(encoding, 8);
  return b;
}

export function copyRect(x: number, y: number, w: number, h: number, srcX: number, srcY: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16BE(srcX, 0);
  body.writeUInt16BE(srcY, 2);
  return Buffer.concat([rectHeader(x, y, w, h, ENCODING.copyRect), body]);
}

/** ExtendedDesktopSize status codes (rfbproto). */
export const RESIZE_STATUS = { ok: 0, prohibited: 1, outOfResources: 2, invalidLayout: 3 } as const;
/** Who caused a size change, in the x position of an ExtendedDesktopSize rectangle. */
export const RESIZE_REASON = { server: 0, thisClient: 1, otherClient: 2 } as const;

/** The screen layout: one screen covering the framebuffer. */
export function extendedDesktopSize(reason: number, status: number, width: number, height: number, screenId: number): Buffer {
  const body = Buffer.alloc(4 + 16);
  body[0] = 1; // number of screens, then three bytes of padding
  body.writeUInt32BE(screenId, 4);
  body.writeUInt16BE(width, 12);
  body.writeUInt16BE(height, 14);
  return Buffer.concat([rectHeader(reason, status, width, height, ENCODING.extendedDesktopSize), body]);
}

/** ServerCutText, Latin-1: characters outside it become '?', as the protocol cannot carry them. */
export function serverCutText(text: string): Buffer {
  const latin1 = Array.from(text, (c) => (c.codePointAt(0)! > 0xff ? '?' : c)).join('');
  const bytes = Buffer.from(latin1, 'latin1');
  const head = Buffer.alloc(8);
  head[0] = 3;
  head.writeUInt32BE(bytes.length, 4);
  return Buffer.concat([head, bytes]);
}
