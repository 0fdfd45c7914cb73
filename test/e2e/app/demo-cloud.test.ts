import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';

// The app in browser mode on the embedded demo cloud, driven in Chromium like an administrator would.

let app: AppUnderTest | undefined;
let page: Page;
const DEMO = 'Demo cloud (offline)';
const noGateway = () => (app && !app.host.app.services.sessions ? 'the RDP session service is not wired into the app yet' : undefined);

before(async () => {
  if (chromiumMissing) return;
  app = await startAppUnderTest({
    // A second cloud whose Keystone refuses connections: the sidebar must say so and keep the demo working.
    cloudsYaml: 'clouds:\n  broken:\n    auth:\n      auth_url: http://127.0.0.1:9/identity/v3\n      username: u\n      password: p\n      project_name: p\n      user_domain_name: Default\n      project_domain_name: Default\n',
  });
  page = app.page;
  await page.goto(app.host.url);
});
after(async () => {
  await app?.stop();
});

const tree = () => page.getByRole('tree', { name: DEMO });
const item = (name: string) => tree().getByRole('treeitem', { name, exact: true });
const tab = (name: string) => page.getByRole('tab', { name, exact: true });
const panelOf = async (name: string): Promise<Locator> => page.locator(`#${await tab(name).getAttribute('aria-controls')}`);
// Panels of inactive tabs are hidden (their sessions keep running), so CSS, not the accessibility tree, finds them.
const statusOf = async (name: string) => (await panelOf(name)).locator('[role=status]');

