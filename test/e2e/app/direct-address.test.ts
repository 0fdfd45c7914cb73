import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { DESKTOP, shadowMissing, startDesktop, startShadow, type Desktop, type ShadowServer } from '../../support/rdp-servers.ts';

// A direct address to a real RDP server (FreeRDP's shadow server, TLS) whose certificate the app has never seen:
// the trust dialog, pinning, revoking in Settings, rejecting, and Reconnect.

const skip = chromiumMissing ?? (shadowMissing() || undefined);
let desktop: Desktop | undefined;
let shadow: ShadowServer | undefined;
let nla: ShadowServer | undefined;
const NLA_USER = { user: 'nlauser', password: 'Nla-Pass1' };
let app: AppUnderTest | undefined;
let page: Page;

before(async () => {
  if (skip) return;
  desktop = await startDesktop();
  shadow = await startShadow({ display: desktop.x.display });
  nla = await startShadow({ display: desktop.x.display, nla: NLA_USER });
  app = await startAppUnderTest({ compose: { demo: false } });
  page = app.page;
  await page.goto(app.host.url);
  await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
});
after(async () => {
  await app?.stop();
  await shadow?.stop();
  await nla?.stop();
  await desktop?.stop();
});

const endpoint = () => `127.0.0.1:${shadow!.port}`;
const statusText = async () => page.locator('[role=tabpanel]:not([hidden]) [role=status]').innerText();
const waitStatus = (re: RegExp) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=tabpanel]:not([hidden]) [role=status]')?.textContent ?? ''), re.source, { timeout: 20_000 });

async function openAddress(text: string) {
  const box = page.getByRole('textbox', { name: 'Console URL or address' });
  await box.fill(text);
  await box.press('Enter');
}

/** Share of pixels in the display that have the xterm's yellow: the shared desktop really is drawn. */
async function yellowShare(): Promise<number> {
  const url = await page.locator('[role=tabpanel]:not([hidden]) canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL('image/png'));
  const png = PNG.sync.read(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
  const [r, g, b] = DESKTOP.xterm.rgb;
  let hits = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (Math.abs(png.data[i] - r) < 24 && Math.abs(png.data[i + 1] - g) < 24 && Math.abs(png.data[i + 2] - b) < 24) hits++;
  }
  return hits / (png.width * png.height);
}

test('first use: the trust dialog shows the certificate; Trust always pins it and the desktop is drawn', { skip }, async () => {
  await openAddress(endpoint());
  const tab = page.getByRole('tab', { name: endpoint(), exact: true });
  await tab.waitFor();
  const dialog = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
  await dialog.waitFor({ timeout: 20_000 });
  const expected = new X509Certificate(shadow!.certPem()).fingerprint256;
  assert.ok((await dialog.innerText()).includes(expected), 'the dialog shows the SHA-256 fingerprint of the server certificate');
  assert.match(await statusText(), /Connecting…/);
  await dialog.getByRole('button', { name: 'Trust always' }).click();
  await waitStatus(/^Connected$/);
  let share = 0;
  for (let i = 0; i < 50 && share < 0.02; i++) {
    share = await yellowShare();
    if (share < 0.02) await page.waitForTimeout(100);
  }
  assert.ok(share >= 0.02, `the xterm is not on the display (yellow share ${share})`);
});

test('Settings lists the pinned certificate and revokes it; a rejected certificate ends the session with a reason', { skip }, async () => {
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  const revoke = settings.getByRole('button', { name: `Revoke ${endpoint()}` });
  await revoke.waitFor();
  await revoke.click();
  await revoke.waitFor({ state: 'detached' });
  assert.match(await settings.innerText(), /No certificates pinned/);
  await settings.getByRole('button', { name: 'Close' }).click();

  // Reconnect asks again (nothing pinned any more); rejecting says why the session ended.
  await page.getByRole('button', { name: 'Close ' + endpoint(), exact: true }).click();
  await openAddress(`rdp://${endpoint()}`);
  const dialog = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
  await dialog.waitFor({ timeout: 20_000 });
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await waitStatus(/^Disconnected: /);
  const reason = await statusText();
  assert.match(reason, /certificate|trust/i, reason);

  await page.locator('[role=tabpanel]:not([hidden])').getByRole('button', { name: 'Reconnect' }).click();
  await dialog.waitFor({ timeout: 20_000 });
  await dialog.getByRole('button', { name: 'Trust once' }).click();
  await waitStatus(/^Connected$/);
  assert.equal(await page.getByRole('tab').count(), 1);
});

test('refused credentials open the sign-in dialog; Remember keeps the right ones for the next connection', { skip }, async () => {
  const target = `127.0.0.1:${nla!.port}`;
  // Credentials remembered earlier that are no longer right (a password changed).
  await app!.host.app.services.credentials!.save(target, { username: NLA_USER.user, password: 'Old-Pass0' });
  await openAddress(target);
  await page.getByRole('tab', { name: target, exact: true }).waitFor();
  const trustDialog = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
  const signIn = page.getByRole('dialog', { name: `Sign in to ${target}` });
  await Promise.race([trustDialog.waitFor({ timeout: 20_000 }), signIn.waitFor({ timeout: 20_000 })]);
  if (await trustDialog.isVisible()) await trustDialog.getByRole('button', { name: 'Trust always' }).click();
  await signIn.waitFor({ timeout: 20_000 });
  assert.match(await statusText(), /^Disconnected: .*(password|logon|login|authentication)/i);
  assert.equal(await signIn.getByRole('textbox', { name: 'User name' }).inputValue(), NLA_USER.user, 'the user name is kept');
  await signIn.getByLabel('Password').fill(NLA_USER.password);
  await signIn.getByRole('checkbox', { name: `Remember for ${target}` }).check();
  await signIn.getByRole('button', { name: 'Connect' }).click();
  await waitStatus(/^Connected$/);
  assert.deepEqual(await app!.host.app.services.credentials!.get(target), { username: NLA_USER.user, password: NLA_USER.password });

  // A new tab to the same host starts with the remembered credentials: no dialog.
  await page.getByRole('button', { name: `Close ${target}`, exact: true }).click();
  await openAddress(target);
  await page.getByRole('tab', { name: target, exact: true }).waitFor();
  await waitStatus(/^Connected$/);
  assert.equal(await signIn.count(), 0);
});
