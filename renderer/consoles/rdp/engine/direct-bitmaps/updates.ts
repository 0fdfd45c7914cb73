/**
 * Sorts the server's PDUs of the active phase into bitmap updates (drawn by the direct path, rectangles.ts) and
 * everything else (passed to IronRDP). Only headers are read; pixel data is not touched here.
 *
 * Bitmap updates come fast-path (MS-RDPBCGR 2.2.9.1.2.1.2, possibly split into fragments) or slow-path (2.2.9.1.1.3,
 * a Share Data PDU of type Update on the I/O channel). A fast-path PDU may carry several updates; when bitmaps sit
 * among others, the others are passed on in fast-path PDUs of their own, in their order.
 */
import { concat } from './bytes.ts';

/** One TS_BITMAP_DATA: a destination rectangle (inclusive edges) and the bitmap that fills it from its top left. */
export interface BitmapRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** The bitmap's own size, which may exceed the destination's (xrdp pads widths to a multiple of 4). */
  width: number;
  height: number;
  bpp: number;
  compressed: boolean;
  /** The encoded pixels, without the optional compression header. */
  data: Uint8Array;
}

export type Item =
  /**
   * For IronRDP. `draws`: it changes the picture. `barrier`: IronRDP must have handled it before a later bitmap is
   * drawn (everything that draws, and every slow-path PDU, which may change the session: a reactivation, a new size).
   */
  | { kind: 'pass'; bytes: Uint8Array; draws: boolean; barrier: boolean }
  /** Bitmaps to draw; `bytes` is the same as PDUs IronRDP would take, should the direct path not draw them. */
  | { kind: 'bitmaps'; rects: BitmapRect[]; bytes: Uint8Array };

const FASTPATH_UPDATE_BITMAP = 0x1;
const FASTPATH_UPDATE_SURFCMDS = 0x4;
const FRAGMENT_SINGLE = 0;
const FRAGMENT_LAST = 1;
const FRAGMENT_FIRST = 2;
const COMPRESSION_USED = 0x2;
const PACKET_COMPRESSED = 0x20;
const CMDTYPE_FRAME_MARKER = 0x4;
const UPDATETYPE_BITMAP = 0x1;
const PDUTYPE_DATA = 0x7;
const PDUTYPE2_UPDATE = 0x02;
const BITMAP_COMPRESSION = 0x0001;
const NO_BITMAP_COMPRESSION_HDR = 0x0400;
const MCS_SEND_DATA_INDICATION = 26;

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);

/** A malformed or unexpected PDU: passed to IronRDP whole, which reports what is wrong with it. */
const opaque = (bytes: Uint8Array): Item => ({ kind: 'pass', bytes, draws: true, barrier: true });

/** One fast-path update as it sits in its PDU: the header byte(s), size and data. */
interface Update {
  code: number;
  fragmentation: number;
  raw: Uint8Array;
  payload: Uint8Array;
  compressed: boolean;
}

export class UpdateSorter {
  /** Fragments of a fast-path bitmap update, until its last one arrives. */
  private fragments: Update[] | null = null;

  /** `ioChannel`: the MCS channel slow-path updates come on (the one the Font Map came on). */
  constructor(private readonly ioChannel: () => number | undefined) {}

  /** Fragments held back, as PDUs for IronRDP (when the stream stops being sorted). */
  drain(): Uint8Array | null {
    const held = this.fragments;
    this.fragments = null;
    return held ? concat(held.map((f) => fastPathPdu([f.raw]))) : null;
  }

  sort(pdu: Uint8Array): Item[] {
    return pdu[0] === 3 ? [this.slowPath(pdu)] : this.fastPath(pdu);
  }

