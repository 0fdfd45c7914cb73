// noVNC in Chromium through the console relay, as browser mode runs it: the relay shares the page's loopback HTTP
// server, accepts the page's own Origin only, and the page's CSP allows loopback sockets only. Behind it: Xvnc
// (a root window in a colour we chose, so the canvas can be checked) through websockify, QEMU through a proxy that
// checks the Origin as Nova does. Every server is started and stopped here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { ConsoleRelay, RelayCloseCode, type RelayStatus } from '../../../electron/relay/relay.ts';
import { chromiumMissing, launchChromium } from '../../support/chromium.ts';
import { haveBinary } from '../../support/xvfb.ts';
import { startQemu, startWebsockify, startXvnc, vncServersMissing, type Qemu, type Websockify, type Xvnc } from '../../support/vnc-servers.ts';
import { startNovaProxyDouble, type NovaProxyDouble } from '../../electron/relay/nova-proxy-double.ts';

const skip = vncServersMissing() || chromiumMissing() || (haveBinary('/usr/bin/xsetroot') ? false : '/usr/bin/xsetroot is not installed (run scripts/install-test-deps.sh)');
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const CSP = ["default-src 'self'", "script-src 'self'", "connect-src 'self' ws://127.0.0.1:*", "img-src 'self' data: blob:", "style-src 'self'"].join('; ');
/** What page/main.ts answers (the page is its own TypeScript project). */
type RelayTestResult = { ok: true; name: string; protocol: string } | { ok: false; clean: boolean; code?: number; reason?: string; error?: string };
const ROOT = { hex: '#30a050', rgb: [0x30, 0xa0, 0x50] };

let xvnc: Xvnc;
let qemu: Qemu;
let websockify: Websockify;
let nova: NovaProxyDouble;
let http: Server;
let other: Server;
let relay: ConsoleRelay;
let browser: Browser;
let pageOrigin: string;
let otherOrigin: string;
const statuses: RelayStatus[] = [];
const consoleErrors: string[] = [];

