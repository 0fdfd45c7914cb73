// Repairs of streams built in the test: fast-path (single and fragmented), every colour depth and codec the module
// handles, PDUs that must pass untouched, and slow-path PDUs that must be split after re-encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createXrdpRepair } from '../../../../electron/rdp/xrdp-repair/index.ts';
import { renderCapture } from './offline-renderer.ts';
import { repairInPieces, splitPdus } from './capture.ts';
import { prng } from '../../../support/prng.ts';
import {
  bitmapUpdate,
  fastPathPdu,
  fastPathUpdate,
  fragmentedBitmapPdus,
  planarBody,
  rect,
  slowPathUpdate,
  uncompressedBody,
} from './pdu-builders.ts';

const masks: Record<number, number> = { 8: 0xff, 15: 0x7fff, 16: 0xffff, 24: 0xffffff, 32: 0xffffff };

/** A bitmap in stream order whose columns and rows all differ, so any mis-step shows. */
function image(width: number, height: number, bpp: number, seed: number): number[] {
  const rnd = prng(seed);
  const px: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) px.push(x % 9 < 4 ? (x * 131 + y * 7919) & masks[bpp] : Math.floor(rnd() * 2 ** 24) & masks[bpp]);
  return px;
}

/** A padded rectangle at (left, top): destination dw × dh, bitmap dw+padW × dh+padH. */
function padded(left: number, top: number, dw: number, dh: number, padW: number, padH: number, bpp: number, codec: 'raw' | 'planar', seed: number): Buffer {
  const width = dw + padW;
  const height = dh + padH;
  const px = image(width, height, bpp, seed);
  const body = codec === 'planar' ? planarBody(px, width, height) : uncompressedBody(px, width, height, bpp);
  return rect({ left, top, dw, dh, width, height, bpp, flags: codec === 'planar' ? 0x0401 : 0, body });
}

/** The rectangles of a single slow-path bitmap Update PDU. */
function slowPathRects(pdu: Buffer): Buffer[] {
  let o = (pdu[13] & 0x80 ? 15 : 14) + 18;
  const n = pdu.readUInt16LE(o + 2);
  o += 4;
  const list: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const end = o + 18 + pdu.readUInt16LE(o + 16);
    list.push(pdu.subarray(o, end));
    o = end;
  }
  return list;
}

/** The raw updates of one fast-path PDU without compression fields. */
function fastPathUpdates(pdu: Buffer): Buffer[] {
  let o = pdu[1] & 0x80 ? 3 : 2;
  const list: Buffer[] = [];
  while (o < pdu.length) {
    const end = o + 3 + pdu.readUInt16LE(o + 1);
    list.push(pdu.subarray(o, end));
    o = end;
  }
  return list;
}

function assertDrawsRight(original: Buffer, repaired: Buffer, size = 256): void {
  const truth = renderCapture(original, size, size, false);
  const before = renderCapture(original, size, size, true);
  const after = renderCapture(repaired, size, size, true);
  assert.equal(after.stats.undecodable, 0);
  assert.equal(after.stats.padded, 0, 'no padded rectangle left');
  assert.ok(!Buffer.from(before.fb.rgb).equals(Buffer.from(truth.fb.rgb)), 'the unrepaired stream is drawn skewed');
  assert.ok(Buffer.from(after.fb.rgb).equals(Buffer.from(truth.fb.rgb)), 'the repaired stream is drawn right');
}

test('slow path: padded rectangles at 8, 15, 16, 24 and 32 bpp (raw and planar) are cropped and drawn right', () => {
  const rects = [
    padded(0, 0, 13, 9, 3, 0, 8, 'raw', 1),
    padded(20, 0, 30, 10, 2, 0, 15, 'raw', 2),
    padded(60, 0, 41, 12, 3, 2, 16, 'raw', 3),
    padded(0, 40, 37, 20, 3, 1, 24, 'raw', 4),
    padded(50, 40, 29, 16, 3, 0, 32, 'raw', 5),
    padded(100, 40, 45, 30, 3, 0, 32, 'planar', 6),
    padded(150, 100, 16, 16, 0, 0, 16, 'raw', 7), // already right: must stay byte-identical
  ];
  const original = slowPathUpdate(bitmapUpdate(rects));
  const repaired = repairInPieces(original);
  assertDrawsRight(original, repaired);
  const out = slowPathRects(repaired);
  assert.ok(out[6].equals(rects[6]), 'the rectangle that fitted is forwarded byte for byte');
  // Uncompressed input becomes RLE with a compression header; 32 bpp planar becomes 24 bpp RLE as it came (no
  // header); uncompressed 32 bpp stays uncompressed.
  const forms = out.map((r) => [r.readUInt16LE(12), r.readUInt16LE(14)]);
  assert.deepEqual(forms, [[8, 1], [15, 1], [16, 1], [24, 1], [32, 0], [24, 0x401], [16, 0]]);
});

test('fast path: a single bitmap update among other updates is repaired, the others kept byte for byte', () => {
  const pointer = fastPathUpdate(0x6, 0, Buffer.alloc(0));
  const orders = fastPathUpdate(0x0, 0, Buffer.from([1, 0, 9, 9]));
  const bitmap = fastPathUpdate(0x1, 0, bitmapUpdate([padded(3, 4, 21, 11, 3, 0, 16, 'raw', 8)]));
  const original = fastPathPdu([pointer, bitmap, orders]);
  const repaired = repairInPieces(original, () => 5);
  assertDrawsRight(original, repaired);
  const updates = fastPathUpdates(repaired);
  assert.equal(updates.length, 3);
  assert.ok(updates[0].equals(pointer));
  assert.ok(!updates[1].equals(bitmap));
  assert.ok(updates[2].equals(orders));
});

