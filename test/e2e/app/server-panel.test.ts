import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { pollUntil } from './remote-display.ts';
import { FAST_AFTER_ACTION_MS } from '../../../renderer/store/server-info.ts';

// The server beside its console, through the real UI in browser mode on the embedded demo cloud: the details panel,
// power actions with their confirmations, Nova's refusals, and a console that follows what its server does.

const SERVER = 'debian-12-db';
let app: AppUnderTest | undefined;
let page: Page;
/** Names of the requests the page sent over the browser-mode socket, in order. */
const sent: string[] = [];

before(async () => {
  if (chromiumMissing) return;
  app = await startAppUnderTest();
  page = app.page;
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      try {
        const name = (JSON.parse(String(payload)) as { name?: unknown }).name;
        if (typeof name === 'string') sent.push(name);
      } catch {
        // Not the API socket (a console relay's binary frames).
      }
    }),
  );
  await page.goto(app.host.url);
});
after(async () => {
  await app?.stop();
});

const tree = () => page.getByRole('tree', { name: 'Demo cloud (offline)' });
const panel = (): Locator => page.getByRole('complementary', { name: `Server details: ${SERVER}` });
const fact = (name: 'status' | 'task' | 'power') => panel().locator(`dd[data-field=${name}]`);
const tabStatus = () => page.locator('[role=tabpanel]:not([hidden]) .status-line [role=status]');
const button = (name: string) => panel().getByRole('button', { name, exact: true });
const services = () => app!.host.app.services.servers!;

async function waitText(what: Locator, expected: string | RegExp, tries = 150) {
  let last = '';
  await pollUntil(
    page,
    () => `${expected} (last "${last}")`,
    async () => {
      last = (await what.textContent().catch(() => '')) ?? '';
      return typeof expected === 'string' ? last === expected : expected.test(last);
    },
    tries,
    100,
  );
}

/** Clicks an action that asks first, and confirms it in its dialog. */
async function confirmed(action: string) {
  await button(action).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: action, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

test('"Details" in the server menu (by keyboard) opens its console with the details panel', { skip: chromiumMissing }, async () => {
  await tree().getByRole('treeitem', { name: SERVER, exact: true }).click({ button: 'right' });
  const menu = page.getByRole('menu', { name: `Open ${SERVER}` });
  await menu.waitFor();
  // The menu's last entries, reached with the arrows: up from the first wraps to "Details".
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Details');
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Console log');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');

  await page.getByRole('tab', { name: SERVER, exact: true }).waitFor();
  await waitText(tabStatus(), 'Connected');
  await waitText(fact('status'), 'ACTIVE');
  assert.equal(await fact('power').textContent(), 'Running');
  assert.equal(await fact('task').textContent(), 'None');
  const text = (await panel().textContent()) ?? '';
  // What the demo's Nova says about the server, as the panel shows it.
  const d = await services().details('demo', SERVER);
  for (const a of d.addresses) assert.ok(text.includes(a.address), `${a.address} in ${text}`);
  assert.ok(text.includes(d.projectId));
  assert.ok(text.includes(d.image ? (d.image.name ?? d.image.id) : 'Booted from volume'));
  if (d.flavor.name) assert.ok(text.includes(d.flavor.name));
  if (d.host) assert.ok(text.includes(d.host), 'an admin sees the host');
  // Horizon's enabling for an ACTIVE server.
  const enabled = async (name: string) => button(name).isEnabled();
  assert.deepEqual(
    await Promise.all(['Start', 'Stop', 'Reboot', 'Hard reboot', 'Pause', 'Suspend'].map(enabled)),
    [false, true, true, true, true, true],
  );
});

test('the panel is toggled from the toolbar and the choice is kept across a reload', { skip: chromiumMissing }, async () => {
  const toggle = page.getByRole('toolbar', { name: `Console actions: ${SERVER}` }).getByRole('button', { name: 'Details' });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await toggle.click();
  await panel().waitFor({ state: 'detached' });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  await panel().waitFor();
  await page.reload();
  await tree().getByRole('treeitem', { name: SERVER, exact: true }).click();
  await panel().waitFor();
  await waitText(tabStatus(), 'Connected');
});

