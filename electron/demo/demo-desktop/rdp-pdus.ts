import { ByteReader, ByteWriter, ProtocolError } from './bytes.ts';
import { SERVER_CHANNEL } from './mcs.ts';

// Slow-path share PDUs (MS-RDPBCGR 2.2.1.11 – 2.2.1.22) and the licensing shortcut the server uses.

export const SHARE_ID = 0x000103ea;

export const PDUTYPE_DEMAND_ACTIVE = 0x1;
export const PDUTYPE_CONFIRM_ACTIVE = 0x3;
export const PDUTYPE_DEACTIVATE_ALL = 0x6;
export const PDUTYPE_DATA = 0x7;

export const PDUTYPE2_UPDATE = 2;
export const PDUTYPE2_CONTROL = 20;
export const PDUTYPE2_INPUT = 28;
export const PDUTYPE2_SYNCHRONIZE = 31;
export const PDUTYPE2_REFRESH_RECT = 33;
export const PDUTYPE2_SUPPRESS_OUTPUT = 35;
export const PDUTYPE2_SHUTDOWN_REQUEST = 36;
export const PDUTYPE2_FONTLIST = 39;
export const PDUTYPE2_FONTMAP = 40;
export const PDUTYPE2_FRAME_ACKNOWLEDGE = 56;

const SEC_INFO_PKT = 0x0040;
const SEC_LICENSE_PKT = 0x0080;

/**
 * Licensing error alert "valid client" (STATUS_VALID_CLIENT, ST_NO_TRANSITION): tells the client no license is
 * needed. Clients refuse to go on to capability exchange without some licensing message, and this is the short one.
 */
export function licenseValidClient(): Buffer {
  return new ByteWriter()
    .u16le(SEC_LICENSE_PKT)
    .u16le(0)
    .u8(0xff) // ERROR_ALERT
    .u8(0x03) // PREAMBLE_VERSION_3_0
    .u16le(16)
    .u32le(0x07) // STATUS_VALID_CLIENT
    .u32le(0x02) // ST_NO_TRANSITION
    .u16le(0x0004) // BB_ERROR_BLOB
    .u16le(0)
    .toBuffer();
}

/** Checks that the first I/O channel message is a Client Info PDU (security header with the info flag). */
export function checkClientInfo(data: Buffer): void {
  if (data.length < 4) throw new ProtocolError('truncated client info');
  const flags = data.readUInt16LE(0);
  if (!(flags & SEC_INFO_PKT)) throw new ProtocolError(`expected client info, got security flags 0x${flags.toString(16)}`);
}

function shareControl(pduType: number, body: Buffer): Buffer {
  return Buffer.concat([
    new ByteWriter()
      .u16le(body.length + 6)
      .u16le(pduType | 0x10)
      .u16le(SERVER_CHANNEL)
      .toBuffer(),
    body,
  ]);
}

export function shareData(pduType2: number, payload: Buffer): Buffer {
  const header = new ByteWriter()
    .u32le(SHARE_ID)
    .u8(0)
    .u8(1) // STREAM_LOW
    .u16le(payload.length + 4)
    .u8(pduType2)
    .u8(0)
    .u16le(0)
    .toBuffer();
  return shareControl(PDUTYPE_DATA, Buffer.concat([header, payload]));
}

function capability(type: number, body: ByteWriter): Buffer {
  const b = body.toBuffer();
  return Buffer.concat([new ByteWriter().u16le(type).u16le(b.length + 4).toBuffer(), b]);
}

export function demandActive(width: number, height: number): Buffer {
  const caps = [
    // General: fast-path output, long credentials, no bitmap compression header; refresh rect and suppress output.
    capability(1, new ByteWriter().u16le(1).u16le(3).u16le(0x0200).u16le(0).u16le(0).u16le(0x0405).u16le(0).u16le(0).u16le(0).u8(1).u8(1)),
    // Bitmap: 32 bpp preferred, desktop resize allowed, compression on, multiple rectangles.
    capability(2, new ByteWriter().u16le(32).u16le(1).u16le(1).u16le(1).u16le(width).u16le(height).u16le(0).u16le(1).u16le(1).u8(0).u8(0).u16le(1).u16le(0)),
    // Order: no drawing orders supported; everything arrives as bitmaps.
    capability(3, new ByteWriter().zeros(16).u32le(0).u16le(1).u16le(20).u16le(0).u16le(1).u16le(0).u16le(0x0022).zeros(32).u16le(0).u16le(0).u32le(0).u32le(0).u16le(0).u16le(0).u16le(0).u16le(0)),
    // Pointer: colour pointers, small caches.
    capability(8, new ByteWriter().u16le(1).u16le(25).u16le(25)),
    // Input: scancodes, extended mouse, unicode, fast-path input (both flags, so every client uses it).
    capability(13, new ByteWriter().u16le(0x0001 | 0x0004 | 0x0008 | 0x0010 | 0x0020).u16le(0).u32le(0x409).u32le(4).u32le(0).u32le(12).zeros(64)),
    // Virtual channel: no compression, 1600-byte chunks.
    capability(20, new ByteWriter().u32le(0).u32le(1600)),
    // Multifragment update: the largest reassembled update the server would send.
    capability(26, new ByteWriter().u32le(0x38000)),
    // Font and share capabilities, as servers usually send them.
    capability(14, new ByteWriter().u16le(1).u16le(0)),
    capability(9, new ByteWriter().u16le(SERVER_CHANNEL).u16le(0)),
  ];
  const combined = Buffer.concat(caps);
  const source = Buffer.from('RDP\0', 'latin1');
  const body = new ByteWriter()
    .u32le(SHARE_ID)
    .u16le(source.length)
    .u16le(combined.length + 4)
    .bytes(source)
    .u16le(caps.length)
    .u16le(0)
    .bytes(combined)
    .u32le(0) // session id
    .toBuffer();
  return shareControl(PDUTYPE_DEMAND_ACTIVE, body);
}

