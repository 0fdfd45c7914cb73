import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { pollUntil } from './remote-display.ts';

// "Open as ▸ Serial" on a libvirt server of the demo cloud: the main process asks Nova for a serial console
// (remote-consoles, protocol serial), relays the demo's nova-serialproxy double, and xterm.js shows the guest's
// ttyS0: a login prompt, the demo login, and the small shell's answers.

const SERVER = 'debian-12-db';
let app: AppUnderTest | undefined;
let page: Page;

before(async () => {
  if (chromiumMissing) return;
  app = await startAppUnderTest();
  page = app.page;
  await page.goto(app.host.url);
});
after(async () => {
  await app?.stop();
});

const tree = () => page.getByRole('tree', { name: 'Demo cloud (offline)' });
const shown = (): Locator => page.locator('[role=tabpanel]:not([hidden])');
const rows = () =>
  shown()
    .locator('.xterm-rows > div')
    .allTextContents()
    .then((r) => r.map((x) => x.replace(/\u00a0/g, ' ').trimEnd()));

async function waitRow(re: RegExp) {
  let last: string[] = [];
  await pollUntil(page, () => `${re} in the terminal; it shows:\n${last.join('\n')}`, async () => (last = await rows()).some((r) => re.test(r)), 200, 100);
}

async function typeLine(text: string) {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

test('"Open as Serial" on a demo libvirt server: login prompt, demo login, and commands answered', { skip: chromiumMissing }, async () => {
  await tree().getByRole('treeitem', { name: SERVER, exact: true }).click({ button: 'right' });
  await page.getByRole('menu', { name: `Open ${SERVER}` }).getByRole('menuitem', { name: 'Open as Serial' }).click();
  await shown().locator('.xterm').waitFor();
  await pollUntil(page, 'Connected', async () => (await shown().getByRole('status').first().innerText()) === 'Connected', 200, 100);
  await shown().locator('.xterm').click();
  await page.keyboard.press('Enter');
  await waitRow(/^debian-12-db login:$/); // rows are read with trailing spaces trimmed
  await typeLine('admin');
  await waitRow(/^Password:$/);
  await typeLine('demo');
  await waitRow(/@debian-12-db:~[$#]$/);
  await typeLine('hostname');
  await waitRow(/^debian-12-db$/);
  await typeLine('uname -a');
  await waitRow(/^Linux debian-12-db /);
  const text = (await rows()).join('\n');
  assert.ok(!text.includes('\ufffd'), 'UTF-8 arrived intact');
});
