// The demo desktop's 24 bpp interleaved RLE encoder (electron/demo/demo-desktop/interleaved.ts): exact bytes for
// small pictures worked out by hand from MS-RDPBCGR 2.2.9.1.1.3.1.2.4, round trips through a small decoder written
// from the specification (interleaved-reference.ts, not from any client), and a session that sends a whole desktop in it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { encodeInterleaved24 } from '../../../../electron/demo/demo-desktop/interleaved.ts';
import { startDemoDesktop } from '../../../../electron/demo/demo-desktop/server.ts';
import { decodeInterleavedReference as decodeReference } from './interleaved-reference.ts';
import { bitmapRects, connectMiniClient, type MiniClient } from './mini-client.ts';

type Rgb = number; // 0xRRGGBB

/** A top-down B,G,R,0xFF picture from rows of colours, as the demo's framebuffer holds it. */
function picture(rows: Rgb[][]): { data: Buffer; w: number; h: number } {
  const h = rows.length;
  const w = rows[0].length;
  const data = Buffer.alloc(w * h * 4);
  rows.forEach((row, y) => row.forEach((c, x) => data.set([c & 0xff, (c >> 8) & 0xff, c >> 16, 0xff], (y * w + x) * 4)));
  return { data, w, h };
}

const encode = (rows: Rgb[][]): Buffer => {
  const p = picture(rows);
  return encodeInterleaved24(p.data, p.w * 4, 0, 0, p.w, p.h);
};

/** A pixel as it appears on the wire at 24 bpp: B, G, R. */
const px = (c: Rgb): number[] => [c & 0xff, (c >> 8) & 0xff, c >> 16];

const A = 0x112233;
const B = 0x445566;
const C = 0x778899;

