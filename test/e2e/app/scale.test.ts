import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';

// 10,000 servers: fetched page by page, drawn virtualized (only the rows in view exist), searchable.

let app: AppUnderTest | undefined;
before(async () => {
  if (!chromiumMissing) app = await startAppUnderTest({ compose: { demo: { servers: 10_000, consolePort: 0 } } });
});
after(async () => {
  await app?.stop();
});

test('10,000 servers: every page arrives, only visible rows are in the DOM, search and keyboard reach any of them', { skip: chromiumMissing }, async () => {
  const { page, host } = app!;
  const total = (await host.app.services.consoles.listServers({ cloud: 'demo', allProjects: true, limit: 1000 })).servers.length;
  assert.equal(total, 1000, 'the demo cloud pages like Nova');
  await page.goto(host.url);
  const tree = page.getByRole('tree', { name: 'Demo cloud (offline)' });
  await tree.getByRole('treeitem').first().waitFor();
  // The count settles once the last page is in (no trailing ellipsis).
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('.count')?.textContent ?? ''), undefined, { timeout: 60_000 });
  const count = Number(await page.locator('.count').first().innerText());
  assert.ok(count >= 10_000, `only ${count} servers listed`);
  const setsize = Number(await tree.getByRole('treeitem').first().getAttribute('aria-setsize'));
  assert.equal(setsize, count);
  const rendered = await tree.getByRole('treeitem').count();
  assert.ok(rendered < 120, `${rendered} rows in the DOM`);

  // End key: the last row scrolls into view and becomes the active descendant.
  await tree.focus();
  await page.keyboard.press('End');
  const last = tree.locator('[role=treeitem][aria-selected=true]');
  await last.waitFor();
  assert.equal(await last.getAttribute('aria-posinset'), String(count));
  assert.equal(await tree.getAttribute('aria-activedescendant'), await last.getAttribute('id'));

  await page.getByRole('searchbox', { name: 'Search servers' }).fill('scale-09999');
  await page.waitForFunction(() => document.querySelectorAll('[role=tree] [role=treeitem]').length === 1);
  assert.equal(await tree.getByRole('treeitem').first().getAttribute('aria-label'), 'scale-09999');
});
