import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveBinary } from '../../support/xvfb.ts';
import { PNG } from 'pngjs';
import { chromiumMissing } from '../../support/chromium.ts';
import { DESKTOP, shadowMissing, startDesktop, startShadow, type Desktop, type ShadowServer } from '../../support/rdp-servers.ts';
import type { RdpGrant } from '../../../electron/common/contract.ts';
import { createXrdpRepair, type XrdpRepairStats } from '../../../electron/rdp/xrdp-repair/index.ts';
import { canvasFrame, connectPage, distinctColours, share, startHarness, waitForFrame, type Harness } from './harness.ts';

// IronRDP's WASM client in Chromium, through the real gateway, against FreeRDP's shadow server sharing an Xvfb
// desktop whose colours we chose: assertions are on the pixels the page's canvas shows.

const skip = shadowMissing() || chromiumMissing();
const NLA = { user: 'nlauser', password: 'Nla-Pass1' };

let desktop: Desktop;
let tlsServer: ShadowServer;
let nlaServer: ShadowServer;
let h: Harness;
/** PDUs the xrdp repair framed, per gateway session. */
const repairStats = new Map<string, XrdpRepairStats>();

before(async () => {
  if (skip) return;
  desktop = await startDesktop();
  tlsServer = await startShadow({ display: desktop.x.display });
  nlaServer = await startShadow({ display: desktop.x.display, nla: NLA });
  // The gateway runs with the xrdp repair plugged in, as the app does: it must not disturb other servers' streams
  // nor the CredSSP exchange that precedes RDP in the standard order.
  h = await startHarness({
    serverFilter: ({ sessionId }) => {
      const repair = createXrdpRepair({ onStats: (s) => repairStats.set(sessionId, { ...s }) });
      return (chunk) => repair.push(chunk);
    },
  });
});

after(async () => {
  await h?.close();
  await tlsServer?.stop();
  await nlaServer?.stop();
  await desktop?.stop();
});

function grantFor(port: number): RdpGrant {
  const g = h.gateway.grant({ host: '127.0.0.1', port, vmconnect: false });
  return { protocol: 'rdp', sessionId: g.sessionId, title: g.destination, gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination, vmconnect: false };
}

const XTERM_RECT = { x: 10, y: 10, w: 300, h: 150 };
const ROOT_RECT = { x: 600, y: 400, w: 400, h: 300 };

async function expectDesktop(page: Page) {
  const f = await waitForFrame(page, (f) => share(f, DESKTOP.root.rgb, ROOT_RECT) > 0.9 && share(f, DESKTOP.xterm.rgb, XTERM_RECT) > 0.5);
  if (process.env.RDP_E2E_DUMP) writeFileSync(process.env.RDP_E2E_DUMP, PNG.sync.write(f.png));
  assert.ok(share(f, DESKTOP.root.rgb, ROOT_RECT) > 0.9, `the root window colour ${DESKTOP.root.hex} is not on the canvas`);
  assert.ok(share(f, DESKTOP.xterm.rgb, XTERM_RECT) > 0.5, `the xterm (${DESKTOP.xterm.bg}) is not on the canvas`);
  return f;
}

/** OCR sub-checks need Tesseract and ImageMagick; without them they are reported as skipped, with the reason. */
const ocrMissing =
  (!haveBinary('/usr/bin/tesseract') && '/usr/bin/tesseract is not installed (run scripts/install-test-deps.sh)') ||
  (!haveBinary('/usr/bin/convert') && 'ImageMagick (/usr/bin/convert) is not installed (run scripts/install-test-deps.sh)');