export function deactivateAll(): Buffer {
  return shareControl(PDUTYPE_DEACTIVATE_ALL, new ByteWriter().u32le(SHARE_ID).u16le(1).u8(0).toBuffer());
}

export function synchronize(): Buffer {
  return shareData(PDUTYPE2_SYNCHRONIZE, new ByteWriter().u16le(1).u16le(SERVER_CHANNEL).toBuffer());
}

export function control(action: number, grantId: number, controlId: number): Buffer {
  return shareData(PDUTYPE2_CONTROL, new ByteWriter().u16le(action).u16le(grantId).u32le(controlId).toBuffer());
}

export function fontMap(): Buffer {
  return shareData(PDUTYPE2_FONTMAP, new ByteWriter().u16le(0).u16le(0).u16le(3).u16le(4).toBuffer());
}

export interface ShareMessage {
  pduType: number;
  /** For data PDUs: the pduType2 and the payload after the share data header. */
  pduType2: number;
  payload: Buffer;
}

/** Splits a slow-path message from the I/O channel (one or more share control PDUs may be concatenated). */
export function parseShareMessages(data: Buffer): ShareMessage[] {
  const out: ShareMessage[] = [];
  const r = new ByteReader(data);
  while (r.remaining > 0) {
    const total = r.u16le('share control length');
    if (total === 0x8000) {
      // A flow-control PDU: skip its fixed 8 bytes.
      r.skip(6, 'flow PDU');
      continue;
    }
    if (total < 6) throw new ProtocolError('share control PDU shorter than its header');
    const type = r.u16le('share control type') & 0x0f;
    r.skip(2, 'pdu source');
    const body = new ByteReader(r.take(total - 6, 'share control body'));
    if (type === PDUTYPE_DATA) {
      body.skip(4 + 1 + 1 + 2, 'share data header');
      const pduType2 = body.u8('pduType2');
      const compressed = body.u8('compression');
      body.skip(2, 'compressed length');
      if (compressed & 0x20) throw new ProtocolError('compressed client data PDUs are not supported');
      out.push({ pduType: type, pduType2, payload: body.take(body.remaining) });
    } else {
      out.push({ pduType: type, pduType2: 0, payload: body.take(body.remaining) });
    }
  }
  return out;
}

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Refresh Rect: inclusive rectangles the client wants redrawn. */
export function parseRefreshRect(payload: Buffer): Rect[] {
  const r = new ByteReader(payload);
  const n = r.u8('refresh rect count');
  r.skip(3, 'padding');
  const rects: Rect[] = [];
  for (let i = 0; i < n; i++) {
    rects.push({ left: r.u16le(), top: r.u16le(), right: r.u16le(), bottom: r.u16le() });
  }
  return rects;
}

/** Suppress Output: true when the client allows display updates again. */
export function parseSuppressOutput(payload: Buffer): boolean {
  return new ByteReader(payload).u8('allow display updates') !== 0;
}

const CAPSTYPE_SURFACE_COMMANDS = 0x1c;
const CAPSETTYPE_FRAME_ACKNOWLEDGE = 0x1e;
const SURFCMDS_FRAME_MARKER = 0x10;

/** The capability sets of a Confirm Active PDU's body (after the share control header), by type; the last of a type wins. */
export function confirmActiveCapabilities(confirmActive: Buffer): Map<number, Buffer> {
  const r = new ByteReader(confirmActive);
  r.skip(4 + 2, 'share id and originator');
  const sourceLength = r.u16le('source descriptor length');
  r.skip(2, 'combined capabilities length');
  r.skip(sourceLength, 'source descriptor');
  const count = r.u16le('capability count');
  r.skip(2, 'pad');
  const caps = new Map<number, Buffer>();
  for (let i = 0; i < count; i++) {
    const type = r.u16le('capability type');
    const length = r.u16le('capability length');
    if (length < 4) throw new ProtocolError('capability set shorter than its header');
    caps.set(type, r.take(length - 4, 'capability set'));
  }
  return caps;
}

/**
 * What a client said about frames: whether it takes frame markers (surface commands capability set, MS-RDPBCGR
 * 2.2.7.2.9) and how many frames may be unacknowledged (frame acknowledge capability set, MS-RDPRFX 2.2.1.3;
 * 0 when absent: the client does not acknowledge, or sets no limit).
 */
export function clientFrameCapabilities(caps: Map<number, Buffer>): { frameMarkers: boolean; maxUnacknowledged: number } {
  const surface = caps.get(CAPSTYPE_SURFACE_COMMANDS);
  const ack = caps.get(CAPSETTYPE_FRAME_ACKNOWLEDGE);
  return {
    frameMarkers: surface !== undefined && surface.length >= 4 && (surface.readUInt32LE(0) & SURFCMDS_FRAME_MARKER) !== 0,
    maxUnacknowledged: ack !== undefined && ack.length >= 4 ? ack.readUInt32LE(0) : 0,
  };
}

/** A Frame Acknowledge whose id is this asks the server to stop waiting for acknowledgements (MS-RDPRFX 2.2.2.3). */
export const SUSPEND_FRAME_ACKNOWLEDGEMENT = 0xffffffff;

/** Frame Acknowledge PDU (MS-RDPRFX 2.2.2.3): the id of the last frame the client has drawn. */
export function parseFrameAcknowledge(payload: Buffer): number {
  return new ByteReader(payload).u32le('frame id');
}
