import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { DemoDesktop } from '../../../electron/demo/demo-desktop/desktop.ts';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { displayFrame, ocr, pollUntil, tesseractMissing } from './remote-display.ts';
import { watchCalls } from '../../support/watch-calls.ts';

// Clipboard text both ways through the real UI in browser mode: IronRDP's clipboard channel against the demo
// desktop's (observed on the desktop's side: it runs in this process), and OCR of the remote display.

const SERVER = 'win2022-web-01';
let app: AppUnderTest | undefined;
let page: Page;

// The demo desktop this test's session reaches, and what its clipboard channel received.
const received: string[] = [];
let desktop: DemoDesktop | undefined;
const unwatch: Array<() => void> = [];

before(async () => {
  if (chromiumMissing) return;
  unwatch.push(
    watchCalls(DemoDesktop.prototype, 'receiveClipboard', (_desktop, text) => received.push(text)),
    watchCalls(DemoDesktop.prototype, 'attach', (attached) => {
      if (attached.name === SERVER) desktop = attached;
    }),
  );
  app = await startAppUnderTest();
  page = app.page;
  await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.host.origin });
  await page.goto(app.host.url);
  // Something else on the page's clipboard first: the desktop's text must replace it.
  await page.evaluate(() => navigator.clipboard.writeText('before connecting'));
  await page.getByRole('tree', { name: 'Demo cloud (offline)' }).getByRole('treeitem', { name: SERVER, exact: true }).click();
  await page.waitForFunction(() => document.querySelector('[role=tabpanel]:not([hidden]) [role=status]')?.textContent === 'Connected', undefined, { timeout: 20_000 });
});
after(async () => {
  for (const undo of unwatch.splice(0)) undo();
  await app?.stop();
});

const canvas = (): Locator => page.locator(`canvas[aria-label="Remote display: ${SERVER}"]`);
const frame = () => displayFrame(page, SERVER);
const until = (what: () => string, ok: () => boolean | Promise<boolean>, tries?: number) => pollUntil(page, what, ok, tries, 100);
const readClipboard = () => page.evaluate(() => navigator.clipboard.readText());




test("the remote desktop's clipboard text lands on the page's clipboard", { skip: chromiumMissing }, async () => {
  const expected = `demo clipboard ${SERVER}`;
  let got = '';
  await until(() => `the page's clipboard to hold "${expected}" (it holds ${JSON.stringify(got)})`, async () => (got = await readClipboard()) === expected);
  // A copy on the remote desktop (Ctrl+C copies its typed line) reaches the page too.
  assert.ok(desktop, 'the session reached the demo desktop');
  desktop.setClipboard('copied remotely 7');
  await until(() => `the page's clipboard to follow the remote copy (it holds ${JSON.stringify(got)})`, async () => (got = await readClipboard()) === 'copied remotely 7');
});

test("entering the display hands the page's clipboard text to the remote desktop, but not the remote's own copy", { skip: chromiumMissing }, async (t) => {
  const refocus = () =>
    canvas().evaluate((c: HTMLCanvasElement) => {
      c.blur();
      c.focus();
    });
  received.length = 0;
  // The page's clipboard still holds what the remote machine copied (the test above): entering the display must not
  // paste that back into it. Messages keep their order, so an echo would arrive before the text sent next.
  assert.equal(await readClipboard(), 'copied remotely 7');
  await refocus();
  // The desktop asks for a client's text 250 ms after its last format list, so a second list sooner would hide an
  // echo behind the next text: let that window pass.
  await page.waitForTimeout(600);
  const text = 'hello from x 42';
  await page.evaluate((s) => navigator.clipboard.writeText(s), text);
  // Focus moves into the display: the adapter reads the clipboard (reading is granted) and pastes it remotely.
  await refocus();
  await until(() => `the demo desktop to receive "${text}" (got ${JSON.stringify(received)})`, () => received.includes(text));
  assert.deepEqual(received, [text]);
  assert.equal(desktop?.pasted, text);
  await t.test('OCR reads it on the remote display', { skip: tesseractMissing }, async () => {
    let read = '';
    for (let i = 0; i < 10 && !/CLIPB\w{2,5} hello from x 42/i.test(read); i++) {
      read = await ocr(await frame());
      await page.waitForTimeout(100);
    }
    assert.match(read, /CLIPB\w{2,5} hello from x 42/i, `OCR of the display: ${JSON.stringify(read)}`);
  });
});