  private slowPath(pdu: Uint8Array): Item {
    const pass: Item = { kind: 'pass', bytes: pdu, draws: false, barrier: true };
    // TPKT (4), X.224 data (3), MCS: type, initiator (2), channel (2), flags, PER length (1 or 2).
    if (pdu.length < 15 || pdu[5] !== 0xf0 || pdu[7] >> 2 !== MCS_SEND_DATA_INDICATION) return pass;
    if (((pdu[10] << 8) | pdu[11]) !== this.ioChannel()) return pass;
    const share = 13 + (pdu[13] & 0x80 ? 2 : 1);
    // Share control header (6), share data header (12), then the update's type.
    if (pdu.length < share + 22 || (u16(pdu, share + 2) & 0xf) !== PDUTYPE_DATA || pdu[share + 14] !== PDUTYPE2_UPDATE) return pass;
    if (pdu[share + 15] & PACKET_COMPRESSED) return opaque(pdu);
    const rects = bitmapUpdate(pdu.subarray(share + 18));
    // Other updates (orders, palette, synchronize): IronRDP 0.7.0 draws none of them.
    if (rects === 'not-bitmap') return pass;
    return rects ? { kind: 'bitmaps', rects, bytes: pdu } : opaque(pdu);
  }

  private fastPath(pdu: Uint8Array): Item[] {
    // Header: action and flags (encrypted PDUs cannot be read here), then a length of one or two bytes.
    if (pdu[0] !== 0) return [opaque(pdu)];
    const updates: Update[] = [];
    for (let at = pdu[1] & 0x80 ? 3 : 2; at < pdu.length; ) {
      const header = pdu[at];
      const compressed = ((header >> 6) & COMPRESSION_USED) !== 0;
      const sizeAt = at + (compressed ? 2 : 1);
      if (sizeAt + 2 > pdu.length) return [opaque(pdu)];
      if (compressed && pdu[at + 1] & PACKET_COMPRESSED) return [opaque(pdu)];
      const end = sizeAt + 2 + u16(pdu, sizeAt);
      if (end > pdu.length) return [opaque(pdu)];
      updates.push({
        code: header & 0xf,
        fragmentation: (header >> 4) & 0x3,
        raw: pdu.subarray(at, end),
        payload: pdu.subarray(sizeAt + 2, end),
        compressed,
      });
      at = end;
    }

    const items: Item[] = [];
    let run: Update[] = [];
    let runDraws = false;
    const endRun = () => {
      if (!run.length) return;
      // A PDU that holds no bitmap goes on as it came.
      const bytes = run.length === updates.length ? pdu : fastPathPdu(run.map((u) => u.raw));
      items.push({ kind: 'pass', bytes, draws: runDraws, barrier: runDraws });
      run = [];
      runDraws = false;
    };
    for (const u of updates) {
      if (this.fragments && (u.code !== FASTPATH_UPDATE_BITMAP || u.fragmentation === FRAGMENT_SINGLE || u.fragmentation === FRAGMENT_FIRST)) {
        // Fragments of one update follow each other; anything else in between is not a stream this can follow.
        endRun();
        items.push(opaque(concat(this.fragments.map((f) => fastPathPdu([f.raw])))));
        this.fragments = null;
      }
      const bitmap = this.bitmapFrom(u);
      if (bitmap === 'held') continue;
      if (bitmap) {
        endRun();
        // A PDU that holds this bitmap alone stays as it came, should IronRDP have to take it after all.
        items.push(updates.length === 1 && u.fragmentation === FRAGMENT_SINGLE ? { ...bitmap, bytes: pdu } : bitmap);
        continue;
      }
      run.push(u);
      runDraws ||= draws(u);
    }
    endRun();
    // A PDU without updates still reaches IronRDP as it came.
    if (!updates.length) items.push({ kind: 'pass', bytes: pdu, draws: false, barrier: false });
    return items;
  }

