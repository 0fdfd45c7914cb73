import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { DemoDesktop } from '../../../electron/demo/demo-desktop/desktop.ts';
import { KeysymKeyboard } from '../../../electron/demo/vnc-desktop/keysym-keyboard.ts';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { displayFrame, ocr, pollUntil, tesseractMissing } from './remote-display.ts';
import { watchCalls } from '../../support/watch-calls.ts';

// A libvirt server of the demo cloud, clicked in the sidebar, opens a VNC tab: noVNC in Chromium, through the main
// process's relay and the demo's nova-novncproxy double, to the VM's demo VNC desktop. What the toolbar and the
// keyboard do is observed on the desktop's side (it runs in this process) and read back from the display by OCR.

const SERVER = 'debian-12-db';
let app: AppUnderTest | undefined;
let page: Page;

let desktop: DemoDesktop | undefined;
const received: string[] = [];
const typed: string[] = [];
const keyEvents: Array<{ kind: 'keysym' | 'qemu'; keysym: number; keycode?: number; down: boolean }> = [];
const unwatch: Array<() => void> = [];

before(async () => {
  if (chromiumMissing) return;
  unwatch.push(
    watchCalls(DemoDesktop.prototype, 'attach', (attached) => {
      if (attached.name === SERVER) desktop = attached;
    }),
    watchCalls(DemoDesktop.prototype, 'receiveClipboard', (d, text) => {
      if (d.name === SERVER) received.push(text);
    }),
    watchCalls(DemoDesktop.prototype, 'typeText', (d, text) => {
      if (d.name === SERVER) typed.push(text);
    }),
    watchCalls(KeysymKeyboard.prototype, 'keysym', (_k, keysym, down) => keyEvents.push({ kind: 'keysym', keysym, down })),
    watchCalls(KeysymKeyboard.prototype, 'qemuKey', (_k, keycode, keysym, down) => keyEvents.push({ kind: 'qemu', keycode, keysym, down })),
  );
  app = await startAppUnderTest();
  page = app.page;
  await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.host.origin });
  await page.goto(app.host.url);
});
after(async () => {
  for (const undo of unwatch.splice(0)) undo();
  await app?.stop();
});

const toolbar = (): Locator => page.getByRole('toolbar', { name: `Console actions: ${SERVER}` });
const canvas = (): Locator => page.locator(`canvas[aria-label="Remote display: ${SERVER}"]`);
const statusText = () => page.locator('[role=tabpanel]:not([hidden]) [role=status]').innerText();
const until = (what: string | (() => string), ok: () => boolean | Promise<boolean>, tries?: number) => pollUntil(page, what, ok, tries, 100);
const readClipboard = () => page.evaluate(() => navigator.clipboard.readText());

async function ocrUntil(wanted: RegExp, tries = 30): Promise<string> {
  let text = '';
  for (let i = 0; i < tries && !wanted.test(text); i++) {
    text = await ocr(await displayFrame(page, SERVER));
    if (!wanted.test(text)) await page.waitForTimeout(150);
  }
  return text;
}

/** A key as a browser on another layout reports it: `key` is what that layout types, `code` the physical key. */
async function pressOnDisplay(key: string, code: string) {
  await canvas().evaluate(
    (c: HTMLCanvasElement, k: { key: string; code: string }) => {
      c.focus();
      for (const type of ['keydown', 'keyup']) c.dispatchEvent(new KeyboardEvent(type, { key: k.key, code: k.code, bubbles: true, cancelable: true }));
    },
    { key, code },
  );
}

test('a click on a libvirt server opens a VNC tab named after it; the toolbar is built for VNC; its name is on the display', { skip: chromiumMissing }, async (t) => {
  await page.getByRole('tree', { name: 'Demo cloud (offline)' }).getByRole('treeitem', { name: SERVER, exact: true }).click();
  await page.getByRole('tab', { name: SERVER, exact: true }).waitFor();
  await until(() => `${SERVER} connected`, async () => (await statusText()) === 'Connected', 200);
  assert.ok(desktop, "the session reached the VM's demo desktop");
  for (const name of ['Ctrl+Alt+Del', 'Type clipboard', 'Fullscreen', 'Screenshot']) assert.ok(await toolbar().getByRole('button', { name }).isVisible(), name);
  const scale = toolbar().getByRole('combobox', { name: 'Scale' });
  assert.deepEqual(await scale.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), ['fit', 'actual', 'dynamic']);
  await t.test('OCR reads the server name on the remote display', { skip: tesseractMissing }, async () => {
    // The pixel font's digits read poorly ("1l?" for "12"): the letters around them and the status line suffice.
    const wanted = /debi\s?an\W?1.{0,5}db[\s\S]*STATUS ACTIVE/i;
    const text = await ocrUntil(wanted);
    assert.match(text, wanted, `OCR of the display: ${JSON.stringify(text)}`);
  });
});

test("clipboard both ways: the VM's copy lands on the page's clipboard; entering the display hands the page's text over", { skip: chromiumMissing }, async () => {
  desktop!.setClipboard('copied in the vm 17');
  let got = '';
  await until(() => `the page's clipboard to hold the VM's copy (holds ${JSON.stringify(got)})`, async () => (got = await readClipboard()) === 'copied in the vm 17');

  received.length = 0;
  await page.evaluate(() => navigator.clipboard.writeText('hello vnc 42'));
  await canvas().evaluate((c: HTMLCanvasElement) => {
    c.blur();
    c.focus();
  });
  await until(() => `the VM to receive the page's text (got ${JSON.stringify(received)})`, () => received.includes('hello vnc 42'));
  assert.ok(!received.includes('copied in the vm 17'), "the VM's own copy is not pasted back into it");
});

test('Ctrl+Alt+Del reaches the VM as a secure attention; the session stays connected', { skip: chromiumMissing }, async () => {
  const before = desktop!.secureAttentions;
  await toolbar().getByRole('button', { name: 'Ctrl+Alt+Del' }).click();
  await until('the secure attention on the VM', () => desktop!.secureAttentions === before + 1);
  assert.equal(await statusText(), 'Connected');
});

test('keyboard modes: physical keys send the key position (QEMU extended key events), characters send what this layout types', { skip: chromiumMissing }, async () => {
  // A German keyboard's ö sits where a US keyboard has the semicolon.
  const mode = toolbar().getByRole('combobox', { name: 'Keyboard' });
  assert.equal(await mode.inputValue(), 'scancode');
  typed.length = 0;
  keyEvents.length = 0;
  await pressOnDisplay('ö', 'Semicolon');
  await until(() => `a key on the VM (typed ${JSON.stringify(typed)})`, () => typed.length > 0);
  assert.deepEqual(typed, [';'], 'the VM (US layout) reads the physical key: a semicolon');
  assert.ok(keyEvents.some((e) => e.kind === 'qemu' && e.keycode === 0x27 && e.down), `a QEMU key event for scancode 0x27: ${JSON.stringify(keyEvents)}`);

  await mode.selectOption('unicode');
  typed.length = 0;
  keyEvents.length = 0;
  await pressOnDisplay('ö', 'Semicolon');
  await until(() => `a character on the VM (typed ${JSON.stringify(typed)})`, () => typed.length > 0);
  assert.deepEqual(typed, ['ö'], 'the VM receives the character typed here');
  assert.ok(keyEvents.some((e) => e.keysym === 0xf6 && e.down), `the keysym of ö: ${JSON.stringify(keyEvents)}`);
  await mode.selectOption('scancode');
});
