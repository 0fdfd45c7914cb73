import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { pollUntil } from './remote-display.ts';
import { stripAnsi } from '../../../renderer/logic/ansi.ts';

// A server's console log in its own tab, through the real UI in browser mode on the embedded demo cloud: opened from
// the sidebar's menu and from a console's toolbar, followed while visible, searched, copied, saved.

const SERVER = 'rocky-9-monitor';
const TITLE = `${SERVER} — console log`;
let app: AppUnderTest | undefined;
let page: Page;
/** The requests the page sent over the browser-mode socket, in order. */
const sent: Array<{ name: string; args: any; at: number }> = [];

before(async () => {
  if (chromiumMissing) return;
  app = await startAppUnderTest();
  page = app.page;
  await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.host.origin });
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      try {
        const msg = JSON.parse(String(payload)) as { name?: unknown; args?: unknown };
        if (typeof msg.name === 'string') sent.push({ name: msg.name, args: msg.args, at: Date.now() });
      } catch {
        // Not the API socket.
      }
    }),
  );
  await page.goto(app.host.url);
});
after(async () => {
  await app?.stop();
});

const tree = () => page.getByRole('tree', { name: 'Demo cloud (offline)' });
const logPanel = (): Locator => page.getByRole('tabpanel', { name: TITLE });
const logBox = () => logPanel().getByLabel(`Console log of ${SERVER}`);
const logText = async () => (await logBox().textContent()) ?? '';
const logRequests = () => sent.filter((r) => r.name === 'console.log');
const services = () => app!.host.app.services.servers!;

/** What document.visibilityState says, as when the window is minimised and restored (a script string: functions
 * defined inside a page.evaluate callback would be renamed by the TypeScript loader in ways the page cannot run). */
async function setVisibility(state: 'hidden' | 'visible') {
  await page.evaluate(
    `Object.defineProperty(document, 'visibilityState', { configurable: true, value: '${state}' }); document.dispatchEvent(new Event('visibilitychange'));`,
  );
}

async function until(what: string, ok: () => boolean | Promise<boolean>, tries = 150) {
  await pollUntil(page, what, ok, tries, 100);
}

test('"Console log" in the server menu opens the log in its own tab, following it', { skip: chromiumMissing }, async () => {
  await tree().getByRole('treeitem', { name: SERVER, exact: true }).click({ button: 'right' });
  await page.getByRole('menu', { name: `Open ${SERVER}` }).getByRole('menuitem', { name: 'Console log' }).click();
  await page.getByRole('tab', { name: TITLE, exact: true }).waitFor();
  await until('the log text', async () => (await logText()).length > 0);
  assert.deepEqual(logRequests()[0].args, { cloud: 'demo', server: (await services().details('demo', SERVER)).id, lines: 100 });
  const status = logPanel().getByRole('status');
  assert.match((await status.textContent()) ?? '', /^Following/);
  // The view shows the log as Nova has it, escapes removed.
  const raw = await services().consoleLog('demo', SERVER, 100);
  const shown = await logText();
  assert.ok(!shown.includes('\x1b'));
  const firstLine = stripAnsi(raw.output).split('\n')[0];
  assert.ok(shown.includes(firstLine), `"${firstLine}" is shown`);
  // Followed: asked again every few seconds while visible.
  const count = logRequests().length;
  await until('another fetch', () => logRequests().length > count, 80);
});

test('colours are classes (no inline styles); the toggle strips them', { skip: chromiumMissing }, async () => {
  await logPanel().getByRole('combobox').selectOption({ label: 'Whole log' });
  await until('a fetch of the whole log', () => logRequests().at(-1)?.args.lines === undefined);
  const raw = (await services().consoleLog('demo', SERVER)).output;
  await until('the whole log shown', async () => (await logText()).startsWith(stripAnsi(raw).slice(0, 200)));
  assert.equal(await logBox().locator('[style]').count(), 0);
  // Nova removed the ESC: the colours arrive as bare SGR brackets, as from a real cloud.
  assert.match(raw, /\[0;32m {2}OK {2}\[0m\]/, "the demo server's log has systemd's colours");
  assert.ok(!raw.includes('\u001b'), 'no ESC: Nova removes control characters');
  assert.ok((await logBox().locator('span[class^="ansi-"]').count()) > 0, 'coloured runs');
  await logPanel().getByRole('checkbox', { name: 'Colours' }).uncheck();
  assert.equal(await logBox().locator('span').count(), 0);
  assert.ok((await logText()).startsWith(stripAnsi(raw).slice(0, 200)), 'same text without colours');
  await logPanel().getByRole('checkbox', { name: 'Colours' }).check();
});

test('find highlights the matches and Enter goes to the next', { skip: chromiumMissing }, async () => {
  const text = await logText();
  // A word the log really has, so the test follows whatever the demo's guest prints.
  const word = text.match(/[A-Za-z]{4,}/)![0];
  const expected = text.toLowerCase().split(word.toLowerCase()).length - 1;
  const find = logPanel().getByRole('searchbox', { name: 'Find in log' });
  await find.fill(word);
  const count = logPanel().locator('.find-count');
  assert.equal(await count.textContent(), `1 of ${expected}`);
  // The current match (one mark, or several where colours change inside it) is the word.
  assert.equal((await logBox().locator('mark[data-match="0"]').allTextContents()).join('').toLowerCase(), word.toLowerCase());
  assert.ok((await logBox().locator('mark[data-match="0"].current').count()) > 0);
  if (expected > 1) {
    await find.press('Enter');
    assert.equal(await count.textContent(), `2 of ${expected}`);
    await find.press('Shift+Enter');
    assert.equal(await count.textContent(), `1 of ${expected}`);
  }
  await find.fill('no such text anywhere 42');
  assert.equal(await count.textContent(), 'No matches');
  await find.fill('');
});

test('Copy takes the whole log, or the selection; Save downloads <server>-console.log', { skip: chromiumMissing }, async () => {
  const copy = logPanel().getByRole('button', { name: 'Copy' });
  await copy.click();
  const all = await logText();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), all);
  // Select the start of the log's first text, then copy.
  await logBox().evaluate((pre) => {
    const text = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT).nextNode()!;
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, Math.min(10, text.textContent!.length));
    getSelection()!.removeAllRanges();
    getSelection()!.addRange(range);
  });
  const selected = await page.evaluate(() => getSelection()!.toString());
  assert.ok(selected.length > 0 && selected.length < all.length);
  await copy.click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), selected);
  await page.evaluate(() => getSelection()!.removeAllRanges());

  const [download] = await Promise.all([page.waitForEvent('download'), logPanel().getByRole('button', { name: 'Save…' }).click()]);
  assert.equal(download.suggestedFilename(), `${SERVER}-console.log`);
  const saved = readFileSync(await download.path(), 'utf8');
  assert.ok(!saved.includes('\x1b'));
  assert.ok(saved.startsWith(all.slice(0, 200)));
});