  /** A bitmap update (or the last of its fragments) as an item; 'held' for a fragment before the last. */
  private bitmapFrom(u: Update): Item | 'held' | null {
    if (this.fragments) {
      this.fragments.push(u);
      if (u.fragmentation !== FRAGMENT_LAST) return 'held';
      const parts = this.fragments;
      this.fragments = null;
      const whole = concat(parts.map((f) => f.payload));
      const bytes = concat(parts.map((f) => fastPathPdu([f.raw])));
      const rects = bitmapUpdate(whole);
      return rects && rects !== 'not-bitmap' ? { kind: 'bitmaps', rects, bytes } : opaque(bytes);
    }
    if (u.code !== FASTPATH_UPDATE_BITMAP || u.compressed) return null;
    if (u.fragmentation === FRAGMENT_FIRST) {
      this.fragments = [u];
      return 'held';
    }
    if (u.fragmentation !== FRAGMENT_SINGLE) return null;
    const rects = bitmapUpdate(u.payload);
    return rects && rects !== 'not-bitmap' ? { kind: 'bitmaps', rects, bytes: fastPathPdu([u.raw]) } : null;
  }
}

/**
 * Whether IronRDP's handling of this update changes the picture. Pointer shapes and frame markers do not; nor do
 * drawing orders and palettes, which IronRDP 0.7.0 ignores (it offers no orders; a palette only matters to 8 bpp
 * bitmaps, which it draws itself, so they hand drawing back anyway).
 */
function draws(u: Update): boolean {
  switch (u.code) {
    case FASTPATH_UPDATE_BITMAP:
      return true;
    case FASTPATH_UPDATE_SURFCMDS:
      return u.fragmentation !== FRAGMENT_SINGLE || !onlyFrameMarkers(u.payload);
    default:
      return false;
  }
}

/** Whether a surface commands update holds frame markers only (TS_FRAME_MARKER: type, action, id: 8 bytes). */
function onlyFrameMarkers(p: Uint8Array): boolean {
  for (let at = 0; at < p.length; at += 8) if (at + 8 > p.length || u16(p, at) !== CMDTYPE_FRAME_MARKER) return false;
  return true;
}

/**
 * The rectangles of a TS_UPDATE_BITMAP_DATA; 'not-bitmap' for another update type, null when it cannot be read or
 * holds a rectangle the direct path does not draw (8 bpp with its palette, unknown depths), so IronRDP takes it.
 */
export function bitmapUpdate(p: Uint8Array): BitmapRect[] | 'not-bitmap' | null {
  if (p.length < 4) return null;
  if (u16(p, 0) !== UPDATETYPE_BITMAP) return 'not-bitmap';
  const count = u16(p, 2);
  const rects: BitmapRect[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 18 > p.length) return null;
    const left = u16(p, at);
    const top = u16(p, at + 2);
    const right = u16(p, at + 4);
    const bottom = u16(p, at + 6);
    const width = u16(p, at + 8);
    const height = u16(p, at + 10);
    const bpp = u16(p, at + 12);
    const flags = u16(p, at + 14);
    const length = u16(p, at + 16);
    at += 18;
    if (at + length > p.length) return null;
    const compressed = (flags & BITMAP_COMPRESSION) !== 0;
    const header = compressed && !(flags & NO_BITMAP_COMPRESSION_HDR) ? 8 : 0;
    if (length < header || right < left || bottom < top || width === 0 || height === 0) return null;
    if (bpp !== 15 && bpp !== 16 && bpp !== 24 && bpp !== 32) return null;
    rects.push({ left, top, right, bottom, width, height, bpp, compressed, data: p.subarray(at + header, at + length) });
    at += length;
  }
  return rects;
}

/** A fast-path output PDU (no flags) holding these updates, each as it was encoded. */
export function fastPathPdu(updates: Uint8Array[]): Uint8Array {
  const length = 3 + updates.reduce((n, u) => n + u.length, 0);
  const out = new Uint8Array(length);
  out[0] = 0;
  out[1] = 0x80 | (length >> 8);
  out[2] = length & 0xff;
  let at = 3;
  for (const u of updates) {
    out.set(u, at);
    at += u.length;
  }
  return out;
}
