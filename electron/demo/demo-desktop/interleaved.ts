// Interleaved RLE bitmap encoding at 24 bpp (MS-RDPBCGR 2.2.9.1.1.3.1.2.4, RLE_BITMAP_STREAM), the encoding every
// RDP client decodes for compressed bitmaps below 32 bpp. Offered next to planar because a client decodes it in one
// pass straight into B,G,R pixels, where planar needs three plane passes and a combine (bench/stream-fps.ts compares
// them); for the demo's pictures (flat areas, vertical edges, solid text) it is also small: scanlines equal to the
// ones above are a single background-run order.
//
// Only a subset of the orders is produced, all of them stateless for the decoder:
// - background run (copy the pixel one scanline up), never on the first scanline, where decoders write black;
// - colour run (one pixel repeated);
// - colour image (literal pixels).
// Foreground, dithered and special orders are never used, so the decoder's foreground colour never matters, except
// for one rule of background runs: a background run that directly follows another one starts with a pixel XORed
// with the foreground colour. The encoder never emits two background runs in a row.

/** Bits per pixel of the bitmaps this module writes: the value for TS_BITMAP_DATA's bitsPerPixel. */
export const INTERLEAVED_BPP = 24;

const BG_RUN = 0x0;
const COLOR_RUN = 0x3;
const COLOR_IMAGE = 0x4;
/** The MEGA_MEGA form of each order above: a whole header byte, then a 16-bit length. */
const MEGA_MEGA = { [BG_RUN]: 0xf0, [COLOR_RUN]: 0xf3, [COLOR_IMAGE]: 0xf4 } as const;
type Code = keyof typeof MEGA_MEGA;

/** The longest order: MEGA_MEGA lengths are 16 bits. */
const MAX_ORDER = 0xffff;
/**
 * Shortest colour run worth an order: 3 pixels cost 4 bytes against 9 inside an image (plus a byte to restart the
 * image after it); 2 would save a byte at most and chop images into more orders for the decoder.
 */
const MIN_COLOR_RUN = 3;

let scratch = Buffer.alloc(0);
let pixels = new Uint32Array(0);

/**
 * Encodes a w×h rectangle of a B,G,R,X buffer (`stride` bytes a row) as one 24 bpp interleaved RLE stream.
 * Scanlines are emitted bottom-up, the order bitmap updates use for every bitmap format.
 */
export function encodeInterleaved24(src: Buffer, stride: number, x: number, y: number, w: number, h: number): Buffer {
  if (w <= 0 || h <= 0) throw new Error(`empty rectangle ${w}×${h}`);
  const n = w * h;
  // Pixels as 0xRRGGBB in wire order (bottom row first): comparing with the pixel above is then comparing with
  // the pixel w places back, across scanline ends too, exactly as the decoder reads it.
  if (pixels.length < n) pixels = new Uint32Array(n);
  const px = pixels;
  for (let row = 0; row < h; row++) {
    let s = (y + h - 1 - row) * stride + x * 4;
    const d = row * w;
    for (let i = 0; i < w; i++, s += 4) px[d + i] = src[s] | (src[s + 1] << 8) | (src[s + 2] << 16);
  }
  // Worst case: a 1-pixel image (4 bytes) between 1-pixel background runs (1 byte), plus per-scanline restarts.
  const bound = 4 * n + 3 * h + 16;
  if (scratch.length < bound) scratch = Buffer.alloc(bound);
  // The first scanline ends with an order boundary: decoders check for its end only between orders, and the
  // first-scanline rules must not leak into the second.
  let pos = encodeSpan(px, 0, w, w, false, scratch, 0);
  if (h > 1) pos = encodeSpan(px, w, n, w, true, scratch, pos);
  return Buffer.from(scratch.subarray(0, pos));
}

/** Encodes pixels [start, end) as orders; background runs (pixel w places back) only when `bg` is set. */
function encodeSpan(px: Uint32Array, start: number, end: number, w: number, bg: boolean, out: Buffer, pos: number): number {
  let p = start;
  let lastWasBg = false;
  while (p < end) {
    const a = bg && !lastWasBg ? sameAsAbove(px, p, end, w) : 0;
    const r = runLength(px, p, end);
    if (a > 0 && a >= r) {
      const len = Math.min(a, MAX_ORDER);
      pos = header(out, pos, BG_RUN, len);
      p += len;
      // Another background run straight after this one would start with a foreground pixel (see the top of this
      // file): after a run capped at MAX_ORDER, the next order is of another kind.
      lastWasBg = true;
      continue;
    }
    lastWasBg = false;
    if (r >= MIN_COLOR_RUN) {
      const len = Math.min(r, MAX_ORDER);
      pos = header(out, pos, COLOR_RUN, len);
      pos = pixel(out, pos, px[p]);
      p += len;
      continue;
    }
    // Literal pixels up to where a run of either kind starts that is worth its own order.
    let q = p + 1;
    while (q < end && q - p < MAX_ORDER && !worthAnOrder(px, q, end, w, bg)) q++;
    pos = header(out, pos, COLOR_IMAGE, q - p);
    for (let i = p; i < q; i++) pos = pixel(out, pos, px[i]);
    p = q;
  }
  return pos;
}

/** How many pixels from p on equal the pixel one scanline up. */
function sameAsAbove(px: Uint32Array, p: number, end: number, w: number): number {
  let q = p;
  while (q < end && px[q] === px[q - w]) q++;
  return q - p;
}

/** How many pixels from p on have p's colour. */
function runLength(px: Uint32Array, p: number, end: number): number {
  const c = px[p];
  let q = p + 1;
  while (q < end && px[q] === c) q++;
  return q - p;
}

/**
 * Whether a literal image should stop before q: a colour run of MIN_COLOR_RUN starts there, or two pixels equal
 * to those above (a single one saves only a byte, and splits the image into two orders).
 */
function worthAnOrder(px: Uint32Array, q: number, end: number, w: number, bg: boolean): boolean {
  if (q + 2 < end && px[q] === px[q + 1] && px[q] === px[q + 2]) return true;
  return bg && q + 1 < end && px[q] === px[q - w] && px[q + 1] === px[q + 1 - w];
}

/**
 * An order header for `len` pixels (1..65535): the regular form holds 1..31 in its low five bits, 32..287 as a
 * zero there and a byte of len − 32; longer runs use the MEGA_MEGA form with a 16-bit little-endian length.
 */
function header(out: Buffer, pos: number, code: Code, len: number): number {
  if (len < 32) {
    out[pos++] = (code << 5) | len;
  } else if (len < 32 + 256) {
    out[pos++] = code << 5;
    out[pos++] = len - 32;
  } else {
    out[pos++] = MEGA_MEGA[code];
    out[pos++] = len & 0xff;
    out[pos++] = len >> 8;
  }
  return pos;
}

/** A 24 bpp pixel on the wire: B, G, R. */
function pixel(out: Buffer, pos: number, c: number): number {
  out[pos] = c & 0xff;
  out[pos + 1] = (c >> 8) & 0xff;
  out[pos + 2] = c >> 16;
  return pos + 3;
}
