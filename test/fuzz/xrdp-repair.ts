// The xrdp repair reads every byte an RDP server sends after TLS: its PDU framer (TPKT and fast-path, split at any
// point), and the bitmap codecs it runs on rectangles the server described.
import fc from 'fast-check';
import { createXrdpRepair } from '../../electron/rdp/xrdp-repair/index.ts';
import { repairBitmapUpdate } from '../../electron/rdp/xrdp-repair/bitmap-update.ts';
import { parseBitmapRect } from '../../electron/rdp/xrdp-repair/bitmap-rect.ts';
import { decodeInterleavedRle, RleDecodeError } from '../../electron/common/rdp-codecs/interleaved-rle-decode.ts';
import { encodeInterleavedRle } from '../../electron/rdp/xrdp-repair/interleaved-rle-encode.ts';
import { decodePlanar, PlanarDecodeError } from '../../electron/common/rdp-codecs/planar-decode.ts';
import { parseFastPathPdu } from '../../electron/rdp/xrdp-repair/fast-path.ts';
import { repairSlowPathPdu } from '../../electron/rdp/xrdp-repair/slow-path.ts';
import { capture, splitPdus } from '../electron/rdp/xrdp-repair/capture.ts';
import { bitmapUpdate, fastPathPdu, fastPathUpdate, planarBody, rect, slowPathUpdate, uncompressedBody } from '../electron/rdp/xrdp-repair/pdu-builders.ts';
import { expectTyped, holds, type FuzzTarget } from './harness.ts';
import { DirectBitmapPath } from '../../renderer/consoles/rdp/engine/direct-bitmaps/direct-bitmap-path.ts';
import { fontMapPdu } from '../support/font-map-pdu.ts';
import { chunked, mutatedBytes, randomBytes } from './mutate.ts';

const CAPTURED_PDUS = splitPdus(capture);
/** Rectangle bodies are cut to this, so two of them fit one slow-path PDU (a longer one is damaged data anyway). */
const MAX_BODY = 0x3000;

/** Pixels as runs of one value (what screens are made of, and what keeps big bitmaps small once encoded). */
const pixelsArb = (count: number, bpp: number): fc.Arbitrary<number[]> => {
  const max = bpp === 8 ? 0xff : bpp === 15 ? 0x7fff : bpp === 16 ? 0xffff : 0xffffff;
  return fc.array(fc.record({ value: fc.oneof(fc.constantFrom(0, max), fc.integer({ min: 0, max })), run: fc.integer({ min: 1, max: Math.max(1, count) }) }), { minLength: 1, maxLength: 12 }).map((runs) => {
    const out: number[] = [];
    for (let i = 0; out.length < count; i++) {
      const r = runs[i % runs.length];
      for (let k = 0; k < r.run && out.length < count; k++) out.push(r.value);
    }
    return out;
  });
};

interface RectInput {
  width: number;
  height: number;
  dw: number;
  dh: number;
  bpp: number;
  flags: number;
  body: Buffer;
}

/** A bitmap rectangle: a valid body of its kind (RLE, planar, uncompressed) or bytes, padded like xrdp pads. */
const rectArb: fc.Arbitrary<RectInput> = fc
  .record({
    // Mostly tiles as xrdp sends them; some large enough that one decoded bitmap exceeds 65535 bytes.
    width: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 65, max: 200 }) }),
    height: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 65, max: 180 }) }),
    padW: fc.nat({ max: 4 }),
    padH: fc.nat({ max: 2 }),
    bpp: fc.constantFrom(8, 15, 16, 24, 32, 4),
    kind: fc.constantFrom('compressed', 'compressed-no-header', 'uncompressed', 'bytes'),
  })
  .chain((s) => {
    const count = s.width * s.height;
    const depth = s.bpp === 4 ? 8 : s.bpp;
    return fc.record({ pixels: pixelsArb(count, depth === 32 ? 24 : depth), bytes: fc.uint8Array({ maxLength: 300 }) }).map(({ pixels, bytes }): RectInput => {
      const flags = s.kind === 'compressed' ? 0x1 : s.kind === 'compressed-no-header' ? 0x401 : s.kind === 'uncompressed' ? 0 : 0x401;
      let body: Buffer;
      if (s.kind === 'bytes' || s.bpp === 4) body = Buffer.from(bytes);
      else if (s.kind === 'uncompressed') body = uncompressedBody(pixels, s.width, s.height, depth);
      else if (depth === 32) body = planarBody(pixels, s.width, s.height);
      else body = encodeInterleavedRle(Uint32Array.from(pixels), s.width, s.height, depth);
      if (s.kind === 'compressed') {
        const hdr = Buffer.alloc(8);
        hdr.writeUInt16LE(Math.min(body.length, 0xffff), 2);
        body = Buffer.concat([hdr, body]);
      }
      return { width: s.width, height: s.height, dw: Math.max(1, s.width - s.padW), dh: Math.max(1, s.height - s.padH), bpp: s.bpp, flags, body: body.subarray(0, MAX_BODY) };
    });
  });

