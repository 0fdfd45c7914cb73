import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Locator, Page } from 'playwright-core';
import { DemoDesktop } from '../../../electron/demo/demo-desktop/desktop.ts';
import { KeyboardState } from '../../../electron/demo/demo-desktop/keyboard.ts';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { displayFrame, ocr, pollUntil, tesseractMissing } from './remote-display.ts';
import { watchCalls } from '../../support/watch-calls.ts';

// The console toolbar through the real UI, in browser mode on the demo cloud: what each button does reaches the
// demo desktop (observed on its side: it runs in this process) or the files the browser saves.


const SERVER = 'win2022-web-01';
let app: AppUnderTest | undefined;
let page: Page;

// What the demo desktop received: text it was given and the scancodes it decoded.
const typed: string[] = [];
const keys: Array<{ code: number; release: boolean; extended: boolean }> = [];
const unwatch: Array<() => void> = [];

before(async () => {
  if (chromiumMissing) return;
  unwatch.push(
    watchCalls(DemoDesktop.prototype, 'typeText', (_desktop, text) => typed.push(text)),
    watchCalls(KeyboardState.prototype, 'key', (_keyboard, code, release, extended) => keys.push({ code, release, extended })),
  );
  app = await startAppUnderTest();
  page = app.page;
  await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.host.origin });
  await page.goto(app.host.url);
  await page.getByRole('tree', { name: 'Demo cloud (offline)' }).getByRole('treeitem', { name: SERVER, exact: true }).click();
  await page.waitForFunction(() => document.querySelector('[role=tabpanel]:not([hidden]) [role=status]')?.textContent === 'Connected', undefined, { timeout: 20_000 });
  // The demo desktop offers its own clipboard once the channel is up, which may be after "Connected": wait for it to
  // land here, so it cannot overwrite what a test puts on this clipboard.
  await pollUntil(page, 'the remote clipboard reached this one', async () => (await page.evaluate(() => navigator.clipboard.readText())) === `demo clipboard ${SERVER}`);
});
after(async () => {
  for (const undo of unwatch.splice(0)) undo();
  await app?.stop();
});

const frame = () => displayFrame(page, SERVER);
const until = (what: string, ok: () => boolean | Promise<boolean>, tries?: number) => pollUntil(page, what, ok, tries);
const toolbar = (): Locator => page.getByRole('toolbar', { name: `Console actions: ${SERVER}` });
const canvas = (): Locator => page.locator(`canvas[aria-label="Remote display: ${SERVER}"]`);
const statusText = () => page.locator('[role=tabpanel]:not([hidden]) [role=status]').innerText();
const alerts = () => page.locator('[role=tabpanel]:not([hidden]) .status-line [role=alert]').count();




test('Type clipboard types the clipboard text on the remote desktop', { skip: chromiumMissing }, async (t) => {
  // Letters the demo's pixel font reads back well (its p and r look alike to OCR).
  const text = 'sent as text 42';
  await page.evaluate((s) => navigator.clipboard.writeText(s), text);
  typed.length = 0;
  await toolbar().getByRole('button', { name: 'Type clipboard' }).click();
  // Typed as keystrokes (one character each), in order.
  await until(`"${text}" typed on the demo desktop (got ${JSON.stringify(typed.join(''))})`, () => typed.join('') === text);
  assert.equal(await alerts(), 0);
  await t.test('OCR reads it on the remote display', { skip: tesseractMissing }, async () => {
    let read = '';
    // The desktop already holds the text (checked above): a frame or two brings it to the canvas.
    for (let i = 0; i < 10 && !/TYPED sent as text 42/i.test(read); i++) {
      read = await ocr(await frame());
      await page.waitForTimeout(100);
    }
    assert.match(read, /TYPED sent as text 42/i, `OCR of the display: ${JSON.stringify(read)}`);
  });
});

