import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInterleavedRle, RleDecodeError } from '../../../../electron/common/rdp-codecs/interleaved-rle-decode.ts';
import { encodeInterleavedRle } from '../../../../electron/rdp/xrdp-repair/interleaved-rle-encode.ts';
import { decodePlanar, PlanarDecodeError } from '../../../../electron/common/rdp-codecs/planar-decode.ts';
import { planarBody } from './pdu-builders.ts';
import { prng } from '../../../support/prng.ts';


/** An image with the structure of a desktop: flat areas, vertical repeats, gradients and noise. */
function desktopLike(width: number, height: number, mask: number, rnd: () => number): Uint32Array {
  const px = new Uint32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const kind = Math.floor(x / 7 + y / 5) % 4;
      if (kind === 0) px[i] = 0x1234 & mask;
      else if (kind === 1 && y > 0) px[i] = px[i - width];
      else if (kind === 2) px[i] = (x * 0x10101 + y) & mask;
      else px[i] = Math.floor(rnd() * 0x1000000) & mask;
    }
  return px;
}

test('interleaved RLE round-trips at 8, 15, 16 and 24 bpp, including odd sizes and long runs', () => {
  const rnd = prng(7);
  const masks: Record<number, number> = { 8: 0xff, 15: 0x7fff, 16: 0xffff, 24: 0xffffff };
  for (const bpp of [8, 15, 16, 24]) {
    for (const [w, h] of [[1, 1], [3, 2], [13, 7], [64, 64], [1023, 3], [300, 300]]) {
      const px = desktopLike(w, h, masks[bpp], rnd);
      const enc = encodeInterleavedRle(px, w, h, bpp);
      assert.deepEqual(decodeInterleavedRle(enc, w, h, bpp), px, `${bpp} bpp ${w}x${h}`);
    }
    // A flat bitmap larger than one 16-bit run forces split runs (and never two background runs in a row).
    const flat = new Uint32Array(400 * 400).fill(5);
    assert.deepEqual(decodeInterleavedRle(encodeInterleavedRle(flat, 400, 400, bpp), 400, 400, bpp), flat);
  }
});

test('the RLE decoder follows the order semantics of MS-RDPBCGR 2.2.9.1.1.3.1.2.4 (hand-built 16 bpp stream)', () => {
  const w = 4;
  const le = (v: number) => [v & 0xff, v >> 8];
  const stream = Buffer.from([
    0x61, ...le(0x1111), // colour run of 1 on row 0
    0x82, ...le(0x2222), ...le(0x3333), // colour image of 2
    0xfd, // white
    0xc4, ...le(0x00f0), // row 1: set fg 0x00f0, fg run of 4: above ^ fg
    0x01, // background run 1 (copy above)
    0x01, // second background run in a row: first pixel is above ^ fg (0x00f0)
    0xe1, ...le(0xaaaa), ...le(0xbbbb), // dithered run of 1 pair
    0x41, 0x05, // row 3: regular FGBG image, 1*8 pixels, bitmask 0b101
    0xfe,
  ]);
  // Row 3 has only 4 pixels, so an 8-pixel FGBG order overflows: the decoder must refuse, not write out of bounds.
  assert.throws(() => decodeInterleavedRle(stream, w, 4, 16), RleDecodeError);
  // 0xd1: lite set-fg FGBG image, length 1*8 = 8 pixels with a new foreground: spans rows 3 and 4 (height 5).
  const ok = Buffer.from([...stream.subarray(0, stream.length - 3), 0xd1, ...le(0x000f), 0x05]);
  const px = decodeInterleavedRle(ok, w, 5, 16);
  const row0 = [0x1111, 0x2222, 0x3333, 0xffff];
  const row1 = row0.map((v) => v ^ 0x00f0);
  const row2 = [row1[0], row1[1] ^ 0x00f0, 0xaaaa, 0xbbbb];
  const bits = [1, 0, 1, 0, 0, 0, 0, 0];
  const row3 = row2.map((v, i) => (bits[i] ? v ^ 0x000f : v));
  const row4 = row3.map((v, i) => (bits[i + 4] ? v ^ 0x000f : v));
  assert.deepEqual([...px], [...row0, ...row1, ...row2, ...row3, ...row4]);
});

test('first-row rules: background is black, foreground is the plain foreground colour', () => {
  // Row 0: bg run 2 (black), bg run 1 (inserted foreground: white at 16 bpp), fg run 1 (white). Row 1: black, then a
  // special FGBG order (8 pixels, bitmask 0x03) that now XORs onto the row above, then a colour run of 3.
  const px = decodeInterleavedRle(Buffer.from([0x02, 0x01, 0x21, 0xfe, 0xf9, 0x63, 0x34, 0x12]), 4, 4, 16);
  assert.deepEqual([...px.subarray(0, 4)], [0, 0, 0xffff, 0xffff]);
  assert.deepEqual([...px.subarray(4, 13)], [0, 0xffff, 0, 0xffff, 0, 0xffff, 0, 0xffff, 0]);
  assert.deepEqual([...px.subarray(13)], [0x1234, 0x1234, 0x1234]);
  // The same stream for a bitmap with fewer pixels runs past its end: refused.
  assert.throws(() => decodeInterleavedRle(Buffer.from([0x02, 0x01, 0x21, 0xfe, 0xf9]), 4, 3, 16), RleDecodeError);
});

test('RLE decoder refuses truncated streams, unknown orders and under-filled bitmaps', () => {
  assert.throws(() => decodeInterleavedRle(Buffer.from([0x84, 1, 2]), 4, 1, 16), RleDecodeError);
  assert.throws(() => decodeInterleavedRle(Buffer.from([0xa0, 0]), 4, 1, 16), RleDecodeError);
  assert.throws(() => decodeInterleavedRle(Buffer.from([0x62, 1, 0]), 4, 1, 16), RleDecodeError);
  assert.throws(() => decodeInterleavedRle(Buffer.from([0xf3]), 4, 1, 16), RleDecodeError);
  assert.throws(() => decodeInterleavedRle(Buffer.from([]), 1, 1, 32), RleDecodeError);
});

test('planar decoder reads RLE planes with row deltas, with and without alpha', () => {
  const rnd = prng(11);
  for (const [w, h] of [[1, 1], [5, 3], [64, 64], [130, 9]]) {
    const img = desktopLike(w, h, 0xffffff, rnd);
    for (const alpha of [false, true]) {
      const body = planarBody([...img], w, h, alpha);
      assert.deepEqual(decodePlanar(body, w, h), img, `${w}x${h} alpha=${alpha}`);
    }
  }
  // Raw (non-RLE) planes: format 0x20 (no alpha), three planes, one pad byte.
  const raw = Buffer.from([0x20, 1, 2, 3, 4, 5, 6, 0]);
  assert.deepEqual([...decodePlanar(raw, 2, 1)], [0x010305, 0x020406]);
  assert.throws(() => decodePlanar(Buffer.from([0x31, 0]), 1, 1), PlanarDecodeError); // colour loss
  assert.throws(() => decodePlanar(Buffer.from([0x30, 0x10]), 1, 1), PlanarDecodeError); // truncated
  assert.throws(() => decodePlanar(Buffer.from([0x30, 0xf0]), 1, 1), PlanarDecodeError); // row overflow
});