const rectBytes = (r: RectInput) => rect({ left: 0, top: 0, dw: r.dw, dh: r.dh, width: r.width, height: r.height, bpp: r.bpp, flags: r.flags, body: r.body });

type CodecInput = { rects: RectInput[]; edits: Buffer | null; via: 'direct' | 'slow-path' | 'fast-path' };

export const xrdpCodecs: FuzzTarget<CodecInput> = {
  name: 'xrdp-codecs',
  arbitrary: fc.record({
    rects: fc.array(rectArb, { minLength: 1, maxLength: 3 }),
    edits: fc.option(fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b)), { nil: null }),
    via: fc.constantFrom('direct', 'slow-path', 'fast-path'),
  }),
  check({ rects, edits, via }) {
    for (const r of rects) {
      // Damage: the edit bytes overwrite the body at a position they also choose.
      const body = edits && r.body.length ? Buffer.from(r.body) : r.body;
      if (edits && body.length) edits.forEach((v, i) => (body[(edits[0] * 131 + i) % body.length] = v));
      const data = r.flags & 0x1 && !(r.flags & 0x400) ? body.subarray(8) : body;
      if (r.flags & 0x1 && r.bpp !== 32 && r.bpp !== 4) {
        const d = expectTyped(() => decodeInterleavedRle(data, r.width, r.height, r.bpp), (e) => e instanceof RleDecodeError);
        if ('value' in d) holds(d.value.length === r.width * r.height, 'RLE decodes to width × height pixels');
        if ('value' in d && r.bpp === 24) {
          // RGBA output, and RGBA written upright into a larger picture, are the same pixels.
          const rgba = decodeInterleavedRle(data, r.width, r.height, 24, true);
          holds(rgba.every((p, i) => p === asRgba(d.value[i])), 'RGBA output is the values, rearranged, opaque');
          const out = new Int32Array((r.width + 3) * r.height);
          decodeInterleavedRle(data, r.width, r.height, 24, true, { out, offset: (r.height - 1) * (r.width + 3) + 2, stride: -(r.width + 3) });
          holds(uprightEquals(out, r.width + 3, 2, rgba, r.width, r.height), 'a target gets the same pixels, upright');
        }
        if (!edits && 'value' in d) {
          const mask = r.bpp === 8 ? 0xff : r.bpp === 15 ? 0x7fff : r.bpp === 16 ? 0xffff : 0xffffff;
          const again = decodeInterleavedRle(encodeInterleavedRle(d.value, r.width, r.height, r.bpp), r.width, r.height, r.bpp);
          holds(again.every((p, i) => p === (d.value[i] & mask)), 'decode(encode(pixels)) is the pixels');
        }
      }
      if (r.flags & 0x1 && r.bpp === 32) {
        const d = expectTyped(() => decodePlanar(data, r.width, r.height), (e) => e instanceof PlanarDecodeError);
        if ('value' in d) holds(d.value.length === r.width * r.height, 'planar decodes to width × height pixels');
        if ('value' in d) {
          const out = new Int32Array(r.width * r.height);
          decodePlanar(data, r.width, r.height, true, { out, offset: (r.height - 1) * r.width, stride: -r.width });
          holds(uprightEquals(out, r.width, 0, Uint32Array.from(d.value, asRgba), r.width, r.height), 'planar into a target is the pixels, RGBA, upright');
        }
      }
    }
    const update = bitmapUpdate(rects.map(rectBytes));
    // The rectangle code itself must not throw, whatever the server described.
    if (via === 'direct') {
      const repaired = repairBitmapUpdate(update);
      if (repaired === null) return;
      holds(repaired.rects.length === rects.length, 'every rectangle comes back, rebuilt or as it was');
      for (const [i, b] of repaired.rects.entries()) {
        const p = parseBitmapRect(b, 0);
        holds(p !== null && p.raw.length === b.length, 'a rebuilt rectangle parses');
        holds(p.width <= Math.max(rects[i].width, rects[i].dw) && p.height <= Math.max(rects[i].height, rects[i].dh), 'a rebuilt rectangle is no larger');
      }
    } else if (via === 'slow-path') {
      repairSlowPathPdu(slowPathUpdate(update));
    } else if (update.length < 0x3ff0) {
      const pdu = parseFastPathPdu(fastPathPdu([fastPathUpdate(1, 0, update)]));
      holds(pdu !== null && pdu.updates.length === 1, 'a well-formed fast-path PDU parses');
    }
  },
};

