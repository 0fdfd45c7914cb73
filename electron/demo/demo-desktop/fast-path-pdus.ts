import { ByteReader, ByteWriter, ProtocolError } from './bytes.ts';

// Fast-path output (MS-RDPBCGR 2.2.9.1.2) and input (2.2.8.1.2), plus slow-path input events (2.2.8.1.1.3).

const FASTPATH_UPDATETYPE_BITMAP = 0x1;
const FASTPATH_UPDATETYPE_PTR_DEFAULT = 0x6;
const FASTPATH_UPDATETYPE_SURFCMDS = 0x4;
const CMDTYPE_FRAME_MARKER = 0x0004;

/** Keep each fast-path PDU under the 15-bit length limit without fragmentation. */
export const MAX_FASTPATH_PDU = 32767;

function fastPathPdu(updates: Buffer): Buffer {
  const total = updates.length + 3;
  if (total > MAX_FASTPATH_PDU) throw new Error(`fast-path PDU too large (${total})`);
  return Buffer.concat([Buffer.from([0x00, 0x80 | (total >> 8), total & 0xff]), updates]);
}

function update(code: number, data: Buffer): Buffer {
  return Buffer.concat([new ByteWriter().u8(code).u16le(data.length).toBuffer(), data]);
}

export function defaultPointerUpdate(): Buffer {
  return fastPathPdu(update(FASTPATH_UPDATETYPE_PTR_DEFAULT, Buffer.alloc(0)));
}

export interface BitmapRect {
  x: number;
  y: number;
  w: number;
  h: number;
  /** 32 bpp: planar (compressed) or raw bottom-up B,G,R,X rows; below 32: interleaved RLE (compressed). */
  compressed: boolean;
  data: Buffer;
  /** The rectangle's colour depth; 32 unless given. */
  bpp?: number;
}

/** TS_BITMAP_DATA for one rectangle: destination edges are inclusive. */
export function bitmapData(r: BitmapRect): Buffer {
  return Buffer.concat([
    new ByteWriter()
      .u16le(r.x)
      .u16le(r.y)
      .u16le(r.x + r.w - 1)
      .u16le(r.y + r.h - 1)
      .u16le(r.w)
      .u16le(r.h)
      .u16le(r.bpp ?? 32)
      .u16le(r.compressed ? 0x0401 : 0) // BITMAP_COMPRESSION | NO_BITMAP_COMPRESSION_HDR
      .u16le(r.data.length)
      .toBuffer(),
    r.data,
  ]);
}

/** One fast-path PDU carrying a bitmap update with the given encoded rectangles (caller keeps it under the limit). */
export function bitmapUpdatePdu(rects: Buffer[]): Buffer {
  const body = Buffer.concat([new ByteWriter().u16le(1).u16le(rects.length).toBuffer(), ...rects]);
  return fastPathPdu(update(FASTPATH_UPDATETYPE_BITMAP, body));
}

/**
 * A frame marker (TS_FRAME_MARKER, a surface command, 2.2.9.2.3): updates between a begin and an end with the same
 * id make one frame, and a client that acknowledges frames sends a Frame Acknowledge PDU with that id once it has
 * processed the end.
 */
export function frameMarkerPdu(action: 'begin' | 'end', frameId: number): Buffer {
  const marker = new ByteWriter().u16le(CMDTYPE_FRAME_MARKER).u16le(action === 'begin' ? 0 : 1).u32le(frameId >>> 0).toBuffer();
  return fastPathPdu(update(FASTPATH_UPDATETYPE_SURFCMDS, marker));
}

/** Room for rectangles in one PDU: the limit minus PDU, update and bitmap-update headers. */
export const BITMAP_PDU_BUDGET = MAX_FASTPATH_PDU - 3 - 3 - 4;

export type InputEvent =
  | { kind: 'scancode'; code: number; release: boolean; extended: boolean }
  | { kind: 'unicode'; char: number; release: boolean }
  | { kind: 'mouse'; flags: number; x: number; y: number }
  | { kind: 'sync' };

/** Parses a fast-path input PDU (the whole frame, header included). */
export function parseFastPathInput(frame: Buffer): InputEvent[] {
  const r = new ByteReader(frame);
  const header = r.u8('fast-path header');
  if (header & 0xc0) throw new ProtocolError('encrypted fast-path input is not supported');
  const l1 = r.u8('fast-path length');
  if (l1 & 0x80) r.skip(1, 'fast-path length');
  let count = (header >> 2) & 0x0f;
  if (count === 0) count = r.u8('fast-path event count');
  const events: InputEvent[] = [];
  for (let i = 0; i < count; i++) {
    const eh = r.u8('fast-path event header');
    const flags = eh & 0x1f;
    const code = eh >> 5;
    switch (code) {
      case 0: // scancode
        events.push({ kind: 'scancode', code: r.u8('scancode'), release: !!(flags & 1), extended: !!(flags & 2) });
        break;
      case 1: // mouse
      case 2: // extended mouse
        events.push({ kind: 'mouse', flags: r.u16le('pointer flags'), x: r.u16le('x'), y: r.u16le('y') });
        break;
      case 3:
        events.push({ kind: 'sync' });
        break;
      case 4:
        events.push({ kind: 'unicode', char: r.u16le('unicode'), release: !!(flags & 1) });
        break;
      case 5: // relative mouse
        r.skip(6, 'relative mouse');
        break;
      case 6: // QoE timestamp
        r.skip(4, 'timestamp');
        break;
      default:
        throw new ProtocolError(`unknown fast-path input event ${code}`);
    }
  }
  return events;
}

/** Parses the payload of a slow-path Input PDU. */
export function parseSlowPathInput(payload: Buffer): InputEvent[] {
  const r = new ByteReader(payload);
  const count = r.u16le('input event count');
  r.skip(2, 'padding');
  const events: InputEvent[] = [];
  for (let i = 0; i < count; i++) {
    r.skip(4, 'event time');
    const type = r.u16le('message type');
    const a = r.u16le('event field');
    const b = r.u16le('event field');
    const c = r.u16le('event field');
    switch (type) {
      case 0x0000:
        events.push({ kind: 'sync' });
        break;
      case 0x0004:
        events.push({ kind: 'scancode', code: b & 0xff, release: !!(a & 0x8000), extended: !!(a & 0x0100) });
        break;
      case 0x0005:
        events.push({ kind: 'unicode', char: b, release: !!(a & 0x8000) });
        break;
      case 0x8001:
      case 0x8002:
        events.push({ kind: 'mouse', flags: a, x: b, y: c });
        break;
      default:
        break; // unused event types are ignored
    }
  }
  return events;
}
