import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameShipper, type RegionContext, type ShippedRegions } from '../../../../../renderer/consoles/rdp/engine/frame-shipper.ts';

// The RDP worker's frame shipper: what IronRDP draws on its stand-in canvas, and what the direct bitmap path draws,
// goes to the page in order; what IronRDP draws while the direct path owns the picture is dropped.

function shipper() {
  const shipped: ShippedRegions[] = [];
  const s = new FrameShipper(8, 8, (frame) => shipped.push(frame));
  const context = s.canvas.getContext('2d') as RegionContext;
  /** IronRDP's way of drawing: putImageData of an RGBA image at (x, y). */
  const ironDraws = (x: number, y: number, w: number, h: number, v: number) =>
    context.putImageData({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4).fill(v) } as unknown as ImageData, x, y);
  return { s, shipped, ironDraws };
}

test("IronRDP's regions and the direct path's go to the page in the order they were drawn", () => {
  const { s, shipped, ironDraws } = shipper();
  ironDraws(0, 0, 2, 2, 1);
  s.drawRegions([{ x: 4, y: 4, w: 1, h: 1, pixels: new Uint8Array([9, 9, 9, 255]).buffer }]);
  ironDraws(1, 1, 1, 1, 2);
  s.shipNow();
  assert.deepEqual(
    shipped[0].regions.map((r) => [r.x, r.y, r.w, r.h, new Uint8Array(r.pixels)[0]]),
    [
      [0, 0, 2, 2, 1],
      [4, 4, 1, 1, 9],
      [1, 1, 1, 1, 2],
    ],
  );
});

test('while the direct path owns the picture, what IronRDP draws from its stale copy is dropped', () => {
  const { s, shipped, ironDraws } = shipper();
  let owned = true;
  s.ironRdpIgnored = () => owned;
  ironDraws(0, 0, 1, 1, 0); // IronRDP 0.7.0's pixel at (0, 0) for a frame marker
  s.drawRegions([{ x: 0, y: 0, w: 1, h: 1, pixels: new Uint8Array([9, 9, 9, 255]).buffer }]);
  owned = false;
  ironDraws(2, 2, 1, 1, 5);
  s.shipNow();
  assert.deepEqual(
    shipped[0].regions.map((r) => [r.x, r.y, new Uint8Array(r.pixels)[0]]),
    [
      [0, 0, 9],
      [2, 2, 5],
    ],
  );
});
