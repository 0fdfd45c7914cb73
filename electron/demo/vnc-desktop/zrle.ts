// ZRLE (RFC 6143 §7.7.6), the compressed encoding both noVNC and TigerVNC's viewer list and so both get: 64×64
// tiles, each raw, solid, packed-palette, plain RLE or palette RLE (whichever is smallest), the whole rectangle then
// zlib-compressed on one zlib stream per connection.
//
// The zlib stream: RFB wants one stream for the life of the connection, and Node's synchronous zlib has no
// persistent state. Each rectangle is therefore deflated on its own (raw deflate, ended with a sync flush, never a
// final block), and the first one is preceded by the two-byte zlib header. Concatenated, that is one valid zlib
// stream: it merely never refers back to an earlier rectangle's bytes, which a decompressor does not require.
import { constants, deflateRawSync } from 'node:zlib';
import { writePixel, type PixelFormat } from './pixel-format.ts';

export const ZRLE_TILE = 64;

/** How a pixel value is written in ZRLE: as a PIXEL, or as a 3-byte CPIXEL when the colour bits allow it. */
export class CPixelWriter {
  /** Bytes per CPIXEL. */
  readonly size: number;
  /** For 3-byte CPIXELs: which three of the pixel's four wire bytes are kept. */
  private readonly skip: number;

  constructor(private readonly pf: PixelFormat) {
    const mask = ((pf.redMax << pf.redShift) | (pf.greenMax << pf.greenShift) | (pf.blueMax << pf.blueShift)) >>> 0;
    const fitsLow = mask <= 0xffffff;
    const fitsHigh = (mask & 0xff) === 0;
    if (pf.trueColour && pf.bitsPerPixel === 32 && pf.depth <= 24 && (fitsLow || fitsHigh)) {
      this.size = 3;
      // Keep the three bytes holding colour: drop the most significant byte when the colour fits the low three
      // (index 3 little-endian, 0 big-endian), else the least significant one.
      const dropMostSignificant = fitsLow;
      this.skip = dropMostSignificant === !pf.bigEndian ? 3 : 0;
    } else {
      this.size = pf.bitsPerPixel / 8;
      this.skip = -1;
    }
  }

  write(out: Buffer, offset: number, value: number): number {
    if (this.skip < 0) return writePixel(out, offset, value, this.pf);
    // The pixel's four wire bytes, least significant first when little-endian, less the skipped one.
    for (let i = 0; i < 4; i++) {
      if (i === this.skip) continue;
      const shift = this.pf.bigEndian ? (3 - i) * 8 : i * 8;
      out[offset++] = (value >>> shift) & 0xff;
    }
    return offset;
  }
}

/** Bytes a run length takes: (length - 1) as 255s and a final byte below 255. */
function runLengthBytes(length: number): number {
  return Math.floor((length - 1) / 255) + 1;
}

function writeRunLength(out: Buffer, offset: number, length: number): number {
  let rest = length - 1;
  while (rest >= 255) {
    out[offset++] = 255;
    rest -= 255;
  }
  out[offset++] = rest;
  return offset;
}

