// Colour depths a TS_BITMAP_DATA can carry and what the interleaved RLE codec needs to know about each.

/** Bytes one pixel takes in an interleaved RLE stream or an uncompressed bitmap at this colour depth. */
export function bytesPerPixel(bpp: number): number | null {
  switch (bpp) {
    case 8:
      return 1;
    case 15:
    case 16:
      return 2;
    case 24:
      return 3;
    case 32:
      return 4;
    default:
      return null;
  }
}

/** The pixel value the RLE "white" order writes (all colour bits set; 15 bpp has no top bit). */
export function whitePixel(bpp: number): number {
  switch (bpp) {
    case 8:
      return 0xff;
    case 15:
      return 0x7fff;
    case 16:
      return 0xffff;
    default:
      return 0xffffff;
  }
}

/** Reads one little-endian pixel of `size` bytes; callers have checked the bounds. */
export function readPixel(src: Uint8Array, at: number, size: number): number {
  switch (size) {
    case 1:
      return src[at];
    case 2:
      return src[at] | (src[at + 1] << 8);
    case 3:
      return src[at] | (src[at + 1] << 8) | (src[at + 2] << 16);
    default:
      return (src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
  }
}

/** Writes one little-endian pixel of `size` bytes. */
export function writePixel(dst: Uint8Array, at: number, size: number, value: number): void {
  dst[at] = value & 0xff;
  if (size > 1) dst[at + 1] = (value >>> 8) & 0xff;
  if (size > 2) dst[at + 2] = (value >>> 16) & 0xff;
  if (size > 3) dst[at + 3] = (value >>> 24) & 0xff;
}

/**
 * Where a decoder puts a bitmap's rows: row r of the stream (r = 0 is the bitmap's bottom row) starts at
 * `offset + r * stride` in `out`. A negative stride writes the bitmap upright into a larger picture, as a caller that
 * draws it wants. Rows must not overlap (|stride| ≥ the bitmap's width).
 */
export interface PixelTarget {
  out: Int32Array;
  offset: number;
  stride: number;
}