test('fast path: a fragmented update is reassembled, repaired and re-fragmented within PDU limits', () => {
  const rects: Buffer[] = [];
  for (let i = 0; i < 12; i++) rects.push(padded((i % 4) * 60, Math.floor(i / 4) * 70, 57, 64, 3, 1, 24, 'raw', 20 + i));
  const update = bitmapUpdate(rects);
  assert.ok(update.length > 100_000);
  const frags = fragmentedBitmapPdus(update, 8000);
  // Unrelated PDUs around the sequence must keep their place.
  const before = fastPathPdu([fastPathUpdate(0x6, 0, Buffer.alloc(0))]);
  const after = slowPathUpdate(Buffer.from([0, 0, 0, 0]), 0x1f);
  const original = Buffer.concat([before, ...frags, after]);
  const whole = repairInPieces(original);
  assertDrawsRight(original, whole);
  const rnd = prng(99);
  assert.ok(repairInPieces(original, () => 1 + Math.floor(rnd() * 5000)).equals(whole), 'chunking does not matter');
  const pdus = splitPdus(whole);
  assert.ok(pdus[0].equals(before));
  assert.ok(pdus[pdus.length - 1].equals(after));
  for (const p of pdus) assert.ok(p.length <= 0x3fff, `PDU of ${p.length} bytes`);
  assert.ok(pdus.length > 3, 'the repaired update is fragmented again');
});

test('a fragment sequence interrupted by a slow-path PDU is forwarded untouched, in order', () => {
  const update = bitmapUpdate([padded(0, 0, 61, 40, 3, 0, 24, 'raw', 40)]);
  const frags = fragmentedBitmapPdus(update, 3000);
  const interloper = slowPathUpdate(Buffer.from([0, 0]), 0x1f);
  const original = Buffer.concat([frags[0], interloper, ...frags.slice(1)]);
  assert.ok(repairInPieces(original).equals(original));
});

test('bulk-compressed and encrypted PDUs, and bitmaps this module does not decode, pass unchanged', () => {
  const update = bitmapUpdate([padded(0, 0, 13, 9, 3, 0, 16, 'raw', 50)]);
  const cases = [
    slowPathUpdate(update, 2, 0x20 | 0x01), // PACKET_COMPRESSED, MPPC 64K
    fastPathPdu([fastPathUpdate(1, 0, update, 0x21)]),
    Buffer.concat([Buffer.from([0x80]), fastPathPdu([fastPathUpdate(1, 0, update)]).subarray(1)]), // encrypted flag
    slowPathUpdate(bitmapUpdate([rect({ left: 0, top: 0, dw: 2, dh: 1, width: 4, height: 1, bpp: 16, flags: 0x401, body: Buffer.from([0xa0, 1]) })])),
    slowPathUpdate(bitmapUpdate([rect({ left: 0, top: 0, dw: 2, dh: 1, width: 4, height: 1, bpp: 32, flags: 0x401, body: Buffer.from([0x33, 1, 2]) })])), // lossy planar
    slowPathUpdate(bitmapUpdate([rect({ left: 0, top: 0, dw: 2, dh: 1, width: 4, height: 1, bpp: 12, flags: 0, body: Buffer.alloc(8) })])),
  ];
  for (const c of cases) assert.ok(repairInPieces(c).equals(c), c.subarray(0, 24).toString('hex'));
});

test('a slow-path update whose rectangles grow past one MCS PDU is split into several valid PDUs', () => {
  // Dithered runs compress a two-colour checkerboard to a few bytes; re-encoded as literals each rectangle grows.
  const rects: Buffer[] = [];
  for (let i = 0; i < 4; i++) {
    const dw = 1700;
    const row = [0xf8, 1700 / 2 & 0xff, (1700 / 2) >> 8, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
    const body = Buffer.from([...row, 0xf0, 0xa4, 0x06]); // second row: background run of 1700 (copy the row above)
    rects.push(rect({ left: 0, top: i * 2, dw: dw - 3, dh: 2, width: dw, height: 2, bpp: 24, flags: 0x401, body }));
  }
  const original = slowPathUpdate(bitmapUpdate(rects));
  const repaired = repairInPieces(original);
  const pdus = splitPdus(repaired);
  assert.ok(pdus.length >= 2, `${pdus.length} PDU(s)`);
  for (const p of pdus) {
    const per = ((p[13] & 0x3f) << 8) | p[14];
    assert.equal(p.readUInt16BE(2), p.length);
    assert.equal(per, p.length - 15);
    assert.equal(p.readUInt16LE(15), per);
  }
  assertDrawsRight(original, repaired, 1800);
});

test('statistics report rewritten and forwarded PDUs as they happen', () => {
  const seen: { rewritten: number; passed: number }[] = [];
  const repair = createXrdpRepair({ onStats: (s) => seen.push(s) });
  repair.push(slowPathUpdate(bitmapUpdate([padded(0, 0, 13, 9, 3, 0, 16, 'raw', 60)])));
  repair.push(fastPathPdu([fastPathUpdate(0x6, 0, Buffer.alloc(0))]));
  assert.deepEqual(seen, [
    { rewritten: 1, passed: 0 },
    { rewritten: 1, passed: 1 },
  ]);
});
