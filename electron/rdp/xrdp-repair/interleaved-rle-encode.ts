// Encoder for the interleaved run-length encoding (MS-RDPBCGR 2.2.9.1.1.3.1.2.4). It uses only three orders, each
// decoded the same way by every client: background runs (copy the row above), colour runs and colour images. It
// never starts a background run on the first row and never emits two background runs back to back, so no decoder
// quirk around those cases (black first row, inserted foreground pixel) comes into play.
import { bytesPerPixel, writePixel } from '../../common/rdp-codecs/pixel-format.ts';

const BG_RUN = 0x0;
const COLOR_RUN = 0x3;
const COLOR_IMAGE = 0x4;
const MAX_RUN = 0xffff;
// A colour run shorter than this costs more than listing its pixels in the surrounding colour image.
const MIN_COLOR_RUN = 3;
const MIN_BG_RUN = 2;

class ByteSink {
  private buf: Uint8Array;
  length = 0;
  constructor(initial: number) {
    this.buf = new Uint8Array(Math.max(64, initial));
  }
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  pixel(v: number, size: number): void {
    this.ensure(size);
    writePixel(this.buf, this.length, size, v);
    this.length += size;
  }
  bytes(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.length);
  }
}

/** Order header with its run length: regular form up to 31, one extra byte up to 287, else the 16-bit form. */
function header(out: ByteSink, code: number, length: number): void {
  if (length < 32) {
    out.byte((code << 5) | length);
  } else if (length < 32 + 256) {
    out.byte(code << 5);
    out.byte(length - 32);
  } else {
    out.byte(0xf0 | code);
    out.byte(length & 0xff);
    out.byte(length >> 8);
  }
}

/**
 * Encodes width × height pixels given in stream order (first row = bottom row of the bitmap) at 8, 15, 16 or 24 bpp.
 */
export function encodeInterleavedRle(pixels: Uint32Array, width: number, height: number, bpp: number): Buffer {
  const size = bytesPerPixel(bpp);
  if (size === null || size > 3) throw new RangeError(`interleaved RLE does not exist at ${bpp} bpp`);
  const total = width * height;
  if (pixels.length < total) throw new RangeError('fewer pixels than width × height');
  const out = new ByteSink(total);

  const bgRunAt = (at: number): number => {
    if (at < width) return 0;
    let n = 0;
    while (at + n < total && n < MAX_RUN && pixels[at + n] === pixels[at + n - width]) n++;
    return n;
  };
  const colorRunAt = (at: number): number => {
    const v = pixels[at];
    let n = 1;
    while (at + n < total && n < MAX_RUN && pixels[at + n] === v) n++;
    return n;
  };

  // Cheap look-ahead used while collecting literals: does a run long enough for its own order start here?
  const runStartsAt = (at: number): boolean =>
    (at >= width && at + 1 < total && pixels[at] === pixels[at - width] && pixels[at + 1] === pixels[at + 1 - width]) ||
    (at + 2 < total && pixels[at] === pixels[at + 1] && pixels[at] === pixels[at + 2]);

  let p = 0;
  let lastWasBg = false;
  while (p < total) {
    if (!lastWasBg) {
      const bg = bgRunAt(p);
      if (bg >= MIN_BG_RUN) {
        header(out, BG_RUN, bg);
        p += bg;
        lastWasBg = true;
        continue;
      }
    }
    const run = colorRunAt(p);
    if (run >= MIN_COLOR_RUN) {
      header(out, COLOR_RUN, run);
      out.pixel(pixels[p], size);
      p += run;
      lastWasBg = false;
      continue;
    }
    // Literal pixels until a run worth its own order begins.
    let n = 1;
    while (p + n < total && n < MAX_RUN && !runStartsAt(p + n)) n++;
    header(out, COLOR_IMAGE, n);
    for (let i = 0; i < n; i++) out.pixel(pixels[p + i], size);
    p += n;
    lastWasBg = false;
  }
  return out.bytes();
}
