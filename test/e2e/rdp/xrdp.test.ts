// Live: xrdp 0.9.21's login screen drawn by IronRDP 0.7.0's WASM client in Chromium, through the real RDCleanPath
// gateway, with and without the xrdp bitmap repair. The canvas is compared with the reference PNG: repaired it
// matches, unrepaired it is skewed (so the test can fail). Then keys typed into the password field must show up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { RdpGateway } from '../../../electron/rdp/gateway.ts';
import { createXrdpRepair } from '../../../electron/rdp/xrdp-repair/index.ts';
import { renderCapture } from '../../electron/rdp/xrdp-repair/offline-renderer.ts';
import { reference } from '../../electron/rdp/xrdp-repair/capture.ts';
import { spawnTracked, type Tracked } from '../../support/xvfb.ts';

const CHROMIUM = '/usr/bin/chromium';
const XRDP = '/usr/sbin/xrdp';
// This test's fixed ports (xrdp cannot listen on port 0): one server per colour depth IronRDP can be given. The client
// asks for 16 bpp; xrdp's max_bpp lowers that to 15 on the second server.
const SERVERS = [
  { port: 33389, maxBpp: 32, depth: 16 },
  { port: 33390, maxBpp: 15, depth: 15 },
];
const root = new URL('../../../', import.meta.url).pathname;
const FUZZ = 8;
// The password field of xrdp's login dialog in the reference (1024×768).
const passwordField = { left: 449, top: 442, right: 655, bottom: 459 };

const missing = [CHROMIUM, XRDP, '/etc/xrdp/xrdp.ini'].filter((p) => !existsSync(p));
const skip = missing.length ? `not installed: ${missing.join(', ')}` : false;

let dir: string;
const xrdps: Tracked[] = [];
let gateway: RdpGateway | undefined;
let web: Server | undefined;
let browser: Browser | undefined;
let repairOn = true;
let repairedPdus = 0;
/** What the gateway forwarded to the page in the last repaired session. */
let forwarded: Buffer[] = [];
let pageUrl = '';

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`xrdp exited with ${proc.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A private copy of xrdp's configuration: loopback port, own log file, no syslog, one process. */
function xrdpConfig(port: number, maxBpp: number): string {
  const conf = join(dir, `xrdp-${port}`);
  cpSync('/etc/xrdp', conf, { recursive: true, dereference: true });
  const ini = readFileSync(join(conf, 'xrdp.ini'), 'utf8')
    .replace(/^port=3389$/m, `port=tcp://127.0.0.1:${port}`)
    .replace(/^max_bpp=.*$/m, `max_bpp=${maxBpp}`)
    .replace(/^fork=true$/m, 'fork=false')
    .replace(/^LogFile=.*$/m, `LogFile=${join(conf, 'xrdp.log')}`)
    .replace(/^EnableSyslog=.*$/m, 'EnableSyslog=false')
    .replace(/^certificate=$/m, `certificate=${join(conf, 'cert.pem')}`)
    .replace(/^key_file=$/m, `key_file=${join(conf, 'key.pem')}`);
  writeFileSync(join(conf, 'xrdp.ini'), ini);
  return join(conf, 'xrdp.ini');
}

const PAGE_ENTRY = `
import { init, Backend, enableCredssp } from '@devolutions/iron-remote-desktop-rdp';
window.connectRdp = async ({ gatewayUrl, token, destination, username }) => {
  await init('INFO');
  const canvas = document.getElementById('screen');
  const session = await new Backend.SessionBuilder()
    .username(username)
    .password('')
    .destination(destination)
    .proxyAddress(gatewayUrl)
    .authToken(token)
    .desktopSize(new Backend.DesktopSize(1024, 768))
    .renderCanvas(canvas)
    .setCursorStyleCallback(() => undefined)
    .setCursorStyleCallbackContext(window)
    .extension(enableCredssp(false))
    .connect();
  window.rdpSession = session;
  session.run().then((info) => { window.rdpEnded = info.reason(); }, (e) => { window.rdpEnded = String(e); });
};
window.typeScancodes = (codes) => {
  for (const code of codes) {
    const t = new Backend.InputTransaction();
    t.addEvent(Backend.DeviceEvent.keyPressed(code));
    t.addEvent(Backend.DeviceEvent.keyReleased(code));
    window.rdpSession.applyInputs(t);
  }
};
window.disconnectRdp = () => window.rdpSession?.shutdown();
`;

