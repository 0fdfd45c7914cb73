/**
 * Decodes the rectangles of one bitmap update into RGBA regions of the desktop, as the page puts them on the tab's
 * canvas. Codecs: interleaved RLE (15, 16, 24 bpp), RDP 6.0 planar (32 bpp, lossless) and uncompressed bitmaps
 * (15, 16, 24, 32 bpp), with the decoders in electron/common/rdp-codecs. Bitmaps are stored bottom row first; a bitmap
 * may be larger than its destination (xrdp pads widths to a multiple of 4), and only the destination is drawn.
 */
import { decodeInterleavedRle } from '../../../../../electron/common/rdp-codecs/interleaved-rle-decode.ts';
import { decodePlanar } from '../../../../../electron/common/rdp-codecs/planar-decode.ts';
import { bytesPerPixel, readPixel, type PixelTarget } from '../../../../../electron/common/rdp-codecs/pixel-format.ts';
import type { Region } from '../frame-shipper.ts';
import type { BitmapRect } from './updates.ts';

/** A depth and codec the direct path leaves to IronRDP (lossy planar, for one). */
export class Undrawable extends Error {}

/** 5- and 6-bit channels scaled to 8 bits, rounded to nearest (as IronRDP converts them, so both draw alike). */
const FIVE = Uint8Array.from({ length: 32 }, (_, v) => Math.round((v * 255) / 31));
const SIX = Uint8Array.from({ length: 64 }, (_, v) => Math.round((v * 255) / 63));

interface Placed {
  rect: BitmapRect;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * The update's rectangles as regions, clipped to the desktop: one region when they tile their bounding box exactly
 * (a full-screen update is then one putImageData in the page), otherwise one each. Throws Undrawable if any rectangle
 * cannot be decoded; the regions are then dropped, nothing having been drawn.
 */
export function regionsOf(rects: BitmapRect[], desktopWidth: number, desktopHeight: number): Region[] {
  const placed: Placed[] = [];
  for (const rect of rects) {
    const w = Math.min(rect.right - rect.left + 1, rect.width, desktopWidth - rect.left);
    const h = Math.min(rect.bottom - rect.top + 1, rect.height, desktopHeight - rect.top);
    if (w > 0 && h > 0) placed.push({ rect, x: rect.left, y: rect.top, w, h });
  }
  if (!placed.length) return [];
  const box = tiledBox(placed);
  if (box) {
    const out = new Int32Array(box.w * box.h);
    for (const p of placed) draw(p, out, box.w, p.x - box.x, p.y - box.y);
    return [{ ...box, pixels: out.buffer }];
  }
  return placed.map((p) => {
    const out = new Int32Array(p.w * p.h);
    draw(p, out, p.w, 0, 0);
    return { x: p.x, y: p.y, w: p.w, h: p.h, pixels: out.buffer };
  });
}

/**
 * Decodes one rectangle into `out` (RGBA, rows of `outWidth`) at (ox, oy), upright. Where the bitmap is exactly its
 * destination and the codec makes RGBA (24 and 32 bpp, the common case), the decoder writes there itself, bottom row
 * first at a negative stride: no copy. Otherwise it decodes apart, and the destination's part is copied (and, at 15
 * and 16 bpp, converted).
 */
function draw(p: Placed, out: Int32Array, outWidth: number, ox: number, oy: number): void {
  const r = p.rect;
  const rgba = r.bpp >= 24;
  const fits = r.width === p.w && r.height === p.h;
  const decodeInto = (target: PixelTarget) => {
    if (!r.compressed) uncompressed(r, target);
    else if (r.bpp === 32) decodePlanar(r.data, r.width, r.height, true, target);
    else decodeInterleavedRle(r.data, r.width, r.height, r.bpp, rgba, target);
  };
  try {
    if (rgba && fits) {
      decodeInto({ out, offset: (oy + p.h - 1) * outWidth + ox, stride: -outWidth });
      return;
    }
    const values = new Int32Array(r.width * r.height);
    decodeInto({ out: values, offset: 0, stride: r.width });
    put(p, values, rgba, out, outWidth, ox, oy);
  } catch (err) {
    if (err instanceof Undrawable) throw err;
    throw new Undrawable((err as Error).message);
  }
}

/**
 * An uncompressed bitmap (rows padded to 4 bytes, bottom row first) into a target, as the decoders write: RGBA at 24
 * and 32 bpp, values of the colour depth at 15 and 16.
 */
function uncompressed(r: BitmapRect, target: PixelTarget): void {
  const size = bytesPerPixel(r.bpp)!;
  const stride = (r.width * size + 3) & ~3;
  if (r.data.length < stride * r.height) throw new Undrawable('uncompressed bitmap shorter than its size');
  const d = r.data;
  const out = target.out;
  for (let row = 0; row < r.height; row++) {
    const to = target.offset + row * target.stride;
    let at = row * stride;
    // B, G, R (and an unused byte at 32 bpp).
    if (r.bpp >= 24) for (let x = 0; x < r.width; x++, at += size) out[to + x] = 0xff000000 | (d[at] << 16) | (d[at + 1] << 8) | d[at + 2];
    else for (let x = 0; x < r.width; x++, at += size) out[to + x] = readPixel(d, at, size);
  }
}

/**
 * Copies the destination's part of a bitmap decoded apart (bottom row first, `rect.width` to a row) into `out`,
 * upright: RGBA words as they are, 15 and 16 bpp values converted, each loop written out, as it runs per pixel.
 */
function put(p: Placed, values: Int32Array, rgba: boolean, out: Int32Array, outWidth: number, ox: number, oy: number): void {
  const bw = p.rect.width;
  const bh = p.rect.height;
  const w = p.w;
  for (let row = 0; row < p.h; row++) {
    const from = (bh - 1 - row) * bw;
    const to = (oy + row) * outWidth + ox;
    if (rgba) {
      for (let x = 0; x < w; x++) out[to + x] = values[from + x];
    } else if (p.rect.bpp === 15) {
      for (let x = 0; x < w; x++) {
        const v = values[from + x];
        out[to + x] = 0xff000000 | (FIVE[v & 0x1f] << 16) | (FIVE[(v >> 5) & 0x1f] << 8) | FIVE[(v >> 10) & 0x1f];
      }
    } else {
      for (let x = 0; x < w; x++) {
        const v = values[from + x];
        out[to + x] = 0xff000000 | (FIVE[v & 0x1f] << 16) | (SIX[(v >> 5) & 0x3f] << 8) | FIVE[(v >> 11) & 0x1f];
      }
    }
  }
}

/** The bounding box of the rectangles if they cover it exactly, without overlapping. */
function tiledBox(placed: Placed[]): { x: number; y: number; w: number; h: number } | null {
  if (placed.length === 1) return { x: placed[0].x, y: placed[0].y, w: placed[0].w, h: placed[0].h };
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = 0;
  let y1 = 0;
  let area = 0;
  for (const p of placed) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + p.w);
    y1 = Math.max(y1, p.y + p.h);
    area += p.w * p.h;
  }
  if (area !== (x1 - x0) * (y1 - y0)) return null;
  // Equal areas with an overlap would leave a hole elsewhere: check that no two overlap (sorted by row, then column).
  const sorted = [...placed].sort((a, b) => a.y - b.y || a.x - b.x);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i];
    for (let j = i + 1; j < sorted.length && sorted[j].y < a.y + a.h; j++) {
      const b = sorted[j];
      if (b.x < a.x + a.w && a.x < b.x + b.w) return null;
    }
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
