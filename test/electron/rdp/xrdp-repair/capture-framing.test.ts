import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createXrdpRepair } from '../../../../electron/rdp/xrdp-repair/index.ts';
import { capture, repairInPieces, splitPdus } from './capture.ts';
import { prng } from '../../../support/prng.ts';


const whole = repairInPieces(capture);

test('the capture repaired whole, byte by byte and in random pieces gives the same bytes', () => {
  assert.ok(!whole.equals(capture), 'the repair changed nothing: the capture has padded rectangles');
  assert.ok(repairInPieces(capture, () => 1).equals(whole), 'one byte at a time');
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = prng(seed);
    const pieces = repairInPieces(capture, () => 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 3000)));
    assert.ok(pieces.equals(whole), `random pieces, seed ${seed}`);
  }
});

test('PDUs without padded rectangles come out byte-identical and in order; rewritten ones are consistent', () => {
  const input = splitPdus(capture);
  const output = splitPdus(whole);
  assert.equal(output.length, input.length, 'one PDU out for each PDU in (none needed splitting here)');
  let rewritten = 0;
  for (let i = 0; i < input.length; i++) {
    const a = input[i];
    const b = output[i];
    if (a.equals(b)) continue;
    rewritten++;
    // Only slow-path bitmap updates may differ, and their headers stay the same apart from the lengths.
    assert.equal(a[0], 3, `PDU ${i} differs but is not TPKT`);
    assert.deepEqual(b.subarray(4, 13), a.subarray(4, 13), 'X.224 and MCS header');
    const q = b[13] & 0x80 ? 15 : 14;
    const per = b[13] & 0x80 ? ((b[13] & 0x3f) << 8) | b[14] : b[13];
    assert.equal(b.readUInt16BE(2), b.length, 'TPKT length');
    assert.equal(per, b.length - q, 'MCS PER length');
    assert.equal(b.readUInt16LE(q), b.length - q, 'shareControlHeader totalLength');
    assert.equal(b.readUInt16LE(q + 12), b.length - q, 'shareDataHeader uncompressedLength (as xrdp sets it)');
    // Every rectangle now fits its destination; rectangles that already did are byte-identical.
    const rects = (pdu: Buffer, at: number) => {
      const list: Buffer[] = [];
      const n = pdu.readUInt16LE(at + 2);
      let o = at + 4;
      for (let k = 0; k < n; k++) {
        const end = o + 18 + pdu.readUInt16LE(o + 16);
        list.push(pdu.subarray(o, end));
        o = end;
      }
      assert.equal(o, pdu.length, 'rectangles fill the PDU');
      return list;
    };
    const qa = a[13] & 0x80 ? 15 : 14;
    const before = rects(a, qa + 18);
    const after = rects(b, q + 18);
    assert.equal(after.length, before.length);
    before.forEach((r, k) => {
      const dw = r.readUInt16LE(4) - r.readUInt16LE(0) + 1;
      const dh = r.readUInt16LE(6) - r.readUInt16LE(2) + 1;
      const padded = r.readUInt16LE(8) !== dw || r.readUInt16LE(10) !== dh;
      if (!padded) assert.ok(after[k].equals(r), `rectangle ${k} of PDU ${i} was already right`);
      else {
        assert.deepEqual(after[k].subarray(0, 8), r.subarray(0, 8), 'destination kept');
        assert.equal(after[k].readUInt16LE(8), dw);
        assert.equal(after[k].readUInt16LE(10), dh);
        assert.equal(after[k].readUInt16LE(12), 16, 'same colour depth');
        assert.equal(after[k].readUInt16LE(14), 0x0401, 'RLE without compression header, as xrdp sent it');
      }
    });
  }
  assert.ok(rewritten > 0);
});

test('statistics count rewritten and forwarded PDUs', () => {
  let last = { rewritten: 0, passed: 0 };
  const repair = createXrdpRepair({ onStats: (s) => (last = s) });
  repair.push(capture);
  repair.flush();
  assert.equal(last.rewritten + last.passed, splitPdus(capture).length);
  assert.ok(last.rewritten > 0 && last.passed > 0);
});