test('scale: Fit shrinks the canvas into a smaller window keeping its aspect, 1:1 shows it at its own size', { skip: chromiumMissing }, async () => {
  const measure = () =>
    canvas().evaluate((c: HTMLCanvasElement) => {
      const r = c.getBoundingClientRect();
      const area = c.parentElement!;
      return { w: c.width, h: c.height, cssW: r.width, cssH: r.height, areaW: area.clientWidth, areaH: area.clientHeight, scrollW: area.scrollWidth };
    });
  const select = toolbar().getByRole('combobox', { name: 'Scale' });
  assert.equal(await select.inputValue(), 'fit');
  const start = await measure();
  assert.ok(start.w >= 640 && start.h >= 480, JSON.stringify(start));
  try {
    // A smaller window: the remote desktop keeps its size (only "Resize remote" changes it).
    await page.setViewportSize({ width: 900, height: 600 });
    await until('the canvas to shrink', async () => (await measure()).cssW < start.w - 100);
    const fit = await measure();
    assert.equal(fit.w, start.w);
    assert.equal(fit.h, start.h);
    assert.ok(fit.cssW <= fit.areaW + 0.5 && fit.cssH <= fit.areaH + 0.5, `fit exceeds the area: ${JSON.stringify(fit)}`);
    assert.ok(Math.abs(fit.cssW / fit.cssH - fit.w / fit.h) < 0.02, `aspect not kept: ${JSON.stringify(fit)}`);

    await select.selectOption('actual');
    await until('1:1 size', async () => (await measure()).cssW === start.w);
    const actual = await measure();
    assert.equal(actual.cssW, actual.w);
    assert.equal(actual.cssH, actual.h);
    assert.ok(actual.scrollW > actual.areaW, `the area scrolls: ${JSON.stringify(actual)}`);
  } finally {
    await select.selectOption('fit');
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

test('Screenshot saves a PNG of the remote display', { skip: chromiumMissing }, async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), toolbar().getByRole('button', { name: 'Screenshot' }).click()]);
  const name = download.suggestedFilename();
  assert.match(name, new RegExp(`^${SERVER}-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z\\.png$`), name);
  const path = join(app!.dir, 'screenshot.png');
  await download.saveAs(path);
  const png = PNG.sync.read(readFileSync(path));
  const size = await canvas().evaluate((c: HTMLCanvasElement) => ({ w: c.width, h: c.height }));
  assert.deepEqual({ w: png.width, h: png.height }, size);
  // Not a blank canvas: the demo desktop draws text, a clock and an animation on its background.
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length && colours.size < 50; i += 4 * 97) colours.add(png.data.readUInt32BE(i));
  assert.ok(colours.size >= 3, `only ${colours.size} colours in the screenshot`);
});

test('Ctrl+Alt+Del sends Ctrl, Alt and Delete down then up; the remote desktop shows it; the session stays connected', { skip: chromiumMissing }, async (t) => {
  keys.length = 0;
  await toolbar().getByRole('button', { name: 'Ctrl+Alt+Del' }).click();
  const seq = () => keys.map((k) => `${k.release ? 'up' : 'down'} ${k.extended ? 'e0 ' : ''}${k.code.toString(16)}`);
  await until(`the key sequence (got ${seq().join(', ')})`, () => keys.length >= 6);
  // Set-1 scancodes: Ctrl 0x1d, Alt 0x38, Delete 0x53 (extended).
  assert.deepEqual(seq(), ['down 1d', 'down 38', 'down e0 53', 'up e0 53', 'up 38', 'up 1d']);
  assert.equal(await statusText(), 'Connected');
  assert.equal(await alerts(), 0);
  await t.test('OCR reads the secure attention line on the remote display', { skip: tesseractMissing }, async () => {
    let read = '';
    for (let i = 0; i < 10 && !/CTRL.ALT.DEL/i.test(read); i++) {
      read = await ocr(await frame());
      await page.waitForTimeout(100);
    }
    assert.match(read, /CTRL.ALT.DEL x1/i, `OCR of the display: ${JSON.stringify(read)}`);
  });
});