/** One tile's ZRLE bytes (subencoding byte first). `values` are the tile's pixels row by row. */
export function encodeZrleTile(values: Uint32Array, w: number, h: number, cpixel: CPixelWriter): Buffer {
  const cp = cpixel.size;
  const n = w * h;
  const palette = new Map<number, number>();
  let runs = 0;
  let singles = 0;
  let runBytes = 0; // length bytes of the runs longer than one pixel
  for (let i = 0; i < n; ) {
    const v = values[i];
    if (palette.size <= 127 && !palette.has(v)) palette.set(v, palette.size);
    let j = i + 1;
    while (j < n && values[j] === v) j++;
    runs++;
    if (j - i > 1) runBytes += runLengthBytes(j - i);
    else singles++;
    i = j;
  }
  const colours = palette.size; // 128 means "more than 127"
  if (colours === 1) {
    const out = Buffer.alloc(1 + cp);
    out[0] = 1;
    cpixel.write(out, 1, values[0]);
    return out;
  }
  const bits = colours <= 2 ? 1 : colours <= 4 ? 2 : 4;
  const sizes = {
    raw: 1 + n * cp,
    // Plain RLE writes a length after every run, a single pixel's too (one byte); palette RLE marks singles instead.
    plainRle: 1 + runs * cp + runBytes + singles,
    paletteRle: colours <= 127 ? 1 + colours * cp + runs + runBytes : Infinity,
    packed: colours <= 16 ? 1 + colours * cp + h * Math.ceil((w * bits) / 8) : Infinity,
  };
  const best = (Object.keys(sizes) as Array<keyof typeof sizes>).reduce((a, b) => (sizes[b] < sizes[a] ? b : a));
  const out = Buffer.alloc(sizes[best]);
  let o = 0;
  switch (best) {
    case 'raw':
      out[o++] = 0;
      for (let i = 0; i < n; i++) o = cpixel.write(out, o, values[i]);
      break;
    case 'packed': {
      out[o++] = colours;
      for (const v of palette.keys()) o = cpixel.write(out, o, v);
      // Indices packed most significant bit first; each row starts on a byte boundary.
      for (let y = 0; y < h; y++) {
        let byte = 0;
        let used = 0;
        for (let x = 0; x < w; x++) {
          byte = (byte << bits) | palette.get(values[y * w + x])!;
          used += bits;
          if (used === 8) {
            out[o++] = byte;
            byte = 0;
            used = 0;
          }
        }
        if (used > 0) out[o++] = byte << (8 - used);
      }
      break;
    }
    case 'plainRle':
      out[o++] = 128;
      for (let i = 0; i < n; ) {
        let j = i + 1;
        while (j < n && values[j] === values[i]) j++;
        o = cpixel.write(out, o, values[i]);
        o = writeRunLength(out, o, j - i);
        i = j;
      }
      break;
    case 'paletteRle':
      out[o++] = 128 + colours;
      for (const v of palette.keys()) o = cpixel.write(out, o, v);
      for (let i = 0; i < n; ) {
        let j = i + 1;
        while (j < n && values[j] === values[i]) j++;
        const index = palette.get(values[i])!;
        if (j - i === 1) {
          out[o++] = index;
        } else {
          out[o++] = index | 128;
          o = writeRunLength(out, o, j - i);
        }
        i = j;
      }
      break;
  }
  return out;
}

/**
 * The per-connection zlib stream of ZRLE: `compress` returns the bytes one rectangle adds to it (see the note at the
 * top of this file).
 */
export class ZrleStream {
  private started = false;

  compress(data: Buffer): Buffer {
    const body = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH, level: 6 });
    if (this.started) return body;
    this.started = true;
    // CMF 0x78 (deflate, 32 KiB window), FLG 0x9c (default level; the check bits make 0x789c a multiple of 31).
    return Buffer.concat([Buffer.from([0x78, 0x9c]), body]);
  }
}

/** A whole rectangle's uncompressed ZRLE data: its 64×64 tiles left to right, top to bottom. */
export function zrleRectData(valuesOf: (x: number, y: number, w: number, h: number) => Uint32Array, x: number, y: number, w: number, h: number, cpixel: CPixelWriter): Buffer {
  const tiles: Buffer[] = [];
  for (let ty = y; ty < y + h; ty += ZRLE_TILE) {
    for (let tx = x; tx < x + w; tx += ZRLE_TILE) {
      const tw = Math.min(ZRLE_TILE, x + w - tx);
      const th = Math.min(ZRLE_TILE, y + h - ty);
      tiles.push(encodeZrleTile(valuesOf(tx, ty, tw, th), tw, th, cpixel));
    }
  }
  return Buffer.concat(tiles);
}