async function servePage(): Promise<string> {
  const bundle = await build({
    stdin: { contents: PAGE_ENTRY, resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0].contents;
  const html = '<!doctype html><meta charset="utf-8"><body style="margin:0"><canvas id="screen" width="1024" height="768"></canvas><script type="module" src="/page.js"></script>';
  web = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => web!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
}

function ratio(png: PNG, region = { left: 0, top: 0, right: 1024, bottom: 768 }): number {
  let ok = 0;
  let n = 0;
  for (let y = region.top; y < region.bottom; y++)
    for (let x = region.left; x < region.right; x++) {
      const i = (y * png.width + x) * 4;
      const j = (y * reference.width + x) * 4;
      n++;
      if ([0, 1, 2].every((c) => Math.abs(png.data[i + c] - reference.data[j + c]) <= FUZZ)) ok++;
    }
  return ok / n;
}

/** Connects a fresh page to xrdp on `port` and returns it with its canvas once the login screen has settled. */
async function connectAndSettle(pageUrl: string, port: number): Promise<{ page: Page; png: PNG }> {
  const page = await browser!.newPage({ viewport: { width: 1024, height: 768 } });
  await page.goto(pageUrl);
  await page.waitForFunction(() => typeof (window as unknown as { connectRdp?: unknown }).connectRdp === 'function');
  const grant = gateway!.grant({ host: '127.0.0.1', port, vmconnect: false });
  await page.evaluate((g) => (window as any).connectRdp(g), {
    gatewayUrl: grant.gatewayUrl,
    token: grant.token,
    destination: grant.destination,
    username: 'rdpuser',
  });
  let last: Buffer = Buffer.alloc(0);
  let png = new PNG({ width: 1024, height: 768 });
  let stable = 0;
  // Bounded polling. The screen counts as arrived once most of it (the flat background) matches; from then on stop
  // when it matches the reference or three shots in a row agree (a skewed screen never matches).
  for (let i = 0; i < 60 && stable < 3; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const shot = await page.locator('#screen').screenshot();
    png = PNG.sync.read(shot);
    const r = ratio(png);
    if (r >= 0.99) break;
    stable = r >= 0.9 && shot.equals(last) ? stable + 1 : 0;
    last = shot;
  }
  return { page, png };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'xrdp-e2e-'));
  for (const { port, maxBpp } of SERVERS) {
    const proc = spawnTracked(XRDP, ['--nodaemon', '--config', xrdpConfig(port, maxBpp)]);
    xrdps.push(proc);
    await waitForPort(port, proc.child);
  }
  pageUrl = await servePage();
  gateway = new RdpGateway({
    verifyCertificate: async () => true, // the snakeoil certificate of a loopback test server
    serverFilter: () => {
      if (!repairOn) return undefined;
      const repair = createXrdpRepair({ onStats: (s) => (repairedPdus = s.rewritten) });
      forwarded = [];
      return (chunk) => {
        const out = repair.push(chunk);
        forwarded.push(...out.map((b) => Buffer.from(b)));
        return out;
      };
    },
  });
  await gateway.listen();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await gateway?.close().catch(() => undefined);
  await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
  await Promise.all(xrdps.map((p) => p.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The login dialog, where xrdp's padded rectangles are.
const dialog = { left: 337, top: 170, right: 687, bottom: 599 };

for (const { port, depth } of SERVERS) {
  test(`${depth} bpp: IronRDP 0.7.0 draws xrdp skewed without the repair, right with it, and typing reaches the dialog`, { skip }, async (t) => {
    repairOn = false;
    const plain = await connectAndSettle(pageUrl, port);
    const skewed = ratio(plain.png);
    const skewedDialog = ratio(plain.png, dialog);
    await plain.page.evaluate(() => (window as any).disconnectRdp());
    await plain.page.close();
    t.diagnostic(`unrepaired: ${(skewed * 100).toFixed(2)} % of the screen, ${(skewedDialog * 100).toFixed(2)} % of the dialog match`);
    assert.ok(skewed >= 0.9, 'the login screen never arrived');
    assert.ok(skewed < 0.99 && skewedDialog < 0.9, 'without the repair the canvas matched the reference: is IronRDP fixed?');

    repairOn = true;
    repairedPdus = 0;
    const { page, png } = await connectAndSettle(pageUrl, port);
    const matched = ratio(png);
    const matchedDialog = ratio(png, dialog);
    t.diagnostic(`repaired: ${repairedPdus} PDUs rewritten; ${(matched * 100).toFixed(2)} % of the screen, ${(matchedDialog * 100).toFixed(2)} % of the dialog match`);
    assert.ok(repairedPdus > 0, 'the repair rewrote nothing');
    const offline = renderCapture(Buffer.concat(forwarded), 1024, 768, true);
    assert.deepEqual([...offline.stats.depths], [depth], 'xrdp sent bitmaps at the expected colour depth');
    assert.equal(offline.stats.padded, 0, 'every rectangle the page received fits its destination');
    assert.ok(matched >= 0.99 && matchedDialog >= 0.99, 'with the repair the canvas does not match the reference');

    // Type "abc" into the focused password field: xrdp draws one mask character per key.
    const before = ratio(png, passwordField);
    await page.evaluate(() => (window as any).typeScancodes([0x1e, 0x30, 0x2e]));
    let typed = png;
    for (let i = 0; i < 20 && ratio(typed, passwordField) >= before - 0.02; i++) {
      await new Promise((r) => setTimeout(r, 200));
      typed = PNG.sync.read(await page.locator('#screen').screenshot());
    }
    assert.ok(ratio(typed, passwordField) < before - 0.02, 'the password field did not change after typing');
    assert.ok(ratio(typed) >= 0.99, 'typing changed more than the password field');
    await page.evaluate(() => (window as any).disconnectRdp());
    await page.close();
  });
}