async function serve(files: Record<string, { body: Buffer; type: string }>): Promise<Server> {
  const server = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': f.type, 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' }).end(f.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

before(async () => {
  if (skip) return;
  const outdir = mkdtempSync(join(tmpdir(), 'relay-page-'));
  try {
    await build({ entryPoints: [join(PAGE_DIR, 'main.ts')], bundle: true, format: 'esm', target: 'es2022', outfile: join(outdir, 'main.js'), logLevel: 'silent' });
    const files = {
      '/': { body: readFileSync(join(PAGE_DIR, 'index.html')), type: 'text/html; charset=utf-8' },
      '/main.js': { body: readFileSync(join(outdir, 'main.js')), type: 'text/javascript; charset=utf-8' },
      '/page.css': { body: readFileSync(join(PAGE_DIR, 'page.css')), type: 'text/css; charset=utf-8' },
    };
    http = await serve(files);
    other = await serve(files);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  pageOrigin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  // Browser mode's shape: one loopback server for the page and the relay, the page's own origin only.
  relay = new ConsoleRelay({ verifyCertificate: async () => false, allowOrigin: (o) => o === pageOrigin, onStatus: (s) => statuses.push(s) });
  relay.attach(http);

  xvnc = await startXvnc({ width: 800, height: 600 });
  execFileSync('xsetroot', ['-solid', ROOT.hex], { env: { ...process.env, DISPLAY: xvnc.display }, timeout: 10_000 });
  qemu = await startQemu();
  websockify = await startWebsockify();
  nova = await startNovaProxyDouble();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await relay?.close();
  await Promise.all([xvnc?.stop(), qemu?.stop(), websockify?.stop(), nova?.close()]);
  for (const s of [http, other]) {
    if (!s) continue;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function newPage(origin = pageOrigin): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 820, height: 620 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'relayTest' in window);
  return page;
}

const connect = (page: Page, relayUrl: string, protocols: string[] = []) =>
  page.evaluate(([url, p]) => (window as any).relayTest.connect(url, p) as Promise<RelayTestResult>, [relayUrl, protocols] as const);

function websocketGrant(url: string) {
  return relay.grant({ kind: 'websocket', url });
}

/** The share of sampled canvas pixels within a small distance of `rgb`. */
async function canvasShare(page: Page, rgb: number[]): Promise<number> {
  const png = PNG.sync.read(await page.locator('#screen canvas').screenshot());
  let hit = 0;
  let total = 0;
  for (let y = 0; y < png.height; y += 7) {
    for (let x = 0; x < png.width; x += 7) {
      const i = (png.width * y + x) * 4;
      total++;
      if ([0, 1, 2].every((k) => Math.abs(png.data[i + k] - rgb[k]) <= 12)) hit++;
    }
  }
  return hit / total;
}

test("noVNC through the relay and websockify to Xvnc: connected, and the canvas shows the root window's colour", { skip }, async () => {
  const t = randomBytes(16).toString('hex');
  websockify.addToken(t, '127.0.0.1', xvnc.port);
  const g = websocketGrant(`ws://127.0.0.1:${websockify.port}/?token=${t}`);
  const page = await newPage();
  const result = await connect(page, g.relayUrl);
  assert.equal(result.ok, true, JSON.stringify(result));
  let share = 0;
  for (let i = 0; i < 80 && share < 0.9; i++) {
    share = await canvasShare(page, ROOT.rgb);
    if (share < 0.9) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(share >= 0.9, `the canvas shows the root colour (${share})`);
  assert.deepEqual(
    statuses.filter((s) => s.sessionId === g.sessionId).map((s) => s.state),
    ['connecting', 'connected'],
  );
  await page.close();
});

test('noVNC offering the binary subprotocol, through a Nova-style proxy to QEMU: the proxy sees no Origin, noVNC names the desktop', { skip }, async () => {
  const t = randomBytes(16).toString('hex');
  nova.addToken(t, '127.0.0.1', qemu.vncPort);
  const g = websocketGrant(nova.url(t));
  const page = await newPage();
  const result = await connect(page, g.relayUrl, ['binary']);
  assert.deepEqual(result, { ok: true, name: 'QEMU', protocol: 'binary' });
  assert.equal(nova.requests.at(-1)?.origin, undefined);
  assert.equal(nova.requests.at(-1)?.refused, undefined);
  await page.close();
});

test("the page learns why a session ended: the relay's close code and sentence reach the browser's WebSocket", { skip }, async () => {
  const expired = websocketGrant(nova.url(randomBytes(16).toString('hex')));
  const page = await newPage();
  const result = await connect(page, expired.relayUrl);
  assert.deepEqual(result, {
    ok: false,
    clean: false,
    code: RelayCloseCode.closedAtOnce,
    reason: 'the console proxy closed the connection at once: the console token was refused or has expired',
  });
  const used = await connect(page, expired.relayUrl);
  assert.equal(used.ok, false);
  assert.equal((used as { code?: number }).code, RelayCloseCode.grantRefused);
  await page.close();
});

test('a page of another origin cannot use a grant, and burns it', { skip }, async () => {
  const t = randomBytes(16).toString('hex');
  websockify.addToken(t, '127.0.0.1', xvnc.port);
  const g = websocketGrant(`ws://127.0.0.1:${websockify.port}/?token=${t}`);
  // A VNC grant upgrades to its proxy when it is minted (electron/relay/early-upstream.ts): the token reaches the
  // proxy once, from the app. The stranger's attempt must add nothing to that.
  const timesSeen = () => websockify.output().split(t).length - 1;
  for (let i = 0; i < 500 && timesSeen() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 300)); // every line websockify writes about that request
  const seen = timesSeen();
  assert.ok(seen > 0, "the grant's own upgrade reached the proxy");
  const stranger = await newPage(otherOrigin);
  const refused = await connect(stranger, g.relayUrl);
  assert.equal(refused.ok, false);
  assert.equal((refused as { code?: number }).code, 1006, 'the upgrade was refused');
  assert.equal(timesSeen(), seen, "the stranger's attempt never reached the proxy");
  await stranger.close();
  const own = await newPage();
  const late = await connect(own, g.relayUrl);
  assert.equal((late as { code?: number }).code, RelayCloseCode.grantRefused);
  await own.close();
  assert.deepEqual(
    consoleErrors.filter((e) => /Content Security Policy/i.test(e)),
    [],
  );
});
