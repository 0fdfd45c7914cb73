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
        if (!edits && 'value' in d) {
          const mask = r.bpp === 8 ? 0xff : r.bpp === 15 ? 0x7fff : r.bpp === 16 ? 0xffff : 0xffffff;
          const again = decodeInterleavedRle(encodeInterleavedRle(d.value, r.width, r.height, r.bpp), r.width, r.height, r.bpp);
          holds(again.every((p, i) => p === (d.value[i] & mask)), 'decode(encode(pixels)) is the pixels');
        }
      }
      if (r.flags & 0x1 && r.bpp === 32) {
        const d = expectTyped(() => decodePlanar(data, r.width, r.height), (e) => e instanceof PlanarDecodeError);
        if ('value' in d) holds(d.value.length === r.width * r.height, 'planar decodes to width × height pixels');
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

export const targets = [xrdpStream, xrdpCodecs];