test('following stops while the tab or the window is hidden, and resumes when shown', { skip: chromiumMissing }, async () => {
  // Another tab in front: the log's tab is hidden.
  await tree().getByRole('treeitem', { name: SERVER, exact: true }).click();
  await page.getByRole('tab', { name: SERVER, exact: true }).waitFor();
  await page.waitForTimeout(500);
  let count = logRequests().length;
  await page.waitForTimeout(6_000);
  assert.equal(logRequests().length, count, 'no fetch while the tab is hidden');
  await page.getByRole('tab', { name: TITLE, exact: true }).click();
  await until('a fetch once shown', () => logRequests().length > count, 20);

  // The window hidden (minimised, another desktop): document.visibilityState says so.
  await setVisibility('hidden');
  await page.waitForTimeout(500);
  count = logRequests().length;
  await page.waitForTimeout(6_000);
  assert.equal(logRequests().length, count, 'no fetch while the window is hidden');
  assert.match((await logPanel().getByRole('status').textContent()) ?? '', /paused while hidden/);
  await setVisibility('visible');
  await until('a fetch once the window shows', () => logRequests().length > count, 20);
});

test('the view stays at the end while following, unless scrolled up', { skip: chromiumMissing }, async (t) => {
  const box = logBox();
  const overflows = await box.evaluate((el) => el.scrollHeight > el.clientHeight + 30);
  if (!overflows) return t.skip('the log fits in the view');
  const atEnd = () => box.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight <= 24);
  // Back at the end (the find test moved the view to a match): following again, fetch after fetch.
  await box.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  let count = logRequests().length;
  await until('another fetch', () => logRequests().length > count, 80);
  await page.waitForTimeout(300);
  assert.ok(await atEnd(), 'still at the end after a fetch');
  await box.evaluate((el) => {
    el.scrollTop = 0;
  });
  count = logRequests().length;
  await until('another fetch', () => logRequests().length > count, 80);
  await page.waitForTimeout(300);
  assert.equal(await box.evaluate((el) => el.scrollTop), 0, 'the reader keeps their place');
});

test('"Console log" in a console toolbar shows the same log tab', { skip: chromiumMissing }, async () => {
  await page.getByRole('tab', { name: SERVER, exact: true }).click();
  await page.getByRole('toolbar', { name: `Console actions: ${SERVER}` }).getByRole('button', { name: 'Console log' }).click();
  assert.equal(await page.getByRole('tab', { name: TITLE, exact: true }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.getByRole('tab', { name: TITLE, exact: true }).count(), 1);
});

test('a server whose driver keeps no log says so plainly', { skip: chromiumMissing }, async (t) => {
  // Whichever demo server's driver keeps no console log (as its Nova answers), if any.
  let name: string | undefined;
  for (const s of app!.host.app.demo!.demoCloud.info.servers) {
    const refused = await services()
      .consoleLog('demo', s.id, 10)
      .then(() => undefined, (err: { code?: string }) => err.code);
    if (refused === 'unavailable') {
      name = s.name;
      break;
    }
  }
  if (!name) return t.skip('every demo server keeps a console log');
  await tree().getByRole('treeitem', { name, exact: true }).click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Console log' }).click();
  const status = page.getByRole('tabpanel', { name: `${name} — console log` }).getByRole('status');
  await until('the explanation', async () => /^No console log: /.test((await status.textContent()) ?? ''));
});