test('TLS: the shadow desktop renders on the canvas, typing reaches the server, shutdown closes cleanly', { skip }, async (t) => {
  const page = await h.newPage();
  try {
    const grant = grantFor(tlsServer.port);
    const result = await connectPage(page, grant);
    assert.deepEqual(result, { ok: true });
    const before = await expectDesktop(page);
    // The xterm shows a shell prompt: text, so more than one colour.
    assert.ok(distinctColours(before, XTERM_RECT) > 2, 'the xterm area is a flat colour');
    assert.equal(h.prompts.filter((p) => p.certificate.endpoint === grant.destination && p.reason === 'first-use').length, 1);
    // Type into the xterm through real DOM key events on the focused canvas.
    await page.locator('#screen').click({ position: { x: 100, y: 60 } });
    await page.keyboard.type('echo typed-through-rdp', { delay: 20 });
    await page.keyboard.press('Enter');
    const line = { x: 0, y: 0, w: 500, h: 200 };
    const after = await waitForFrame(page, (f) => distinctColours(f, line) > distinctColours(before, line) + 5 || countDiff(f, before, line) > 200);
    assert.ok(countDiff(after, before, line) > 200, 'the typed text did not appear in the xterm');
    await t.test('OCR reads the typed line in the xterm', { skip: ocrMissing }, async () => {
      const text = await ocr(after, { x: 0, y: 0, w: 600, h: 120 });
      assert.match(text, /typed-through-rdp/, `OCR read: ${text}`);
    });
    // The host key gives focus back to the page and is not sent.
    await page.keyboard.press('Control+Alt+Home');
    assert.equal(await page.evaluate(() => (window.rdpTest as { hostKeyPresses(): number }).hostKeyPresses()), 1);
    assert.equal(await page.evaluate(() => document.activeElement?.id ?? ''), '');
    // The engine's screenshot is a real PNG of the canvas.
    const size = await page.evaluate(() => (window.rdpTest as { screenshotSize(): Promise<number> }).screenshotSize());
    assert.ok(size > 1000);
    assert.ok(h.statuses.some((s) => s.sessionId === grant.sessionId && s.state === 'connected'));
    await page.evaluate(() => (window.rdpTest as { shutdown(): void }).shutdown());
    await waitUntil(page, () => (window.rdpTest as { closed(): unknown[] }).closed().length > 0);
    const closed = await page.evaluate(() => (window.rdpTest as { closed(): Array<{ byUser: boolean; reason: string }> }).closed());
    assert.equal(closed[0].byUser, true);
    assert.deepEqual(h.consoleErrors.filter((e) => /Content Security Policy/i.test(e)), []);
  } finally {
    await page.close();
  }
});

test('one WASM module, several sessions: each renders, ending one leaves the other running', { skip }, async () => {
  const page = await h.newPage();
  type Extra = { connectExtra(n: string, g: unknown): Promise<{ ok: boolean }>; shutdownExtra(n: string): void; extraClosed(n: string): Promise<{ byUser: boolean }> };
  try {
    for (const name of ['one', 'two']) {
      const r = await page.evaluate(([n, g]) => (window.rdpTest as Extra).connectExtra(n, g), [name, grantFor(tlsServer.port)] as const);
      assert.deepEqual(r, { ok: true });
    }
    const small = { x: 400, y: 300, w: 200, h: 150 };
    for (const name of ['one', 'two']) {
      const f = await waitForFrame(page, (f) => share(f, DESKTOP.root.rgb, small) > 0.9, 60, `#${name}`);
      assert.ok(share(f, DESKTOP.root.rgb, small) > 0.9, `session ${name} did not render`);
    }
    await page.evaluate(() => (window.rdpTest as Extra).shutdownExtra('one'));
    const closed = await page.evaluate(() => (window.rdpTest as Extra).extraClosed('one'));
    assert.equal(closed.byUser, true);
    // The other session still gets fresh frames: repaint the shared desktop and watch session two follow.
    execFileSync('xsetroot', ['-solid', '#20c060'], { env: { ...process.env, DISPLAY: desktop.x.display } });
    try {
      const f = await waitForFrame(page, (f) => share(f, [0x20, 0xc0, 0x60], small) > 0.9, 60, '#two');
      assert.ok(share(f, [0x20, 0xc0, 0x60], small) > 0.9, 'session two stopped updating after session one ended');
    } finally {
      execFileSync('xsetroot', ['-solid', DESKTOP.root.hex], { env: { ...process.env, DISPLAY: desktop.x.display } });
    }
  } finally {
    await page.close();
  }
});