/** Pastes text outside any text field, as a user pressing Ctrl+V on the window would. */
async function pasteOnPage(text: string) {
  await page.evaluate((t) => {
    const data = new DataTransfer();
    data.setData('text/plain', t);
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

test('the sidebar lists the demo cloud as a tree of its servers, with status apart from the name', { skip: chromiumMissing }, async () => {
  const demo = app!.host.app.clouds.find((c) => c.isDemo)!;
  assert.ok(demo);
  await item('win2022-web-01').waitFor();
  const names = await tree().getByRole('treeitem').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  for (const n of ['win2022-web-01', 'win2022-web-02', 'win2019-sql-01', 'build-agent-07', 'ad-dc-01']) assert.ok(names.includes(n), n);
  const first = tree().getByRole('treeitem').first();
  assert.equal(await first.getAttribute('aria-setsize'), String(names.length));
  const describedBy = await item('build-agent-07').getAttribute('aria-describedby');
  assert.match(await page.locator(`#${describedBy}`).innerText(), /^BUILD/);

  // A cloud that cannot be reached says so, in its own section.
  const broken = page.getByRole('region', { name: 'broken' });
  await broken.getByRole('alert').waitFor();
  assert.match(await broken.getByRole('alert').innerText(), /broken cannot be reached: .*unreachable/i);
});

test('search as you type by name, id or IP', { skip: chromiumMissing }, async () => {
  const search = page.getByRole('searchbox', { name: 'Search servers' });
  const visible = async () => tree().getByRole('treeitem').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  await search.fill('SQL');
  assert.deepEqual(await visible(), ['win2019-sql-01']);
  await search.fill('10.0.0.12');
  assert.deepEqual(await visible(), ['win2022-web-02']);
  await search.fill('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c02');
  assert.deepEqual(await visible(), ['jump-host']);
  await search.fill('no-such-server');
  assert.deepEqual(await visible(), []);
  await search.fill('');
  assert.ok((await visible()).length > 10);
});

test('garbage typed or pasted is explained in an alert and opens nothing', { skip: chromiumMissing }, async () => {
  const tabsBefore = await page.getByRole('tab').count();
  await pasteOnPage('definitely not a console');
  const alert = page.locator('.url-bar').getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /is not a console URL or address/);
  const box = page.getByRole('textbox', { name: 'Console URL or address' });
  await box.fill('ftp://files.example/x');
  await box.press('Enter');
  await page.waitForFunction(() => /ftp:\/\//.test(document.querySelector('.url-bar [role=alert]')?.textContent ?? ''));
  // A well-formed URL whose token the cloud does not know: the main process refuses it, still no tab.
  await box.fill('http://127.0.0.1:9/rdp/?token=not-a-uuid');
  await box.press('Enter');
  await page.waitForFunction(() => !/ftp:\/\//.test(document.querySelector('.url-bar [role=alert]')?.textContent ?? ''));
  assert.equal(await page.getByRole('tab').count(), tabsBefore);
  await box.fill('');
});

test('two server tabs open from the tree, named after their servers', { skip: chromiumMissing }, async (t) => {
  if (noGateway()) return t.skip(noGateway());
  await item('win2022-web-01').click();
  await item('win2022-web-02').click();
  await tab('win2022-web-01').waitFor();
  await tab('win2022-web-02').waitFor();
  assert.equal(await tab('win2022-web-02').getAttribute('aria-selected'), 'true');
  for (const name of ['win2022-web-01', 'win2022-web-02']) {
    const panel = await panelOf(name);
    assert.equal(await panel.locator(`canvas[aria-label="Remote display: ${name}"]`).count(), 1);
    assert.doesNotMatch(await (await statusOf(name)).innerText(), /Disconnected/);
  }
});

test('a console URL fetched from the demo cloud, pasted, opens a third tab', { skip: chromiumMissing }, async (t) => {
  if (noGateway()) return t.skip(noGateway());
  const { url } = await app!.host.app.services.consoles.consoleUrl('demo', 'win2019-sql-01');
  await page.getByRole('tab', { name: 'win2022-web-02', exact: true }).click();
  await pasteOnPage(url);
  await tab('win2019-sql-01').waitFor();
  assert.equal(await tab('win2019-sql-01').getAttribute('aria-selected'), 'true');
  assert.doesNotMatch(await (await statusOf('win2019-sql-01')).innerText(), /Disconnected/);
});

test('closing one tab leaves the others running', { skip: chromiumMissing }, async (t) => {
  if (noGateway()) return t.skip(noGateway());
  await page.getByRole('button', { name: 'Close win2022-web-01', exact: true }).click();
  await tab('win2022-web-01').waitFor({ state: 'detached' });
  for (const name of ['win2022-web-02', 'win2019-sql-01']) {
    await tab(name).waitFor();
    assert.doesNotMatch(await (await statusOf(name)).innerText(), /Disconnected/);
  }
});

test("a BUILD server's tab says why it has no console", { skip: chromiumMissing }, async (t) => {
  if (noGateway()) return t.skip(noGateway());
  await item('build-agent-07').click();
  await tab('build-agent-07').waitFor();
  const status = await statusOf('build-agent-07');
  await page.waitForFunction((id) => /Disconnected: /.test(document.querySelector(`#${id} [role=status]`)?.textContent ?? ''), await tab('build-agent-07').getAttribute('aria-controls'));
  const text = await status.innerText();
  assert.match(text, /build/i, text);
  const panel = await panelOf('build-agent-07');
  assert.equal(await panel.getByRole('heading', { name: 'No console for build-agent-07' }).count(), 1);
  assert.equal(await panel.getByRole('button', { name: 'Reconnect' }).count(), 1);
});

test('keyboard: Ctrl+L focuses the address box, Ctrl+Tab cycles, Ctrl+Shift+PageUp reorders, Ctrl+W closes', { skip: chromiumMissing }, async (t) => {
  if (noGateway()) return t.skip(noGateway());
  await page.locator('body').click({ position: { x: 5, y: 790 } }).catch(() => undefined);
  await page.keyboard.press('Control+KeyL');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Console URL or address');
  await page.getByRole('searchbox', { name: 'Search servers' }).focus();
  const order = async () => page.getByRole('tab').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  const selected = async () => page.locator('[role=tab][aria-selected=true]').getAttribute('aria-label');
  const before = await order();
  const start = await selected();
  await page.keyboard.press('Control+Tab');
  const next = before[(before.indexOf(start!) + 1) % before.length];
  assert.equal(await selected(), next);
  await page.keyboard.press('Control+Shift+Tab');
  assert.equal(await selected(), start);
  await page.keyboard.press('Control+Shift+PageUp');
  const moved = await order();
  const i = before.indexOf(start!);
  if (i > 0) assert.equal(moved[i - 1], start);
  await page.keyboard.press('Control+KeyW');
  assert.ok(!(await order()).includes(start));
});

test('settings: hiding the demo cloud removes it from the sidebar, showing it brings it back', { skip: chromiumMissing }, async () => {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.waitFor();
  const demoCreds = dialog.getByRole('form', { name: `Console credentials for ${DEMO}` });
  assert.equal(await demoCreds.count(), 1);
  await dialog.getByRole('checkbox', { name: 'Hide the demo cloud' }).check();
  await tree().waitFor({ state: 'detached' });
  await dialog.getByRole('checkbox', { name: 'Hide the demo cloud' }).uncheck();
  await tree().waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'detached' });
});
