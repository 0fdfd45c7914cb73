import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { displayFrame, pollUntil } from './remote-display.ts';
import { tabPage } from './tab-page.ts';

// The app runs IronRDP in one worker beside the page (renderer/consoles/rdp/engine/ironrdp-worker.ts): it decodes
// every RDP session; the page only puts the regions that changed on the tabs' canvases and forwards input. Checked on the
// embedded demo cloud: the tabs' pictures come from that worker and reach the page; and a worker that cannot start
// is explained in the tab that needed it while the other consoles work.

const apps: AppUnderTest[] = [];
after(async () => {
  for (const app of apps) await app.stop();
});

async function openDemo(buildRenderer?: (dir: string) => void) {
  const app = await startAppUnderTest();
  apps.push(app);
  buildRenderer?.(join(app.dir, 'renderer'));
  await app.page.goto(app.host.url);
  const tree = app.page.getByRole('tree', { name: 'Demo cloud (offline)' });
  return { app, page: app.page, tabs: tabPage(app.page), open: (name: string) => tree.getByRole('treeitem', { name, exact: true }).click() };
}

test('RDP tabs are decoded and drawn in one worker; their pictures still reach the page', { skip: chromiumMissing }, async () => {
  const { page, tabs, open } = await openDemo();
  await open('win2022-web-01');
  await tabs.waitStatus('win2022-web-01', /^Connected$/);
  await open('win2019-sql-01');
  await tabs.waitStatus('win2019-sql-01', /^Connected$/);

  const workers = page.workers().map((w) => w.url());
  assert.deepEqual(
    workers.filter((u) => u.endsWith('/rdp-worker.js')).length,
    1,
    `one RDP worker for both tabs (workers: ${workers.join(', ') || 'none'})`,
  );
  // IronRDP's WebAssembly was fetched by the worker, never by the page (each keeps its own resource timeline).
  const wasmFetches = () => performance.getEntriesByType('resource').filter((e) => /\/ironrdp-[0-9a-f]+\.wasm$/.test(e.name)).length;
  assert.equal(await page.evaluate(wasmFetches), 0, 'the page loads no RDP engine');
  const worker = page.workers().find((w) => w.url().endsWith('/rdp-worker.js'))!;
  assert.equal(await worker.evaluate(wasmFetches), 1, 'the worker loaded the RDP engine once');

  // The demo desktops animate: the worker's frames keep arriving in both tabs.
  for (const name of ['win2022-web-01', 'win2019-sql-01']) {
    const first = await displayFrame(page, name);
    await pollUntil(page, `a new frame in ${name}`, async () => !(await displayFrame(page, name)).equals(first), 50, 100);
  }

  // The worker draws the demo desktops' bitmap updates itself (direct-bitmaps/); IronRDP keeps the rest and never
  // has to take drawing back.
  type Stats = { updatesDrawn: number; updatesPassed: number; handedBack?: string };
  const stats = await worker.evaluate(() => (globalThis as unknown as { directBitmapStats(): Record<string, Stats> }).directBitmapStats());
  const sessions = Object.values(stats);
  assert.equal(sessions.length, 2, `one direct path per session: ${JSON.stringify(stats)}`);
  for (const s of sessions) {
    assert.ok(s.updatesDrawn > 0, `bitmap updates drawn in the worker: ${JSON.stringify(s)}`);
    assert.equal(s.updatesPassed, 0);
    assert.equal(s.handedBack, undefined);
  }
});

test('an RDP engine that cannot start is explained in its tab; VNC tabs still open', { skip: chromiumMissing }, async () => {
  // The worker's script as a broken build would leave it.
  const { tabs, open } = await openDemo((dir) => writeFileSync(join(dir, 'rdp-worker.js'), "throw new Error('this build of the RDP engine is broken');\n"));
  await open('win2022-web-01');
  const status = await tabs.waitStatus('win2022-web-01', /^Disconnected/);
  assert.match(status, /the RDP engine stopped/);
  assert.match(status, /broken/);
  await open('rocky-9-monitor');
  await tabs.waitStatus('rocky-9-monitor', /^Connected$/);
});
