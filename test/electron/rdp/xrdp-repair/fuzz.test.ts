// Malformed input: random bytes, truncated and mutated captures, huge lengths, endless fragment sequences. The repair
// must never throw, never hold more than its bounds, and forward whatever it does not understand unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createXrdpRepair } from '../../../../electron/rdp/xrdp-repair/index.ts';
import { repairBitmapUpdate } from '../../../../electron/rdp/xrdp-repair/bitmap-update.ts';
import { MAX_HELD_BYTES } from '../../../../electron/rdp/xrdp-repair/fast-path.ts';
import { capture, repairInPieces, splitPdus } from './capture.ts';
import { prng } from '../../../support/prng.ts';
import { bitmapUpdate, fastPathPdu, fastPathUpdate, rect, slowPathUpdate } from './pdu-builders.ts';

const MAX_PDU = 0xffff;

test('random bytes pass through unchanged whatever the chunking', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = prng(seed);
    const input = Buffer.alloc(1 + Math.floor(rnd() * 20000));
    for (let i = 0; i < input.length; i++) input[i] = Math.floor(rnd() * 256);
    // Half the cases start like a PDU, so the framer has to follow random lengths for a while.
    if (seed % 2 === 0) input[0] = seed % 4 === 0 ? 0x03 : 0x00;
    const out = repairInPieces(input, () => 1 + Math.floor(rnd() * 700));
    assert.ok(out.equals(input), `seed ${seed}`);
  }
});

test('an unframeable first byte switches to pass-through for the rest of the stream', () => {
  const input = Buffer.concat([Buffer.from([0x01]), capture]);
  assert.ok(repairInPieces(input, () => 999).equals(input));
  const tail = Buffer.concat([capture, Buffer.from([0x02, 0x03, 0x00, 0x00])]);
  const out = repairInPieces(tail);
  assert.ok(out.subarray(out.length - 4).equals(tail.subarray(tail.length - 4)));
});

test('a truncated capture gives the repaired complete PDUs followed by the raw partial one', () => {
  const ends: number[] = [];
  let at = 0;
  for (const p of splitPdus(capture)) ends.push((at += p.length));
  const rnd = prng(5);
  for (let i = 0; i < 30; i++) {
    const k = Math.floor(rnd() * capture.length);
    const complete = ends.filter((e) => e <= k).pop() ?? 0;
    const expected = Buffer.concat([repairInPieces(capture.subarray(0, complete)), capture.subarray(complete, k)]);
    assert.ok(repairInPieces(capture.subarray(0, k), () => 333).equals(expected), `cut at ${k}`);
  }
});

test('mutated captures never throw, and the result does not depend on the chunking', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = prng(seed * 7);
    const input = Buffer.from(capture);
    for (let m = 0; m < 1 + (seed % 5); m++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
    const whole = repairInPieces(input);
    assert.ok(whole.length > 0);
    assert.ok(repairInPieces(input, () => 1 + Math.floor(rnd() * 2000)).equals(whole), `seed ${seed}`);
  }
});

test('random bitmap rectangles (random sizes, depths, flags and bodies) never throw', () => {
  const rnd = prng(77);
  const int = (n: number) => Math.floor(rnd() * n);
  for (let i = 0; i < 300; i++) {
    const rects: Buffer[] = [];
    for (let k = 0; k < 1 + int(4); k++) {
      const dw = 1 + int(40);
      const dh = 1 + int(20);
      const body = Buffer.alloc(int(400));
      for (let j = 0; j < body.length; j++) body[j] = int(256);
      if (body.length > 0 && rnd() < 0.5) body[0] = [0x30, 0x10, 0x20, 0x60, 0xf3][int(5)];
      rects.push(
        rect({ left: int(100), top: int(100), dw, dh, width: dw + int(4), height: dh + int(2), bpp: [8, 15, 16, 24, 32, 4][int(6)], flags: [0, 1, 0x401, 0x400][int(4)], body }),
      );
    }
    // Directly, without the stream layer's safety net, the rectangle code itself must not throw.
    assert.doesNotThrow(() => repairBitmapUpdate(bitmapUpdate(rects)));
    const pdu = rnd() < 0.5 ? slowPathUpdate(bitmapUpdate(rects)) : fastPathPdu([fastPathUpdate(1, 0, bitmapUpdate(rects))]);
    const out = repairInPieces(pdu);
    assert.ok(repairInPieces(pdu, () => 1 + int(50)).equals(out));
  }
});

test('huge lengths: partial PDUs are released on flush, giant bitmaps are not decoded', () => {
  const partials = [
    Buffer.from([0x03, 0x00, 0xff, 0xff, 1, 2, 3]),
    Buffer.from([0x00, 0xff, 0xff, 0x01]),
    Buffer.from([0x03, 0x00]),
  ];
  for (const p of partials) assert.ok(repairInPieces(p).equals(p));
  // 65535 × 65535 pixels described by a few bytes of RLE, drawn into a 1 × 1 rectangle.
  const body = Buffer.from([0xf3, 0xff, 0xff, 0x34, 0x12]);
  const giant = slowPathUpdate(bitmapUpdate([rect({ left: 0, top: 0, dw: 1, dh: 1, width: 0xffff, height: 0xffff, bpp: 16, flags: 0x401, body })]));
  assert.ok(repairInPieces(giant).equals(giant));
  // Lengths inside a PDU that point past its end.
  const lying = slowPathUpdate(bitmapUpdate([rect({ left: 0, top: 0, dw: 2, dh: 1, width: 4, height: 1, bpp: 16, flags: 0x401, body: Buffer.from([0x64, 1, 2]) })]));
  lying.writeUInt16LE(0xffff, lying.length - 3 - 2); // bitmapLength
  assert.ok(repairInPieces(lying).equals(lying));
  const fpLying = fastPathPdu([fastPathUpdate(1, 0, Buffer.from([1, 0, 5, 0]))]);
  fpLying.writeUInt16LE(0xfff0, 3); // update size beyond the PDU
  assert.ok(repairInPieces(fpLying).equals(fpLying));
});

test('an endless fragmented bitmap update is held only up to the bound, then forwarded unchanged', () => {
  const repair = createXrdpRepair();
  const piece = Buffer.alloc(16000, 0x41);
  const pdus = [fastPathPdu([fastPathUpdate(1, 2, Buffer.concat([Buffer.from([1, 0, 1, 0]), piece]))])];
  for (let i = 0; i < 700; i++) pdus.push(fastPathPdu([fastPathUpdate(1, 3, piece)]));
  let fed = 0;
  let forwarded = 0;
  const out: Buffer[] = [];
  for (const p of pdus) {
    fed += p.length;
    for (const b of repair.push(p)) {
      forwarded += b.length;
      out.push(b);
    }
    assert.ok(fed - forwarded <= MAX_HELD_BYTES + MAX_PDU, `holding ${fed - forwarded} bytes`);
  }
  out.push(...repair.flush());
  assert.ok(Buffer.concat(out).equals(Buffer.concat(pdus)));
});
