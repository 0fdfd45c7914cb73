import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { tabPage } from './tab-page.ts';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { displayFrame, ocr, pollUntil, tesseractMissing } from './remote-display.ts';
import { startHttpServer, startQemu, startWebsockify, startXvnc, vncPasswordFile, vncServersMissing, type Qemu, type Server, type Websockify, type Xvnc } from '../../support/vnc-servers.ts';

// VNC tabs in the app (browser mode, Chromium), against servers nobody here wrote: TigerVNC's Xvnc by vnc://
// address, and QEMU's own VNC server (the one Nova's libvirt driver uses; SeaBIOS on screen) behind websockify with
// a token file, opened by pasting a noVNC console URL exactly as Nova hands it out. Bad input gets its reason in
// its own tab while the others keep running.

const skip = chromiumMissing ?? (vncServersMissing() || undefined);
let app: AppUnderTest | undefined;
let page: Page;
let xvnc: Xvnc | undefined;
let qemu: Qemu | undefined;
let websockify: Websockify | undefined;
let http: Server | undefined;
let lockedXvnc: Xvnc | undefined;
let passwordDir: string | undefined;
const token = randomUUID();

before(async () => {
  if (skip) return;
  xvnc = await startXvnc({ width: 800, height: 600 });
  qemu = await startQemu();
  websockify = await startWebsockify();
  websockify.addToken(token, '127.0.0.1', qemu.vncPort);
  http = await startHttpServer();
  app = await startAppUnderTest({ compose: { demo: false } });
  page = app.page;
  await page.goto(app.host.url);
  await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
});
after(async () => {
  await app?.stop();
  await http?.stop();
  await websockify?.stop();
  await qemu?.stop();
  await xvnc?.stop();
  await lockedXvnc?.stop();
  if (passwordDir) rmSync(passwordDir, { recursive: true, force: true });
});

const tabs = () => tabPage(page);
const open = (text: string) => tabs().paste(text);
const panel = (title: string) => tabs().panel(title);
const statusOf = (title: string) => tabs().status(title);
const waitStatus = (title: string, re: RegExp) => tabs().waitStatus(title, re);

test('vnc://host:port opens a VNC tab on Xvnc through the relay; the toolbar is built for VNC', { skip }, async () => {
  const title = `127.0.0.1:${xvnc!.port}`;
  await open(`vnc://${title}`);
  await page.getByRole('tab', { name: title, exact: true }).waitFor();
  await waitStatus(title, /^Connected$/);
  const toolbar = page.getByRole('toolbar', { name: `Console actions: ${title}` });
  for (const name of ['Ctrl+Alt+Del', 'Type clipboard', 'Fullscreen', 'Screenshot']) assert.ok(await toolbar.getByRole('button', { name }).isVisible(), name);
  assert.equal(await toolbar.getByRole('button', { name: 'Credentials…' }).count(), 0, 'Nova proxies never ask for a VNC password: no credentials button');
  // noVNC drew Xvnc's screen: a canvas of the server's size.
  const size = await panel(title).locator('canvas').first().evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
  assert.deepEqual(size, [800, 600]);
});

test('a pasted noVNC console URL opens QEMU behind websockify; SeaBIOS is on the canvas', { skip }, async (t) => {
  const url = `http://127.0.0.1:${websockify!.port}/vnc_auto.html?path=%3Ftoken%3D${token}`;
  await open(url);
  const title = `127.0.0.1:${websockify!.port}`;
  await page.getByRole('tab', { name: title, exact: true }).waitFor();
  await waitStatus(title, /^Connected$/);
  // websockify saw the token in the query of a WebSocket the main process opened (no page Origin to refuse).
  assert.match(websockify!.output(), new RegExp(`token=${token}`));
  await t.test('OCR reads SeaBIOS on the display', { skip: tesseractMissing }, async () => {
    let text = '';
    await pollUntil(
      page,
      () => `SeaBIOS text on the canvas (OCR: ${JSON.stringify(text)})`,
      async () => {
        text = await ocr(await displayFrame(page, title));
        return /bootable|SeaBIOS|Booting/i.test(text);
      },
      40,
      500,
    );
  });
});

test('bad input: a refused port, a server that is not VNC, a token websockify does not know; other tabs keep running', { skip }, async () => {
  const cases: Array<{ text: string; title: string; reason: RegExp }> = [
    { text: 'vnc://127.0.0.1:1', title: '127.0.0.1:1', reason: /refused/ },
    { text: `vnc://127.0.0.1:${http!.port}`, title: `127.0.0.1:${http!.port}`, reason: /not a VNC server/ },
  ];
  for (const c of cases) {
    await open(c.text);
    await page.getByRole('tab', { name: c.title, exact: true }).waitFor();
    await waitStatus(c.title, c.reason);
    assert.match(await statusOf(c.title), /^Disconnected: /);
  }
  // A second tab on the same proxy with a token it does not know.
  await open(`http://127.0.0.1:${websockify!.port}/vnc_lite.html?path=%3Ftoken%3D${randomUUID()}`);
  const proxyTabs = page.getByRole('tab', { name: `127.0.0.1:${websockify!.port}`, exact: true });
  await pollUntil(page, 'a second tab for the proxy', async () => (await proxyTabs.count()) === 2);
  await pollUntil(
    page,
    'the refused token explained in the new tab',
    async () => /token was (probably )?refused/.test(await page.locator('[role=tabpanel]:not([hidden]) [role=status]').innerText()),
    300,
    100,
  );
  // The first two tabs are still live.
  assert.equal(await statusOf(`127.0.0.1:${xvnc!.port}`), 'Connected');
  // A URL that fits no console type is explained and opens nothing.
  const tabs = await page.getByRole('tab').count();
  await open(`http://127.0.0.1:${websockify!.port}/spice_auto.html?token=${randomUUID()}`);
  await page.getByRole('alert').filter({ hasText: /SPICE/ }).waitFor();
  assert.equal(await page.getByRole('tab').count(), tabs);
});

test('a vnc:// server that wants a password asks for it alone; a wrong one is refused and asked again', { skip }, async () => {
  passwordDir = mkdtempSync(join(tmpdir(), 'vnc-password-'));
  lockedXvnc = await startXvnc({ passwordFile: vncPasswordFile(join(passwordDir, 'passwd'), 'hunter22') });
  const title = `127.0.0.1:${lockedXvnc.port}`;
  await open(`vnc://${title}`);
  const dialog = page.getByRole('dialog', { name: `Password for ${title}` });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('User name').count(), 0, 'VNC authentication has no user name');
  await dialog.getByLabel('Password').fill('wrong-one');
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await dialog.waitFor();
  await waitStatus(title, /refused the password/);
  await dialog.getByLabel('Password').fill('hunter22');
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await dialog.waitFor({ state: 'detached' });
  await waitStatus(title, /^Connected/);
});