test('NLA with the right password renders the desktop', { skip }, async () => {
  const page = await h.newPage();
  try {
    const grant = grantFor(nlaServer.port);
    const result = await connectPage(page, grant, { username: NLA.user, password: NLA.password });
    assert.deepEqual(result, { ok: true });
    await expectDesktop(page);
    // The repair framed the session's RDP PDUs (it started after CredSSP) and passed them through.
    const stats = repairStats.get(grant.sessionId);
    assert.ok(stats && stats.passed > 10, `the xrdp repair did not see the RDP stream: ${JSON.stringify(stats)}`);
  } finally {
    await page.close();
  }
});

test('NLA with a wrong password fails with a clear reason and draws nothing', { skip }, async () => {
  const page = await h.newPage();
  try {
    const grant = grantFor(nlaServer.port);
    const result = await connectPage(page, grant, { username: NLA.user, password: 'wrong-Pass9' });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.kind === 'credentials', JSON.stringify(result));
    assert.match(!result.ok ? result.message : '', /login failed|wrong user name or password|refused the logon/);
    console.log(`wrong password reported as: ${!result.ok ? result.message : ''}`);
    const f = await canvasFrame(page);
    assert.ok(share(f, DESKTOP.root.rgb, ROOT_RECT) < 0.01);
    // The main process learns the same cause from the gateway.
    const closed = h.statuses.filter((s) => s.sessionId === grant.sessionId && s.state === 'closed');
    assert.equal(closed.length, 1);
    assert.match(closed[0].reason ?? '', /during authentication: login failed/);
  } finally {
    await page.close();
  }
});

test('a page cannot use a token for another destination, nor a forged one', { skip }, async () => {
  const page = await h.newPage();
  try {
    const grant = grantFor(tlsServer.port);
    const forged = await connectPage(page, { ...grant, token: 'not-a-token' });
    assert.equal(forged.ok, false);
    assert.match(!forged.ok ? forged.message : '', /gateway refused the session/);
    const elsewhere = await connectPage(page, { ...grant, destination: `127.0.0.1:${nlaServer.port}` });
    assert.equal(elsewhere.ok, false);
    assert.match(!elsewhere.ok ? elsewhere.message : '', /gateway refused the session/);
    // The grant was burnt by the attempt: not even the right destination works with it now.
    const retry = await connectPage(page, grant);
    assert.equal(retry.ok, false);
  } finally {
    await page.close();
  }
});

/** Reads text in a region of the frame with Tesseract (upscaled, as it reads screen fonts better that way). */
async function ocr(f: { png: PNG }, r: { x: number; y: number; w: number; h: number }): Promise<string> {
  const crop = new PNG({ width: r.w, height: r.h });
  PNG.bitblt(f.png, crop, r.x, r.y, r.w, r.h, 0, 0);
  const dir = mkdtempSync(join(tmpdir(), 'rdp-ocr-'));
  try {
    const file = join(dir, 'crop.png');
    writeFileSync(file, PNG.sync.write(crop));
    const big = join(dir, 'big.png');
    execFileSync('/usr/bin/convert', [file, '-colorspace', 'Gray', '-resize', '300%', big], { timeout: 20_000 });
    return execFileSync('/usr/bin/tesseract', [big, 'stdout'], { timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function countDiff(a: { at(x: number, y: number): number[] }, b: { at(x: number, y: number): number[] }, r: { x: number; y: number; w: number; h: number }) {
  let n = 0;
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) if (a.at(x, y).some((v, i) => Math.abs(v - b.at(x, y)[i]) > 40)) n++;
  return n;
}

async function waitUntil(page: Page, fn: () => boolean) {
  for (let i = 0; i < 40; i++) {
    if (await page.evaluate(fn)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
