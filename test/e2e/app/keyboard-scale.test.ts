import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CDPSession, Locator, Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { pollUntil } from './remote-display.ts';

// Two toolbar modes through the real UI, in browser mode on the demo cloud (its desktops run in this process, so
// what reaches them is read off their state): the keyboard mode "Characters" against "Physical keys", and the scale
// mode "Resize remote".

const SERVER = 'win2019-sql-01';
let app: AppUnderTest | undefined;
let page: Page;
let cdp: CDPSession;

before(async () => {
  if (chromiumMissing) return;
  app = await startAppUnderTest();
  page = app.page;
  cdp = await app.context.newCDPSession(page);
  await page.goto(app.host.url);
  await page.getByRole('tree', { name: 'Demo cloud (offline)' }).getByRole('treeitem', { name: SERVER, exact: true }).click();
  await page.waitForFunction(() => document.querySelector('[role=tabpanel]:not([hidden]) [role=status]')?.textContent === 'Connected', undefined, { timeout: 20_000 });
});
after(async () => {
  await app?.stop();
});

const toolbar = (): Locator => page.getByRole('toolbar', { name: `Console actions: ${SERVER}` });
const canvas = (): Locator => page.locator(`canvas[aria-label="Remote display: ${SERVER}"]`);
const until = (what: () => string, ok: () => boolean | Promise<boolean>, tries?: number) => pollUntil(page, what, ok, tries);
const desktop = () => {
  // The console host keys its desktops by Hyper-V VM id.
  const id = app!.host.app.demo!.demoCloud.info.servers.find((s) => s.name === SERVER)!.vm_id;
  return app!.host.app.demo!.consoleHost.desktops.get(id)!;
};


/**
 * Keys as a German keyboard sends them: the physical key (code) and the character it produces here (key). Playwright
 * only knows the US layout, so the events go through the DevTools protocol, as the OS would deliver them.
 */
const GERMAN: Array<{ code: string; key: string; vk: number }> = [
  { code: 'KeyG', key: 'g', vk: 71 },
  { code: 'KeyR', key: 'r', vk: 82 },
  { code: 'BracketLeft', key: 'ü', vk: 186 },
  { code: 'Minus', key: 'ß', vk: 219 },
  { code: 'KeyE', key: 'e', vk: 69 },
];

async function typeGerman() {
  for (const k of GERMAN) {
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: k.key, code: k.code, text: k.key, unmodifiedText: k.key, windowsVirtualKeyCode: k.vk });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: k.key, code: k.code, windowsVirtualKeyCode: k.vk });
  }
}

/** What the desktop's typed line gained while `fn` ran (its line keeps the last 200 characters). */
async function typedDuring(fn: () => Promise<void>, expectedLength: number): Promise<string> {
  const d = desktop();
  d.typeText('|');
  const before = d.typed;
  await fn();
  await until(() => `${expectedLength} characters on the desktop (got ${JSON.stringify(d.typed.slice(before.length))})`, () => d.typed.length >= before.length + expectedLength);
  // Nothing more arrives (no stray characters from key releases).
  await page.waitForTimeout(200);
  return d.typed.slice(before.length);
}

test('keyboard mode: Characters sends what a German keyboard types here; Physical keys send its keys in the remote (US) layout', { skip: chromiumMissing }, async () => {
  const keyboard = toolbar().getByRole('combobox', { name: 'Keyboard' });
  assert.equal(await keyboard.inputValue(), 'scancode');
  await canvas().click();
  assert.equal(await canvas().evaluate((c) => document.activeElement === c), true, 'the display has the keyboard');
  assert.equal(await typedDuring(typeGerman, 5), 'gr[-e', 'physical keys: the remote layout (US) decides the characters');

  await keyboard.selectOption({ label: 'Characters (this layout)' });
  await canvas().click();
  assert.equal(await typedDuring(typeGerman, 5), 'grüße', 'characters: what this keyboard produced, as Unicode');
  assert.equal(await page.locator('[role=tabpanel]:not([hidden]) [role=status]').innerText(), 'Connected');
  await keyboard.selectOption('scancode');
});

test('scale mode Resize remote: the remote desktop (and the canvas) takes the size of the window area, and follows it', { skip: chromiumMissing }, async () => {
  const measure = () =>
    canvas().evaluate((c: HTMLCanvasElement) => {
      const area = c.parentElement!;
      return { w: c.width, h: c.height, areaW: area.clientWidth, areaH: area.clientHeight };
    });
  // The size the display asks for: the area's, even, within what RDP servers accept (renderer/consoles/rdp/rdp-backend.ts).
  const wanted = (m: { areaW: number; areaH: number }) => ({
    w: Math.max(640, Math.min(3840, Math.floor(m.areaW / 2) * 2)),
    h: Math.max(480, Math.min(2160, Math.floor(m.areaH / 2) * 2)),
  });
  const sessionSizes = () => [...app!.host.app.demo!.consoleHost.sessions].map((s) => s.size);
  const select = toolbar().getByRole('combobox', { name: 'Scale' });
  try {
    await page.setViewportSize({ width: 1100, height: 700 });
    const fixed = await measure();
    await select.selectOption({ label: 'Resize remote' });
    for (const viewport of [null, { width: 1000, height: 760 }, { width: 1240, height: 640 }]) {
      if (viewport) await page.setViewportSize(viewport);
      let m = await measure();
      await until(
        () => `the canvas to be ${JSON.stringify(wanted(m))} (is ${m.w}×${m.h}; the remote session ${JSON.stringify(sessionSizes())})`,
        async () => {
          m = await measure();
          const want = wanted(m);
          return m.w === want.w && m.h === want.h;
        },
        200,
      );
      // The demo desktop's session runs at that size too: the remote desktop was resized, not the picture scaled.
      assert.deepEqual(sessionSizes(), [{ width: m.w, height: m.h }]);
    }
    assert.notDeepEqual({ w: fixed.w, h: fixed.h }, { w: (await measure()).w, h: (await measure()).h });
  } finally {
    await select.selectOption('fit');
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});
