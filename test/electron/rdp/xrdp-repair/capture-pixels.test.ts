import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCapture, matchRatio, type Framebuffer } from './offline-renderer.ts';
import { capture, reference, repairInPieces } from './capture.ts';


const { width, height } = reference;
const FUZZ = 8;
// The login dialog, where xrdp's padded rectangles are; the rest of the screen is mostly flat colour.
const dialog = { left: 337, top: 150, right: 687, bottom: 600 };

function regionRatio(fb: Framebuffer): number {
  let ok = 0;
  let n = 0;
  for (let y = dialog.top; y < dialog.bottom; y++)
    for (let x = dialog.left; x < dialog.right; x++) {
      const i = y * width + x;
      n++;
      if ([0, 1, 2].every((c) => Math.abs(fb.rgb[i * 3 + c] - reference.data[i * 4 + c]) <= FUZZ)) ok++;
    }
  return ok / n;
}

test('the offline renderer itself reproduces the reference when it steps rows correctly', () => {
  const { fb, stats } = renderCapture(capture, width, height, false);
  assert.equal(stats.undecodable, 0);
  assert.ok(stats.padded > 0, 'the capture has padded rectangles');
  assert.ok(matchRatio(fb, reference.data, FUZZ) >= 0.999);
});

test('unrepaired, a client stepping rows by the destination width (IronRDP 0.7.0) draws a skewed screen', () => {
  const { fb } = renderCapture(capture, width, height, true);
  const whole = matchRatio(fb, reference.data, FUZZ);
  const inDialog = regionRatio(fb);
  assert.ok(whole < 0.99, `whole screen matched ${whole}`);
  assert.ok(inDialog < 0.9, `dialog matched ${inDialog}`);
});

test('repaired, the same defective client draws the reference screen', () => {
  const repaired = repairInPieces(capture, () => 1400);
  const { fb, stats } = renderCapture(repaired, width, height, true);
  assert.equal(stats.padded, 0, 'no rectangle is wider or taller than its destination');
  assert.equal(stats.undecodable, 0);
  const whole = matchRatio(fb, reference.data, FUZZ);
  const inDialog = regionRatio(fb);
  assert.ok(whole >= 0.995, `whole screen matched ${whole}`);
  assert.ok(inDialog >= 0.99, `dialog matched ${inDialog}`);
});
