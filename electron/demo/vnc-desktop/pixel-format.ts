// RFB pixel formats (RFC 6143 §7.4): the server's own format, parsing a client's SetPixelFormat, and turning the demo
// framebuffer's pixels into whatever true-colour format the client asked for. Clients do ask: noVNC always wants
// red in the low byte (R0 G8 B16), the demo framebuffer holds red in bits 16-23, and TigerVNC may switch to 16 or 8
// bits per pixel on a slow link.
import { ProtocolError } from '../demo-desktop/bytes.ts';

export interface PixelFormat {
  bitsPerPixel: 8 | 16 | 32;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/**
 * What the server announces in ServerInit: exactly the demo framebuffer's byte order (B, G, R, 0xFF read as a
 * little-endian 32-bit value), so a client that keeps it gets rows copied unchanged.
 */
export const SERVER_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

/** The 16-byte PIXEL_FORMAT structure. */
export function writePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b[0] = pf.bitsPerPixel;
  b[1] = pf.depth;
  b[2] = pf.bigEndian ? 1 : 0;
  b[3] = pf.trueColour ? 1 : 0;
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b[10] = pf.redShift;
  b[11] = pf.greenShift;
  b[12] = pf.blueShift;
  return b;
}

/** Reads a client's PIXEL_FORMAT; only true colour is served (the demo keeps no colour map). */
export function readPixelFormat(b: Buffer): PixelFormat {
  const bpp = b[0];
  if (bpp !== 8 && bpp !== 16 && bpp !== 32) throw new ProtocolError(`unsupported bits per pixel ${bpp}`);
  const pf: PixelFormat = {
    bitsPerPixel: bpp,
    depth: b[1],
    bigEndian: b[2] !== 0,
    trueColour: b[3] !== 0,
    redMax: b.readUInt16BE(4),
    greenMax: b.readUInt16BE(6),
    blueMax: b.readUInt16BE(8),
    redShift: b[10],
    greenShift: b[11],
    blueShift: b[12],
  };
  if (!pf.trueColour) throw new ProtocolError('colour-map pixel formats are not supported');
  for (const [max, shift] of [[pf.redMax, pf.redShift], [pf.greenMax, pf.greenShift], [pf.blueMax, pf.blueShift]]) {
    if (max === 0 || (max & (max + 1)) !== 0 || shift + Math.log2(max + 1) > bpp) throw new ProtocolError('malformed true-colour pixel format');
  }
  return pf;
}

export function samePixelFormat(a: PixelFormat, b: PixelFormat): boolean {
  return writePixelFormat(a).equals(writePixelFormat(b));
}

/** Bytes per pixel on the wire. */
export function bytesPerPixel(pf: PixelFormat): number {
  return pf.bitsPerPixel / 8;
}

/**
 * The pixels of a rectangle of a B,G,R,X framebuffer as values of the client's format (one number per pixel, row by
 * row). Encoders work on these values and write them with `writePixel`.
 */
export function pixelValues(src: Buffer, stride: number, x: number, y: number, w: number, h: number, pf: PixelFormat): Uint32Array {
  const out = new Uint32Array(w * h);
  const native = pf.redShift === 16 && pf.greenShift === 8 && pf.blueShift === 0 && pf.redMax === 255 && pf.greenMax === 255 && pf.blueMax === 255;
  // Scaling 8-bit channels down to the client's maxima: a lookup table per channel beats a division per pixel.
  const red = channelTable(pf.redMax, pf.redShift);
  const green = channelTable(pf.greenMax, pf.greenShift);
  const blue = channelTable(pf.blueMax, pf.blueShift);
  let i = 0;
  for (let row = 0; row < h; row++) {
    let o = (y + row) * stride + x * 4;
    for (let col = 0; col < w; col++, o += 4) {
      out[i++] = native ? (src[o + 2] << 16) | (src[o + 1] << 8) | src[o] : (red[src[o + 2]] | green[src[o + 1]] | blue[src[o]]) >>> 0;
    }
  }
  return out;
}

function channelTable(max: number, shift: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let v = 0; v < 256; v++) t[v] = (Math.round((v * max) / 255) << shift) >>> 0;
  return t;
}

/** Writes one pixel value in the client's byte order; returns the next offset. */
export function writePixel(out: Buffer, offset: number, value: number, pf: PixelFormat): number {
  switch (pf.bitsPerPixel) {
    case 8:
      out[offset] = value;
      return offset + 1;
    case 16:
      if (pf.bigEndian) out.writeUInt16BE(value & 0xffff, offset);
      else out.writeUInt16LE(value & 0xffff, offset);
      return offset + 2;
    case 32:
      if (pf.bigEndian) out.writeUInt32BE(value >>> 0, offset);
      else out.writeUInt32LE(value >>> 0, offset);
      return offset + 4;
  }
}

/** A rectangle as the client's raw pixels (Raw encoding's body). */
export function rawPixels(src: Buffer, stride: number, x: number, y: number, w: number, h: number, pf: PixelFormat): Buffer {
  if (samePixelFormat(pf, SERVER_PIXEL_FORMAT)) {
    // The framebuffer's own byte order: copy rows.
    const out = Buffer.alloc(w * h * 4);
    for (let row = 0; row < h; row++) src.copy(out, row * w * 4, (y + row) * stride + x * 4, (y + row) * stride + (x + w) * 4);
    return out;
  }
  const values = pixelValues(src, stride, x, y, w, h, pf);
  const out = Buffer.alloc(values.length * bytesPerPixel(pf));
  let o = 0;
  for (const v of values) o = writePixel(out, o, v, pf);
  return out;
}
