// One TS_BITMAP_DATA rectangle (MS-RDPBCGR 2.2.9.1.1.3.1.2.2): parse it, and, when the bitmap is larger than the
// rectangle it is drawn into, rebuild it cropped to exactly that rectangle.
import { bytesPerPixel, readPixel, writePixel } from '../../common/rdp-codecs/pixel-format.ts';
import { decodeInterleavedRle } from '../../common/rdp-codecs/interleaved-rle-decode.ts';
import { encodeInterleavedRle } from './interleaved-rle-encode.ts';
import { decodePlanar } from '../../common/rdp-codecs/planar-decode.ts';

export const BITMAP_COMPRESSION = 0x0001;
export const NO_BITMAP_COMPRESSION_HDR = 0x0400;
const RECT_HEADER = 18;
const COMPRESSION_HEADER = 8;
// A few RLE bytes can describe an enormous bitmap; refuse to decode more than a 4K screen's worth of pixels so a
// hostile or broken stream cannot make the gateway allocate without bound.
const MAX_PIXELS = 3840 * 2160;

export interface BitmapRect {
  destLeft: number;
  destTop: number;
  destRight: number;
  destBottom: number;
  width: number;
  height: number;
  bpp: number;
  flags: number;
  /** The bitmapDataStream including the optional 8-byte compression header (bitmapLength bytes). */
  body: Buffer;
  /** The whole rectangle as received. */
  raw: Buffer;
}

/** Parses the rectangle at `offset`; null if it does not fit in `buf`. */
export function parseBitmapRect(buf: Buffer, offset: number): BitmapRect | null {
  if (offset + RECT_HEADER > buf.length) return null;
  const u16 = (i: number): number => buf.readUInt16LE(offset + 2 * i);
  const length = u16(8);
  const end = offset + RECT_HEADER + length;
  if (end > buf.length) return null;
  return {
    destLeft: u16(0),
    destTop: u16(1),
    destRight: u16(2),
    destBottom: u16(3),
    width: u16(4),
    height: u16(5),
    bpp: u16(6),
    flags: u16(7),
    body: buf.subarray(offset + RECT_HEADER, end),
    raw: buf.subarray(offset, end),
  };
}

function buildRect(r: BitmapRect, width: number, height: number, bpp: number, flags: number, body: Buffer): Buffer {
  const out = Buffer.alloc(RECT_HEADER + body.length);
  const fields = [r.destLeft, r.destTop, r.destRight, r.destBottom, width, height, bpp, flags, body.length];
  fields.forEach((v, i) => out.writeUInt16LE(v, 2 * i));
  body.copy(out, RECT_HEADER);
  return out;
}

/** The decoded pixels of a rectangle in stream order (bottom row first), or null for a form this module skips. */
interface Decoded {
  pixels: Uint32Array;
  /** Colour depth the pixels are expressed in (32 bpp planar decodes to 24-bit values). */
  bpp: number;
  compressed: boolean;
}

function decodeRect(r: BitmapRect): Decoded | null {
  const size = bytesPerPixel(r.bpp);
  if (size === null || r.width === 0 || r.height === 0 || r.width * r.height > MAX_PIXELS) return null;
  if (r.flags & BITMAP_COMPRESSION) {
    let data = r.body;
    if (!(r.flags & NO_BITMAP_COMPRESSION_HDR)) {
      if (data.length < COMPRESSION_HEADER) return null;
      const mainBody = data.readUInt16LE(2);
      if (COMPRESSION_HEADER + mainBody > data.length) return null;
      data = data.subarray(COMPRESSION_HEADER, COMPRESSION_HEADER + mainBody);
    }
    if (r.bpp === 32) return { pixels: decodePlanar(data, r.width, r.height), bpp: 24, compressed: true };
    return { pixels: decodeInterleavedRle(data, r.width, r.height, r.bpp), bpp: r.bpp, compressed: true };
  }
  // Uncompressed: rows are either tightly packed or padded to 4 bytes; accept exactly those two sizes.
  const tight = r.width * size;
  const padded = (tight + 3) & ~3;
  const stride = r.body.length === tight * r.height ? tight : r.body.length === padded * r.height ? padded : 0;
  if (stride === 0) return null;
  const pixels = new Uint32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) pixels[y * r.width + x] = readPixel(r.body, y * stride + x * size, size);
  }
  return { pixels, bpp: r.bpp, compressed: false };
}