test('Stop asks first, with Cancel as the default: Enter or Escape sends nothing', { skip: chromiumMissing }, async () => {
  await waitText(fact('status'), 'ACTIVE');
  for (const key of ['Enter', 'Escape']) {
    await button('Stop').click();
    const dialog = page.getByRole('alertdialog', { name: `Stop ${SERVER}?` });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
    await page.keyboard.press(key);
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Stop', 'focus is back on the button');
  }
  assert.ok(!sent.includes('server.action'));
  assert.equal((await services().details('demo', SERVER)).status, 'ACTIVE');
});

test('a stopped server: the console says so and waits without retrying; Start brings the console back', { skip: chromiumMissing }, async () => {
  await confirmed('Stop');
  await waitText(fact('status'), 'SHUTOFF');
  await waitText(fact('power'), 'Shut down');
  await waitText(tabStatus(), 'Disconnected: the server was stopped');
  assert.equal(await button('Start').isEnabled(), true);
  assert.equal(await button('Stop').isEnabled(), false);
  const opens = sent.filter((n) => n === 'session.open').length;
  await page.waitForTimeout(4_000);
  assert.equal(sent.filter((n) => n === 'session.open').length, opens, 'no console is asked for while the server is down');
  assert.equal(await tabStatus().textContent(), 'Disconnected: the server was stopped');

  await button('Start').click();
  await waitText(fact('status'), 'ACTIVE');
  await waitText(tabStatus(), 'Connected');
  assert.ok(sent.filter((n) => n === 'session.open').length > opens, 'a fresh console URL');
});

test('a paused server keeps its console, which says Paused; Unpause goes on', { skip: chromiumMissing }, async () => {
  await waitText(fact('status'), 'ACTIVE');
  await confirmed('Pause');
  await waitText(fact('status'), 'PAUSED');
  await waitText(fact('power'), 'Paused');
  await waitText(tabStatus(), 'Paused');
  await button('Unpause').click();
  await waitText(fact('status'), 'ACTIVE');
  await waitText(tabStatus(), 'Connected');
});

test('a suspended server ends the console; Resume brings it back', { skip: chromiumMissing }, async () => {
  await waitText(fact('status'), 'ACTIVE');
  await confirmed('Suspend');
  await waitText(fact('status'), 'SUSPENDED');
  await waitText(tabStatus(), 'Disconnected: the server was suspended');
  await button('Resume').click();
  await waitText(fact('status'), 'ACTIVE');
  await waitText(tabStatus(), 'Connected');
});

test('both reboots ask first and the server comes back ACTIVE', { skip: chromiumMissing }, async () => {
  for (const action of ['Reboot', 'Hard reboot']) {
    await waitText(fact('status'), 'ACTIVE');
    const before = sent.filter((n) => n === 'server.action').length;
    await confirmed(action);
    assert.equal(sent.filter((n) => n === 'server.action').length, before + 1);
    await waitText(fact('status'), 'ACTIVE');
    await waitText(fact('task'), 'None');
    assert.equal(await panel().locator('.action-error').count(), 0, `${action} was accepted`);
  }
  await waitText(tabStatus(), 'Connected');
});

test("Nova's refusal is shown in the panel as Nova words it", { skip: chromiumMissing }, async () => {
  await waitText(fact('status'), 'ACTIVE');
  // Past the fast polling that follows an action: from here the panel asks every 15 s.
  await page.waitForTimeout(FAST_AFTER_ACTION_MS);
  // Stopped behind the page's back: the panel still offers Stop.
  await services().action('demo', SERVER, 'stop');
  await confirmed('Stop');
  const refusal = panel().locator('.action-error');
  // Nova names the state that stands in the way: stopped, or still powering off.
  await waitText(refusal, /Cannot 'stop' instance \S+ while it is in (vm_state stopped|task_state powering-off)/);
  assert.equal(await refusal.getAttribute('role'), 'alert');
});
