import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startDemoDesktop, type DemoDesktopServer } from '../../../electron/demo/demo-desktop/server.ts';
import { loadOrCreateCertificate } from '../../../electron/demo/demo-desktop/certificate.ts';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';

// A certificate question asked before a page connected (a page that reloads or opens later, events are not
// replayed): the page asks for pending prompts when it starts and shows them.

let desk: DemoDesktopServer | undefined;
let app: AppUnderTest | undefined;
const dir = mkdtempSync(join(tmpdir(), 'nova-trust-pending-'));

before(async () => {
  if (chromiumMissing) return;
  // A standalone demo desktop (ordinary RDP order, TLS) with a certificate of its own: the app has never seen it.
  desk = await startDemoDesktop({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'desk'), fps: 2, log: () => undefined });
  app = await startAppUnderTest({ compose: { demo: false } });
});
after(async () => {
  await app?.stop();
  await desk?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a page opened while a certificate question waits shows it too', { skip: chromiumMissing }, async () => {
  const endpoint = `127.0.0.1:${desk!.port}`;
  const fingerprint = new X509Certificate((await loadOrCreateCertificate(join(dir, 'desk'))).cert).fingerprint256;
  const first = app!.page;
  await first.goto(app!.host.url);
  const box = first.getByRole('textbox', { name: 'Console URL or address' });
  await box.fill(endpoint);
  await box.press('Enter');
  const question = first.getByRole('alertdialog', { name: 'Trust this server certificate?' });
  await question.waitFor({ timeout: 20_000 });
  assert.ok((await question.innerText()).includes(fingerprint));

  // A second page connects after the prompt event went out: it learns of the question by asking.
  const second = await app!.context.newPage();
  try {
    await second.goto(app!.host.url);
    const again = second.getByRole('alertdialog', { name: 'Trust this server certificate?' });
    await again.waitFor({ timeout: 10_000 });
    const text = await again.innerText();
    assert.ok(text.includes(fingerprint) && text.includes(endpoint), text);
  } finally {
    await second.close();
  }

  // The question is still open, and answering it in the first page lets the session through.
  await question.getByRole('button', { name: 'Trust once' }).click();
  await first.waitForFunction(() => document.querySelector('[role=tabpanel]:not([hidden]) [role=status]')?.textContent === 'Connected', undefined, { timeout: 20_000 });
  assert.deepEqual(app!.host.app.services.trust!.pendingPrompts!(), []);
});
