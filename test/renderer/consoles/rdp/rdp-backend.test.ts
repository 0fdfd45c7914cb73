import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../../../support/chromium.ts';

// The display adapter in Chromium over a recording engine double: lock-key sync on connect and focus (with the
// state the browser reports through getModifierState), and every key released when the display loses focus.

const skip = chromiumMissing();
let browser: Browser;
let bundle: string;

before(async () => {
  if (skip) return;
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./page/recording.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  bundle = out.outputFiles[0].text;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

type Call = [string, ...unknown[]];
const calls = (page: Page) => page.evaluate(() => (window.displayTest as { calls(): Call[] }).calls());
const LOCKS = (capsLock: boolean, numLock: boolean, scrollLock: boolean) => ['syncLockKeys', { capsLock, numLock, scrollLock }];

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  // The backend puts its canvas (aria-label "display") into the area; the tests address it as #c.
  await page.setContent('<div id="area" style="width:800px;height:600px"></div><button id="other">other</button>');
  await page.addScriptTag({ content: bundle });
  return page;
}

/** Dispatches a DOM event with the given lock-key modifiers (Chromium's EventModifierInit). */
function fire(page: Page, selector: string, type: string, init: Record<string, unknown>) {
  return page.evaluate(
    ([sel, t, i]) => {
      const el = document.querySelector(sel)!;
      const ev = (t).startsWith('key') ? new KeyboardEvent(t, { bubbles: true, cancelable: true, ...(i as object) }) : new MouseEvent(t, { bubbles: true, cancelable: true, ...(i as object) });
      el.dispatchEvent(ev);
    },
    [selector, type, init] as const,
  );
}

test('lock keys follow this machine on connect, on focus and when they changed elsewhere; blur releases every key', { skip }, async () => {
  const page = await openPage();
  try {
    // A click elsewhere in the page (the server list) shows ScrollLock on; the display gets focus before the
    // session is up: connecting sends that state.
    await fire(page, '#other', 'mousedown', { modifierScrollLock: true });
    await page.focus('#c');
    assert.equal(await page.evaluate(() => (window.displayTest as { finishConnect(): Promise<number> }).finishConnect()), 1);
    assert.deepEqual(await calls(page), [LOCKS(false, false, true)]);

    // Blur releases everything the server may think is down.
    await page.focus('#other');
    assert.deepEqual(await calls(page), [['releaseAllKeys']]);

    // A click into the display with CapsLock and NumLock on: one sync before the click is sent.
    await fire(page, '#c', 'mousedown', { button: 0, modifierCapsLock: true, modifierNumLock: true });
    const click = await calls(page);
    assert.deepEqual(click[0], LOCKS(true, true, false));
    assert.deepEqual(click.filter((c) => c[0] === 'syncLockKeys').length, 1, JSON.stringify(click));
    assert.deepEqual(click.at(-1), ['mouseButton', 0, true]);

    // Keys with the same state send no sync; a key showing another state (toggled while elsewhere) syncs first.
    await fire(page, '#c', 'keydown', { code: 'KeyA', key: 'A', modifierCapsLock: true, modifierNumLock: true });
    assert.deepEqual(await calls(page), [['keyEvent', 'keydown', 'KeyA']]);
    await fire(page, '#c', 'keydown', { code: 'KeyB', key: 'b', modifierNumLock: true });
    assert.deepEqual(await calls(page), [LOCKS(false, true, false), ['keyEvent', 'keydown', 'KeyB']]);

    // The lock key itself is sent as a key (it toggles the server's state), not synced; the next key re-syncs.
    await fire(page, '#c', 'keydown', { code: 'CapsLock', key: 'CapsLock', modifierCapsLock: true, modifierNumLock: true });
    await fire(page, '#c', 'keyup', { code: 'CapsLock', key: 'CapsLock', modifierCapsLock: true, modifierNumLock: true });
    assert.deepEqual(await calls(page), [
      ['keyEvent', 'keydown', 'CapsLock'],
      ['keyEvent', 'keyup', 'CapsLock'],
    ]);
    await fire(page, '#c', 'keydown', { code: 'KeyC', key: 'C', modifierCapsLock: true, modifierNumLock: true });
    assert.deepEqual(await calls(page), [LOCKS(true, true, false), ['keyEvent', 'keydown', 'KeyC']]);

    // Keyboard focus coming back (no input event with it) re-sends the last state seen.
    await page.focus('#other');
    await page.focus('#c');
    assert.deepEqual(await calls(page), [['releaseAllKeys'], LOCKS(true, true, false)]);
  } finally {
    await page.close();
  }
});
