// A small offline RDP bitmap renderer for tests: walks a server→client plaintext capture, draws every bitmap update
// onto a framebuffer, and can imitate IronRDP 0.7.0's defect (rows stepped by the destination width instead of the
// bitmap's own width). It frames the stream with its own code; only the pixel decoders are shared with the module
// under test, and the reference PNG, made elsewhere, is the arbiter.
import { decodeInterleavedRle } from '../../../../electron/common/rdp-codecs/interleaved-rle-decode.ts';
import { decodePlanar } from '../../../../electron/common/rdp-codecs/planar-decode.ts';

export interface Framebuffer {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, top-down. */
  rgb: Uint8Array;
}

export interface RenderStats {
  rects: number;
  padded: number;
  undecodable: number;
  /** Colour depths the rectangles carried. */
  depths: Set<number>;
}

/** 0xRRGGBB for one pixel value at a colour depth (8 bpp drawn as grey: palettes are out of scope). */
function toRgb(v: number, bpp: number): number {
  const x5 = (c: number) => (c << 3) | (c >> 2);
  switch (bpp) {
    case 15:
      return (x5((v >> 10) & 0x1f) << 16) | (x5((v >> 5) & 0x1f) << 8) | x5(v & 0x1f);
    case 16:
      return (x5((v >> 11) & 0x1f) << 16) | ((((v >> 5) & 0x3f) << 2 | (((v >> 5) & 0x3f) >> 4)) << 8) | x5(v & 0x1f);
    case 8:
      return (v << 16) | (v << 8) | v;
    default:
      return v & 0xffffff;
  }
}

function decodeRect(buf: Buffer, at: number, fb: Framebuffer, stepByDestination: boolean, stats: RenderStats): number {
  const f = (i: number) => buf.readUInt16LE(at + 2 * i);
  const [left, top, right, bottom, width, height, bpp, flags, length] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(f);
  let body = buf.subarray(at + 18, at + 18 + length);
  const dw = right - left + 1;
  const dh = bottom - top + 1;
  stats.rects++;
  stats.depths.add(bpp);
  if (width !== dw || height !== dh) stats.padded++;
  let pixels: Uint32Array;
  let pixelBpp = bpp;
  try {
    if (flags & 1) {
      if (!(flags & 0x400)) body = body.subarray(8, 8 + body.readUInt16LE(2));
      if (bpp === 32) {
        pixels = decodePlanar(body, width, height);
        pixelBpp = 24;
      } else pixels = decodeInterleavedRle(body, width, height, bpp);
    } else {
      const size = bpp === 15 ? 2 : bpp / 8;
      const stride = body.length === width * size * height ? width * size : ((width * size + 3) & ~3);
      pixels = new Uint32Array(width * height);
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          let v = 0;
          for (let k = size - 1; k >= 0; k--) v = v * 256 + body[y * stride + x * size + k];
          pixels[y * width + x] = v;
        }
    }
  } catch {
    stats.undecodable++;
    return at + 18 + length;
  }
  // Rows arrive bottom-up. The correct client flips with the bitmap's own width as the row step; the defective one
  // uses the destination width, reading the decoded buffer as if it were dw pixels wide.
  const step = stepByDestination ? dw : width;
  const rows = height;
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const sx = left + x;
      const sy = top + y;
      if (sx >= fb.width || sy >= fb.height) continue;
      const streamRow = rows - 1 - y;
      const index = streamRow * step + x;
      if (index < 0 || index >= pixels.length) continue;
      const rgb = toRgb(pixels[index], pixelBpp);
      const o = (sy * fb.width + sx) * 3;
      fb.rgb[o] = rgb >> 16;
      fb.rgb[o + 1] = (rgb >> 8) & 0xff;
      fb.rgb[o + 2] = rgb & 0xff;
    }
  }
  return at + 18 + length;
}

function drawBitmapUpdate(data: Buffer, fb: Framebuffer, stepByDestination: boolean, stats: RenderStats): void {
  if (data.readUInt16LE(0) !== 1) return;
  const count = data.readUInt16LE(2);
  let at = 4;
  for (let i = 0; i < count; i++) at = decodeRect(data, at, fb, stepByDestination, stats);
}

/** Renders every bitmap update of a capture (TPKT slow-path and fast-path PDUs) onto a fresh framebuffer. */
export function renderCapture(stream: Buffer, width: number, height: number, stepByDestination: boolean) {
  const fb: Framebuffer = { width, height, rgb: new Uint8Array(width * height * 3) };
  const stats: RenderStats = { rects: 0, padded: 0, undecodable: 0, depths: new Set() };
  let fragments: Buffer[] = [];
  let o = 0;
  while (o < stream.length) {
    if (stream[o] === 3) {
      const len = stream.readUInt16BE(o + 2);
      const p = stream.subarray(o, o + len);
      o += len;
      if (p[7] !== 0x68) continue;
      let q = 13;
      q += p[q] & 0x80 ? 2 : 1;
      const pduType = p.readUInt16LE(q + 2);
      if ((pduType & 0xf) === 7 && p[q + 14] === 2) drawBitmapUpdate(p.subarray(q + 18), fb, stepByDestination, stats);
      continue;
    }
    if ((stream[o] & 3) !== 0) throw new Error(`renderer lost framing at ${o}`);
    let len = stream[o + 1];
    let q = o + 2;
    if (len & 0x80) len = ((len & 0x7f) << 8) | stream[q++];
    const end = o + len;
    while (q < end) {
      const h = stream[q++];
      if (h >> 6 === 2) q++;
      const size = stream.readUInt16LE(q);
      q += 2;
      const data = stream.subarray(q, q + size);
      q += size;
      if ((h & 0xf) !== 1) continue;
      const frag = (h >> 4) & 3;
      if (frag === 0) drawBitmapUpdate(data, fb, stepByDestination, stats);
      else {
        if (frag === 2) fragments = [];
        fragments.push(data);
        if (frag === 1) drawBitmapUpdate(Buffer.concat(fragments), fb, stepByDestination, stats);
      }
    }
    o = end;
  }
  return { fb, stats };
}

/** Share of pixels whose three channels all lie within `fuzz` of the reference. */
export function matchRatio(a: Framebuffer, referenceRgba: Uint8Array, fuzz: number): number {
  let ok = 0;
  const n = a.width * a.height;
  for (let i = 0; i < n; i++) {
    const r = Math.abs(a.rgb[i * 3] - referenceRgba[i * 4]);
    const g = Math.abs(a.rgb[i * 3 + 1] - referenceRgba[i * 4 + 1]);
    const b = Math.abs(a.rgb[i * 3 + 2] - referenceRgba[i * 4 + 2]);
    if (r <= fuzz && g <= fuzz && b <= fuzz) ok++;
  }
  return ok / n;
}