/** 0xRRGGBB as the opaque RGBA word a little-endian Uint32Array over ImageData bytes holds. */
const asRgba = (v: number) => (0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff)) >>> 0;

/** Whether `out` (rows of outWidth) holds `pixels` (bottom row first) upright at column x0. */
function uprightEquals(out: Int32Array, outWidth: number, x0: number, pixels: Uint32Array, width: number, height: number): boolean {
  for (let row = 0; row < height; row++)
    for (let x = 0; x < width; x++) if (out[(height - 1 - row) * outWidth + x0 + x] >>> 0 !== pixels[row * width + x]) return false;
  return true;
}

/** A run of consecutive PDUs of the capture, or synthetic ones, as one stream. */
const streamArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: CAPTURED_PDUS.length - 1 }), fc.integer({ min: 1, max: 3 })).map(([at, n]) => Buffer.concat(CAPTURED_PDUS.slice(at, at + n))) },
  { weight: 2, arbitrary: fc.array(rectArb, { minLength: 1, maxLength: 2 }).map((rs) => bitmapUpdate(rs.map(rectBytes))).map((u) => (u.length < 0x3ff0 ? fastPathPdu([fastPathUpdate(1, 0, u)]) : slowPathUpdate(u))) },
);

export const xrdpStream: FuzzTarget<{ bytes: Buffer; cuts: number[] }> = {
  name: 'xrdp-repair-stream',
  arbitrary: fc.record({
    bytes: fc.oneof({ weight: 4, arbitrary: mutatedBytes(streamArb, 4) }, { weight: 1, arbitrary: randomBytes([0x03, 0x00, 0x80], 300) }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
  }),
  check({ bytes, cuts }) {
    const run = (pieces: Buffer[]) => {
      const repair = createXrdpRepair();
      const out: Buffer[] = [];
      for (const p of pieces) out.push(...repair.push(p));
      out.push(...repair.flush());
      return Buffer.concat(out);
    };
    const whole = run([Buffer.from(bytes)]);
    holds(run(chunked(bytes, cuts)).equals(whole), 'the output does not depend on how the stream was split');
    if (bytes.length > 0 && bytes[0] !== 0x03 && (bytes[0] & 0x03) !== 0) holds(whole.equals(bytes), 'an unframeable stream passes unchanged');
  },
};

/** The RDP worker's direct bitmap path, fed the same streams after a Font Map, cut anywhere. */
export const directBitmapPath: FuzzTarget<{ bytes: Buffer; cuts: number[] }> = {
  name: 'direct-bitmap-path',
  arbitrary: fc.record({
    bytes: fc.oneof({ weight: 4, arbitrary: mutatedBytes(streamArb, 4) }, { weight: 1, arbitrary: randomBytes([0x03, 0x00, 0x80], 300) }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
  }),
  check({ bytes, cuts }) {
    const run = (pieces: Buffer[], failDrawing: boolean) => {
      const delivered: Buffer[] = [];
      const drawn: string[] = [];
      const tasks: Array<() => void> = [];
      const path = new DirectBitmapPath({
        deliver: (b) => delivered.push(Buffer.from(b)),
        draw: (regions) => {
          if (failDrawing) throw new Error('drawing failed');
          for (const r of regions) drawn.push(`${r.x},${r.y},${r.w},${r.h}:${Buffer.from(r.pixels).toString('base64')}`);
        },
        desktop: () => ({ width: 300, height: 200 }),
        send: () => {},
        later: (fn) => tasks.push(fn),
      });
      for (const p of [fontMapPdu(), ...pieces]) {
        path.fromServer(new Uint8Array(p));
        while (tasks.length) tasks.shift()!();
      }
      return { delivered: Buffer.concat(delivered), drawn: drawn.join('|'), stats: path.stats };
    };
    const whole = run([Buffer.from(bytes)], false);
    const split = run(chunked(bytes, cuts), false);
    holds(split.drawn === whole.drawn && split.delivered.equals(whole.delivered), 'what is drawn and passed on does not depend on how the stream was split');
    // A PDU still incomplete at the end stays held back, as IronRDP would wait for its end too.
    const failing = run(chunked(bytes, cuts), true);
    holds(Buffer.concat([fontMapPdu(), bytes]).subarray(0, failing.delivered.length).equals(failing.delivered), 'when drawing fails, IronRDP gets the stream as it came');
    holds(failing.stats.updatesDrawn === 0, 'nothing counts as drawn when drawing failed');
  },
};

export const targets = [xrdpStream, xrdpCodecs, directBitmapPath];
