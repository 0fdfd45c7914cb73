// Decoder for the interleaved run-length encoding of compressed bitmaps (MS-RDPBCGR 2.2.9.1.1.3.1.2.4) at 8, 15, 16
// and 24 bpp. Pixels come out as numbers in stream order: the first row of the result is the bitmap's BOTTOM row.
// At 24 bpp they can come out as RGBA instead, ready for an ImageData: the orders only copy, fill and XOR pixels,
// which works the same on any arrangement of the colour bits, and the opaque alpha is set wherever a pixel is made
// from scratch (an XOR with the row above keeps the alpha that row has).
import { readPixel, whitePixel, bytesPerPixel, type PixelTarget } from './pixel-format.ts';

/** Why a stream could not be decoded; the caller then forwards the rectangle untouched. */
export class RleDecodeError extends Error {}

const fail = (why: string): never => {
  throw new RleDecodeError(why);
};

/**
 * Decodes `src` into width × height pixels: values of the colour depth, or with `rgba` (24 bpp only) RGBA words as a
 * little-endian Uint32Array over ImageData bytes holds them. Without a target they come out in a new array, stream
 * order, `width` to a row. Throws RleDecodeError on a truncated or overlong stream or an unknown order, so a damaged
 * rectangle is never half-rewritten (a target may be, so a caller gives one it can throw away).
 */
