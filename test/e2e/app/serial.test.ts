import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { tabPage } from './tab-page.ts';
import { pollUntil } from './remote-display.ts';
import { startWebsockify, type Websockify } from '../../support/vnc-servers.ts';
import { serialServersMissing, startSerialShell, type SerialShell } from '../../support/serial-servers.ts';

// Serial tabs in the app (browser mode, Chromium): a serial console URL as Nova hands it out
// (`ws://host:port/?token=…`) pasted into the address box, served by websockify with a token file in front of socat
// running a real bash on a pty. The shell's output shows in the tab, the toolbar is built for a text console, and a
// token the proxy does not know is explained in its own tab.

const skip = chromiumMissing ?? (serialServersMissing() || undefined);
let app: AppUnderTest | undefined;
let page: Page;
let shell: SerialShell | undefined;
let websockify: Websockify | undefined;
const token = randomUUID();
const cspErrors: string[] = [];

before(async () => {
  if (skip) return;
  shell = await startSerialShell();
  websockify = await startWebsockify();
  websockify.addToken(token, '127.0.0.1', shell.port);
  app = await startAppUnderTest({ compose: { demo: false } });
  page = app.page;
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto(app.host.url);
  await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
});
after(async () => {
  await app?.stop();
  await websockify?.stop();
  await shell?.stop();
});

const tabs = () => tabPage(page);
const open = (text: string) => tabs().paste(text);
const panel = (title: string) => tabs().panel(title);
const statusOf = (title: string) => tabs().status(title);
const rowsOf = (title: string) =>
  panel(title)
    .locator('.xterm-rows > div')
    .allTextContents()
    .then((rows) => rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()));

async function waitRow(title: string, re: RegExp) {
  let last: string[] = [];
  await pollUntil(page, () => `${re} in the terminal of ${title}; it shows:\n${last.join('\n')}`, async () => (last = await rowsOf(title)).some((r) => re.test(r)), 200, 100);
}

test('a pasted serial console URL opens a terminal on the shell behind websockify; typed commands run, UTF-8 included', { skip }, async () => {
  const title = `127.0.0.1:${websockify!.port}`;
  await open(`ws://${title}/?token=${token}`);
  await page.getByRole('tab', { name: title, exact: true }).waitFor();
  // Connected before the shell said anything: the relay kept the proxy's session open.
  await pollUntil(page, 'Connected', async () => (await statusOf(title)) === 'Connected', 200, 100);
  const toolbar = page.getByRole('toolbar', { name: `Console actions: ${title}` });
  for (const name of ['Copy', 'Paste', 'Type clipboard', 'Search', 'Fullscreen']) assert.ok(await toolbar.getByRole('button', { name }).isVisible(), name);
  for (const name of ['Ctrl+Alt+Del', 'Screenshot', 'Credentials…']) assert.equal(await toolbar.getByRole('button', { name }).count(), 0, `no ${name} on a serial console`);
  assert.equal(await toolbar.getByRole('combobox').count(), 0, 'no scale or keyboard mode');

  await panel(title).locator('.xterm').click();
  await page.keyboard.type('echo hello-$((20+22))');
  await page.keyboard.press('Enter');
  await waitRow(title, /^hello-42$/);
  await page.keyboard.type("echo 'žluťoučký kůň ✓'");
  await page.keyboard.press('Enter');
  await waitRow(title, /^žluťoučký kůň ✓$/);
  assert.deepEqual(cspErrors, [], "xterm.js's styles break no rule of the app's CSP");
  assert.match(websockify!.output(), new RegExp(`token=${token}`), 'the main process opened the proxy WebSocket with the token');

  // The shell ends, and with it the proxy's session: the tab says why, in the relay's words, and reconnects by
  // itself (a new shell answers).
  await page.keyboard.type('exit');
  await page.keyboard.press('Enter');
  await pollUntil(page, 'the end explained', async () => /^Connection lost \(the serial console proxy closed the connection.*\); reconnecting/.test(await statusOf(title)), 200, 100);
  await pollUntil(page, 'Connected again', async () => (await statusOf(title)) === 'Connected', 200, 100);
});

test('a serial URL whose token the proxy does not know is explained in its tab', { skip }, async () => {
  await open(`ws://127.0.0.1:${websockify!.port}/?token=${randomUUID()}`);
  await pollUntil(
    page,
    'the refused token explained in the new tab',
    async () => /^Disconnected: .*token/.test(await page.locator('[role=tabpanel]:not([hidden]) [role=status]').innerText()),
    200,
    100,
  );
});
