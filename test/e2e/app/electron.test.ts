import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron } from 'playwright-core';
import { findElectronBinary } from '../../../electron/app/electron-runtime.ts';

// The desktop app itself, where an Electron runtime exists. Decided before launching (see TEST-SERVERS.md): this
// machine kind has none, and requiring the electron package could start a download.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const found = findElectronBinary(root);
const skip = 'missing' in found ? `Electron smoke test skipped: ${found.missing}` : undefined;
if (skip) console.log(skip);

test('Electron: the window shows the demo cloud, the page has the bridge and no Node', { skip }, async (t) => {
  const { buildElectron } = await import('../../../scripts/build-electron.mjs');
  await buildElectron({ quiet: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'nova-electron-'));
  const app = await _electron.launch({
    executablePath: (found as { path: string }).path,
    args: [root, '--no-sandbox', '--disable-gpu'],
    env: { ...process.env, NOVA_CONSOLE_DATA_DIR: dataDir },
  });
  t.after(async () => {
    await app.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const page = await app.firstWindow();
  await page.getByRole('tree', { name: 'Demo cloud (offline)' }).waitFor({ timeout: 20_000 });
  await page.getByRole('treeitem', { name: 'win2022-web-01', exact: true }).waitFor();
  const probe = await page.evaluate(async () => ({
    require: typeof (globalThis as any).require,
    process: typeof (globalThis as any).process,
    bridge: Object.keys((globalThis as any).novaConsole ?? {}).sort(),
    info: await (globalThis as any).novaConsole.request('app.info'),
    origin: location.origin,
  }));
  assert.equal(probe.require, 'undefined');
  assert.equal(probe.process, 'undefined');
  assert.deepEqual(probe.bridge, ['on', 'request']);
  assert.equal(probe.info.value.mode, 'electron');
  assert.equal(probe.origin, 'nova-app://app');
  // Navigation away and new windows are blocked.
  await page.evaluate(() => {
    window.open('https://example.org/');
    location.href = 'https://example.org/';
  });
  await page.waitForTimeout(300);
  assert.equal(app.windows().length, 1);
  assert.equal(await page.evaluate(() => location.origin), 'nova-app://app');
  // An unknown request is refused by the bridge itself.
  const refused = await page.evaluate(() => (globalThis as any).novaConsole.request('fs.read'));
  assert.match(refused.error.message, /Unknown request/);
});