export function decodeInterleavedRle(src: Uint8Array, width: number, height: number, bpp: number, rgba = false, target?: PixelTarget): Uint32Array {
  const size = bytesPerPixel(bpp);
  if (size === null || size > 3) fail(`interleaved RLE does not exist at ${bpp} bpp`);
  if (rgba && bpp !== 24) fail('RGBA output is for 24 bpp only');
  if (target && Math.abs(target.stride) < width) fail('target rows overlap');
  const px = size as number;
  const total = width * height;
  // Int32 storage: RGBA words with their alpha set exceed int32, and V8 handles Uint32Array elements of that size
  // as doubles, several times slower per pixel. The caller gets the same memory as a Uint32Array.
  const out = target?.out ?? new Int32Array(total);
  const stride = target?.stride ?? width;
  // What a pixel made from scratch gets: opaque alpha, or nothing for plain values.
  const alpha = rgba ? 0xff000000 | 0 : 0;
  const white = whitePixel(bpp) | alpha;
  let fg = whitePixel(bpp); // without alpha: it is XORed onto pixels that have theirs
  let pos = 0;
  // Pixels decoded so far; the current pixel's column, and its index in `out` (the row above it is at idx - stride).
  let p = 0;
  let col = 0;
  let rowStart = target?.offset ?? 0;
  let idx = rowStart;
  let firstLine = true;
  // Two background runs in a row mean the second starts with one foreground pixel (the encoder could not have
  // emitted two adjacent runs otherwise).
  let insertFg = false;

  /** Moves on by k pixels of the current row (k never passes its end). */
  const advance = (k: number): void => {
    p += k;
    col += k;
    idx += k;
    if (col === width) {
      col = 0;
      rowStart += stride;
      idx = rowStart;
    }
  };
  /** Writes one pixel and moves on. */
  const put = (v: number): void => {
    out[idx] = v;
    advance(1);
  };
  const byte = (): number => (pos < src.length ? src[pos++] : fail('stream ends inside an order'));
  const pixel = (): number => {
    if (pos + px > src.length) fail('stream ends inside a pixel');
    // B, G, R in the stream; as RGBA, red goes to the low byte.
    const v = rgba ? src[pos + 2] | (src[pos + 1] << 8) | (src[pos] << 16) : readPixel(src, pos, px);
    pos += px;
    return v;
  };
  const room = (n: number): void => {
    if (p + n > total) fail('order runs past the end of the bitmap');
  };
  const above = (): number => out[idx - stride];
  const fgbg = (mask: number, count: number): void => {
    // One bit per pixel, least significant first: set = foreground (XORed onto the row above), clear = background.
    for (let bit = 0; bit < count; bit++) {
      const on = (mask >> bit) & 1;
      if (firstLine) put(on ? fg | alpha : alpha);
      else put(on ? above() ^ fg : above());
    }
  };
  const fgbgImage = (length: number): void => {
    room(length);
    for (let done = 0; done < length; done += 8) fgbg(byte(), Math.min(8, length - done));
  };
  /** n pixels of one value, a row's piece at a time. */
  const fill = (v: number, n: number): void => {
    while (n > 0) {
      const k = Math.min(n, width - col);
      out.fill(v, idx, idx + k);
      advance(k);
      n -= k;
    }
  };

  while (pos < src.length && p < total) {
    if (firstLine && p >= width) {
      firstLine = false;
      insertFg = false;
    }
    const header = byte();
    let code: number;
    let length: number;
    if (header >> 5 <= 4) {
      // Regular form: 3-bit code, 5-bit length.
      code = header >> 5;
      length = header & 0x1f;
      if (code === 2) length = length === 0 ? byte() + 1 : length * 8;
      else if (length === 0) length = byte() + 32;
    } else if (header >> 4 >= 0xc && header >> 4 <= 0xe) {
      // Lite form: 4-bit code, 4-bit length.
      code = header >> 4;
      length = header & 0x0f;
      if (code === 0xd) length = length === 0 ? byte() + 1 : length * 8;
      else if (length === 0) length = byte() + 16;
    } else {
      code = header;
      length = 0;
      if (header >= 0xf0 && header <= 0xf8 && header !== 0xf5) length = byte() | (byte() << 8);
    }

    switch (code) {
      case 0x0: // background run
      case 0xf0: {
        room(length);
        let n = length;
        if (insertFg && n > 0) {
          put(firstLine ? fg | alpha : above() ^ fg);
          n--;
        }
        if (firstLine) {
          fill(alpha, n);
        } else {
          // A copy of the row above, a row's piece at a time: rows do not overlap, so no piece reads what it writes.
          while (n > 0) {
            const k = Math.min(n, width - col);
            out.copyWithin(idx, idx - stride, idx - stride + k);
            advance(k);
            n -= k;
          }
        }
        insertFg = true;
        continue;
      }
      case 0x1: // foreground run
      case 0xf1:
      case 0xc: // set foreground, then foreground run
      case 0xf6: {
        if (code === 0xc || code === 0xf6) fg = pixel();
        room(length);
        if (firstLine) fill(fg | alpha, length);
        else for (let n = length; n > 0; n--) put(above() ^ fg);
        break;
      }
      case 0x2: // foreground/background image
      case 0xf2:
        fgbgImage(length);
        break;
      case 0xd: // set foreground, then foreground/background image
      case 0xf7:
        fg = pixel();
        fgbgImage(length);
        break;
      case 0x3: // colour run
      case 0xf3: {
        const v = pixel() | alpha;
        room(length);
        fill(v, length);
        break;
      }
      case 0x4: // colour image (literal pixels)
      case 0xf4:
        room(length);
        for (let n = length; n > 0; n--) put(pixel() | alpha);
        break;
      case 0xe: // dithered run: two alternating pixels, length counts pairs
      case 0xf8: {
        const a = pixel() | alpha;
        const b = pixel() | alpha;
        room(length * 2);
        for (let n = length; n > 0; n--) {
          put(a);
          put(b);
        }
        break;
      }
      case 0xf9: // special foreground/background patterns of 8 pixels
        room(8);
        fgbg(0x03, 8);
        break;
      case 0xfa:
        room(8);
        fgbg(0x05, 8);
        break;
      case 0xfd: // single white pixel
        room(1);
        put(white);
        break;
      case 0xfe: // single black pixel
        room(1);
        put(alpha);
        break;
      default:
        fail(`unknown RLE order 0x${header.toString(16)}`);
    }
    insertFg = false;
  }
  if (p !== total) fail('stream ends before the bitmap is complete');
  return new Uint32Array(out.buffer);
}