/**
 * Keeps the top-left cw × ch of a bitmap whose rows are stored bottom-up: the bottom rows (the first ones in the
 * stream) and the right-hand columns are dropped.
 */
function crop(pixels: Uint32Array, width: number, height: number, cw: number, ch: number): Uint32Array {
  const out = new Uint32Array(cw * ch);
  const skipRows = height - ch;
  for (let y = 0; y < ch; y++) out.set(pixels.subarray((skipRows + y) * width, (skipRows + y) * width + cw), y * cw);
  return out;
}

/**
 * Returns the rectangle rebuilt at its destination size, or null when it needs no repair or cannot be repaired
 * (unknown colour depth, lossy planar, damaged data): the caller then forwards the original bytes.
 *
 * Re-encoding: interleaved RLE at the original depth for 8/15/16/24 bpp (compressed or not); 32 bpp planar becomes
 * 24 bpp interleaved RLE (IronRDP 0.7.0 draws that correctly in a 32 bpp session; it has no planar encoder here);
 * uncompressed 32 bpp stays uncompressed 32 bpp.
 */
export function repairRect(r: BitmapRect): Buffer | null {
  const dw = r.destRight - r.destLeft + 1;
  const dh = r.destBottom - r.destTop + 1;
  if (dw <= 0 || dh <= 0) return null;
  if (r.width <= dw && r.height <= dh) return null;
  const cw = Math.min(r.width, dw);
  const ch = Math.min(r.height, dh);
  let decoded: Decoded | null;
  try {
    decoded = decodeRect(r);
  } catch {
    return null;
  }
  if (decoded === null) return null;
  const pixels = crop(decoded.pixels, r.width, r.height, cw, ch);
  if (decoded.bpp === 32) {
    const body = Buffer.alloc(cw * ch * 4);
    for (let i = 0; i < pixels.length; i++) writePixel(body, i * 4, 4, pixels[i]);
    if (body.length > 0xffff) return null;
    return buildRect(r, cw, ch, 32, r.flags & ~BITMAP_COMPRESSION, body);
  }
  const rle = encodeInterleavedRle(pixels, cw, ch, decoded.bpp);
  // Keep the sender's choice of compression header for compressed input; bitmaps that arrived uncompressed get the
  // header, which every client accepts whatever it negotiated.
  const withHeader = !(r.flags & BITMAP_COMPRESSION) || !(r.flags & NO_BITMAP_COMPRESSION_HDR);
  let body = rle;
  if (withHeader) {
    const size = bytesPerPixel(decoded.bpp) ?? 1;
    // The header's sizes are 16-bit: a rectangle too large for them cannot carry one.
    if (rle.length > 0xffff || cw * ch * size > 0xffff) return null;
    const hdr = Buffer.alloc(COMPRESSION_HEADER);
    hdr.writeUInt16LE(0, 0); // cbCompFirstRowSize: always 0
    hdr.writeUInt16LE(rle.length, 2);
    hdr.writeUInt16LE(cw * size, 4);
    hdr.writeUInt16LE(cw * ch * size, 6);
    body = Buffer.concat([hdr, rle]);
  }
  const flags = BITMAP_COMPRESSION | (withHeader ? 0 : NO_BITMAP_COMPRESSION_HDR);
  if (body.length > 0xffff) return null;
  return buildRect(r, cw, ch, decoded.bpp, flags, body);
}
