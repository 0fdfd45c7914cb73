// Decoder for the RDP 6.0 planar bitmap codec (MS-RDPEGDI 2.2.2.5.1), which servers use for compressed 32 bpp
// bitmaps. Only the lossless form is handled (no colour loss, no chroma subsampling); anything else is refused and
// the caller forwards the rectangle untouched. Output: 0xRRGGBB per pixel in stream order (first row = bottom row),
// alpha dropped.

import type { PixelTarget } from './pixel-format.ts';

export class PlanarDecodeError extends Error {}

const fail = (why: string): never => {
  throw new PlanarDecodeError(why);
};

const FORMAT_COLOR_LOSS = 0x07;
const FORMAT_CHROMA_SUBSAMPLING = 0x08;
const FORMAT_RLE = 0x10;
const FORMAT_NO_ALPHA = 0x20;

/**
 * One RLE plane: per row, control bytes (high nibble = raw byte count, low nibble = run length; a low nibble of 1 or 2
 * means a run of 16 or 32 plus the high nibble with no raw bytes). Rows after the first hold deltas to the row above,
 * coded as 2d for d >= 0 and 2|d| - 1 for d < 0, added modulo 256. Returns the offset after the plane.
 */
function decodeRlePlane(src: Uint8Array, pos: number, width: number, height: number, plane: Uint8Array): number {
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    let last = 0;
    while (x < width) {
      if (pos >= src.length) fail('plane ends early');
      const control = src[pos++];
      let raw = control >> 4;
      let run = control & 0x0f;
      if (run === 1) {
        run = 16 + raw;
        raw = 0;
      } else if (run === 2) {
        run = 32 + raw;
        raw = 0;
      }
      if (x + raw + run > width) fail('plane row overflows the bitmap width');
      if (pos + raw > src.length) fail('plane ends inside raw bytes');
      for (; raw > 0; raw--) {
        last = src[pos++];
        plane[row + x++] = last;
      }
      for (; run > 0; run--) plane[row + x++] = last;
    }
    if (y > 0) {
      for (let i = 0; i < width; i++) {
        const v = plane[row + i];
        const delta = v & 1 ? -((v + 1) >> 1) : v >> 1;
        plane[row + i] = (plane[row - width + i] + delta) & 0xff;
      }
    }
  }
  return pos;
}

/**
 * `rgba`: the pixels as opaque RGBA words (a little-endian Uint32Array over ImageData bytes) instead of 0xRRGGBB.
 * Without a target they come out in a new array, stream order (bottom row first), `width` to a row.
 */
export function decodePlanar(src: Uint8Array, width: number, height: number, rgba = false, target?: PixelTarget): Uint32Array {
  if (src.length < 1) fail('empty planar stream');
  const format = src[0];
  if (format & (FORMAT_COLOR_LOSS | FORMAT_CHROMA_SUBSAMPLING)) fail('lossy planar bitmaps are not handled');
  if (format & 0xc0) fail('reserved planar format bits set');
  const total = width * height;
  const planeCount = format & FORMAT_NO_ALPHA ? 3 : 4;
  const planes: Uint8Array[] = [];
  let pos = 1;
  for (let i = 0; i < planeCount; i++) {
    const plane = new Uint8Array(total);
    if (format & FORMAT_RLE) {
      pos = decodeRlePlane(src, pos, width, height, plane);
    } else {
      if (pos + total > src.length) fail('raw plane ends early');
      plane.set(src.subarray(pos, pos + total));
      pos += total;
    }
    planes.push(plane);
  }
  const [r, g, b] = planes.slice(planeCount - 3);
  if (target && Math.abs(target.stride) < width) fail('target rows overlap');
  // Int32 storage: opaque RGBA words exceed int32, which V8 moves as doubles in a Uint32Array.
  const out = target?.out ?? new Int32Array(total);
  const stride = target?.stride ?? width;
  for (let row = 0, i = 0; row < height; row++) {
    const at = (target?.offset ?? 0) + row * stride;
    if (rgba) for (let x = 0; x < width; x++, i++) out[at + x] = 0xff000000 | (b[i] << 16) | (g[i] << 8) | r[i];
    else for (let x = 0; x < width; x++, i++) out[at + x] = (r[i] << 16) | (g[i] << 8) | b[i];
  }
  return new Uint32Array(out.buffer);
}