describe('interleaved RLE encoder (24 bpp)', () => {
  it('writes a flat scanline as one colour run, pixel bytes B, G, R', () => {
    assert.deepEqual([...encode([[A, A, A, A]])], [0x64, ...px(A)]);
  });

  it('uses the one-byte extension from 32 pixels and MEGA_MEGA from 288', () => {
    assert.deepEqual([...encode([Array<Rgb>(40).fill(A)])], [0x60, 40 - 32, ...px(A)]);
    assert.deepEqual([...encode([Array<Rgb>(287).fill(A)])], [0x60, 255, ...px(A)]);
    assert.deepEqual([...encode([Array<Rgb>(300).fill(A)])], [0xf3, 300 & 0xff, 300 >> 8, ...px(A)]);
  });

  it('sends short runs as a colour image and repeats a scanline with one background run', () => {
    // Bottom scanline first: [A, B] as a two-pixel image, then the top one equals it.
    assert.deepEqual([...encode([[A, B], [A, B]])], [0x82, ...px(A), ...px(B), 0x02]);
    // One background run covers every scanline after the first, across scanline ends.
    assert.deepEqual([...encode([[A, A, B], [A, A, B], [A, A, B]])], [0x83, ...px(A), ...px(A), ...px(B), 0x06]);
  });

  it('never starts with a background run on the first scanline, where decoders write black', () => {
    const enc = encode([[A, A, A, A]]);
    assert.notEqual(enc[0] >> 5, 0);
  });

  it('mixes background runs, colour runs and images on later scanlines', () => {
    // Wire order: bottom [A, A, A, A] (colour run), then top [A, B, B, B]: the first pixel equals the one below it
    // (a one-pixel background run), the rest is a colour run of B.
    assert.deepEqual([...encode([[A, B, B, B], [A, A, A, A]])], [0x64, ...px(A), 0x01, 0x63, ...px(B)]);
    // An image stops where two pixels equal those above: bottom [A, B, C, A, B], top [C, A, C, A, B].
    assert.deepEqual(
      [...encode([[C, A, C, A, B], [A, B, C, A, B]])],
      [0x85, ...px(A), ...px(B), ...px(C), ...px(A), ...px(B), 0x82, ...px(C), ...px(A), 0x03],
    );
  });

  it('sends a tile of 16-pixel stripes as four colour runs and one background run', () => {
    const row = Array.from({ length: 64 }, (_, x) => [A, B, C, 0x102030][x >> 4]);
    const enc = encode(Array.from({ length: 64 }, () => row));
    const bg = 64 * 63;
    assert.deepEqual([...enc], [0x70, ...px(A), 0x70, ...px(B), 0x70, ...px(C), 0x70, ...px(0x102030), 0xf0, bg & 0xff, bg >> 8]);
  });

  it('never sends two background runs in a row, even past the longest order', () => {
    // 70,000 equal scanlines of one pixel: the background run stops at 65,535 and a colour run takes the rest.
    const enc = encode(Array.from({ length: 70000 }, () => [A]));
    assert.deepEqual([...enc], [0x81, ...px(A), 0xf0, 0xff, 0xff, 0xf3, (69999 - 65535) & 0xff, (69999 - 65535) >> 8, ...px(A)]);
    assert.deepEqual(decodeReference(enc, 1, 70000), picture(Array.from({ length: 70000 }, () => [A])).data);
  });

  it('round-trips flat, striped, text-like and noisy pictures of many sizes exactly', () => {
    const fills: Array<(x: number, y: number) => Rgb> = [
      () => A,
      (x) => [A, B, C][(x >> 4) % 3],
      (x, y) => (((x >> 1) ^ (y >> 2)) & 1 ? C : B), // blocky glyph-like edges
      (x, y) => ((x * 7 + y * 13) % 11 < 2 ? A : B), // sparse dots
      (x, y) => ((x * 37 + y * 11) & 0xff) * 0x010101,
      () => randomBytes(3).readUIntLE(0, 3),
      () => [A, B][randomBytes(1)[0] & 1], // two colours at random: short runs of every length
    ];
    const sizes: Array<[number, number]> = [[1, 1], [1, 5], [5, 1], [3, 7], [64, 64], [64, 56], [17, 64], [300, 3]];
    for (const fill of fills)
      for (const [w, h] of sizes) {
        const rows = Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => fill(x, y)));
        const p = picture(rows);
        assert.deepEqual(decodeReference(encode(rows), w, h), p.data, `${w}×${h}`);
      }
  });

  it('encodes a rectangle inside a larger buffer, ignoring the X byte', () => {
    const W = 20;
    const H = 10;
    const big = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) big.set([i & 0xff, (i * 3) & 0xff, (i >> 2) & 0xff, i & 0x55], i * 4);
    const [x, y, w, h] = [5, 2, 7, 6];
    const want = Buffer.alloc(w * h * 4);
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++) {
        big.copy(want, (r * w + c) * 4, ((y + r) * W + x + c) * 4, ((y + r) * W + x + c) * 4 + 3);
        want[(r * w + c) * 4 + 3] = 0xff;
      }
    assert.deepEqual(decodeReference(encodeInterleaved24(big, W * 4, x, y, w, h), w, h), want);
  });
});

describe('demo desktop server with encoding rle24', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'demo-rle24-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('sends 24 bpp interleaved tiles that match the desktop pixel for pixel', async () => {
    const srv = await startDemoDesktop({ dataDir, vm: { id: 'vm-rle', name: 'RLE24' }, fps: 0, animation: 'fullscreen', encoding: 'rle24', log: () => {} });
    let client: MiniClient | null = null;
    try {
      client = await connectMiniClient(srv.port, { width: 640, height: 480 });
      const covered = new Set<string>();
      const shown = Buffer.alloc(640 * 480 * 4);
      await client.waitFor((f) => {
        for (const r of bitmapRects(f)) {
          assert.equal(r.bpp, 24);
          assert.equal(r.flags, 0x0401, 'compressed, without the compressed data header');
          const pixels = decodeReference(r.data, r.w, r.h);
          for (let y = 0; y < r.h; y++) pixels.copy(shown, ((r.y + y) * 640 + r.x) * 4, y * r.w * 4, (y + 1) * r.w * 4);
          covered.add(`${r.x},${r.y}`);
        }
        return covered.size === 10 * 8;
      });
      const view = srv.desktop.attach(640, 480);
      assert.ok(shown.equals(view.fb.data), 'client picture equals the server framebuffer');
      srv.desktop.detach(view);
    } finally {
      client?.close();
      await srv.close();
    }
  });
});
