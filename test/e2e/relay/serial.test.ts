// The app's serial backend (xterm.js) in Chromium through the console relay, as browser mode runs it: one loopback
// server for the page and the relay, the page's own Origin only, and the app's CSP (styles from the app only, no
// inline ones). Behind the relay: websockify with a token file in front of socat running a real bash on a pty (a
// serial port with a shell), and tiny WebSocket servers that misbehave. Every server is started and stopped here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Browser, Page } from 'playwright-core';
import { ConsoleRelay, RelayCloseCode, type RelayStatus } from '../../../electron/relay/relay.ts';
import { cspHeader } from '../../../electron/app/csp.ts';
import { chromiumMissing, launchChromium } from '../../support/chromium.ts';
import { startWebsockify, type Websockify } from '../../support/vnc-servers.ts';
import { SERIAL_PROMPT, serialServersMissing, startSerialShell, type SerialShell } from '../../support/serial-servers.ts';

const skip = serialServersMissing() || chromiumMissing();
const PAGE_DIR = fileURLToPath(new URL('./serial-page/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What serial-page/main.ts reports (the page is its own TypeScript project). */
type SerialEvent = { kind: 'connected' } | { kind: 'disconnected'; reason: string } | { kind: 'problem'; message: string };

let shell: SerialShell;
let websockify: Websockify;
let http: Server;
let relay: ConsoleRelay;
let browser: Browser;
let pageOrigin: string;
const statuses: RelayStatus[] = [];
const consoleErrors: string[] = [];

before(async () => {
  if (skip) return;
  const outdir = mkdtempSync(join(tmpdir(), 'serial-page-'));
  let files: Record<string, { body: Buffer; type: string }>;
  try {
    await build({ entryPoints: [join(PAGE_DIR, 'main.ts')], bundle: true, format: 'esm', target: 'es2022', outfile: join(outdir, 'main.js'), logLevel: 'silent' });
    // The stylesheet the app's build makes: xterm.js's own, then the app's.
    const css = Buffer.concat([readFileSync(join(ROOT, 'node_modules/@xterm/xterm/css/xterm.css')), Buffer.from('\n'), readFileSync(join(ROOT, 'renderer/styles.css'))]);
    files = {
      '/': { body: readFileSync(join(PAGE_DIR, 'index.html')), type: 'text/html; charset=utf-8' },
      '/main.js': { body: readFileSync(join(outdir, 'main.js')), type: 'text/javascript; charset=utf-8' },
      '/main.css': { body: css, type: 'text/css; charset=utf-8' },
      '/page.css': { body: readFileSync(join(PAGE_DIR, 'page.css')), type: 'text/css; charset=utf-8' },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  http = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!f) return res.writeHead(404).end();
    // The app's own header policy (browser mode): style-src 'self', no inline styles.
    res.writeHead(200, { 'Content-Type': f.type, 'Content-Security-Policy': cspHeader(), 'Cache-Control': 'no-store' }).end(f.body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  pageOrigin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  relay = new ConsoleRelay({ verifyCertificate: async () => false, allowOrigin: (o) => o === pageOrigin, onStatus: (s) => statuses.push(s) });
  relay.attach(http);
  shell = await startSerialShell();
  websockify = await startWebsockify();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await relay?.close();
  await websockify?.stop();
  await shell?.stop();
  if (http) {
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 820, height: 500 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${pageOrigin}/`);
  await page.waitForFunction(() => 'serialTest' in window);
  return page;
}

/** A grant through websockify to the shell, as Nova's serial URL `ws://host:6083/?token=…` leads to the serial port. */
function shellGrant(target = shell.port) {
  const token = randomBytes(16).toString('hex');
  websockify.addToken(token, '127.0.0.1', target);
  return relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${websockify.port}/?token=${token}`, console: 'serial' });
}

const open = (page: Page, relayUrl: string) => page.evaluate((url) => (window as any).serialTest.open(url) as void, relayUrl);
const rows = (page: Page) => page.evaluate(() => (window as any).serialTest.rows() as string[]);
const events = (page: Page) => page.evaluate(() => (window as any).serialTest.events() as SerialEvent[]);

async function waitUntil<T>(what: () => string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until a visible row matches `re`; returns the rows. */
async function waitRows(page: Page, re: RegExp, timeoutMs?: number): Promise<string[]> {
  let last: string[] = [];
  return waitUntil(
    () => `${re} on the terminal; it shows:\n${last.join('\n')}`,
    async () => ((last = await rows(page)).some((r) => re.test(r)) ? last : undefined),
    timeoutMs,
  );
}

async function waitEnded(page: Page): Promise<string> {
  const e = await waitUntil(
    () => 'the tab to be told the session ended',
    async () => (await events(page)).find((x): x is Extract<SerialEvent, { kind: 'disconnected' }> => x.kind === 'disconnected'),
  );
  return e.reason;
}

test('a real shell behind websockify: typed commands run and their output shows, UTF-8 both ways, Connected though the shell said little', { skip }, async () => {
  const g = shellGrant();
  const page = await newPage();
  await open(page, g.relayUrl);
  await page.locator('.xterm').click();
  await page.keyboard.press('Enter');
  await waitRows(page, /^serial\$/);
  await page.keyboard.type('echo sum=$((6*7))');
  await page.keyboard.press('Enter');
  await waitRows(page, /^sum=42$/);
  // Typed in UTF-8, printed back by the shell, decoded by the terminal.
  await page.keyboard.type("echo 'žluťoučký kůň ✓'");
  await page.keyboard.press('Enter');
  const shown = await waitRows(page, /^žluťoučký kůň ✓$/);
  assert.ok(shown.some((r) => r === `${SERIAL_PROMPT}echo 'žluťoučký kůň ✓'`), 'the echo of the typed line is intact');
  // Bytes the shell makes itself, not an echo of what was typed: printf's octal escapes for "ž✓".
  await page.keyboard.type("printf 'x\\305\\276\\342\\234\\223x\\n'");
  await page.keyboard.press('Enter');
  await waitRows(page, /^xž✓x$/);
  // Type clipboard: keystrokes, a line break is Enter.
  await page.evaluate(() => (window as any).serialTest.typeText('echo typed-$((2+3))\n'));
  await waitRows(page, /^typed-5$/);
  assert.deepEqual(await events(page), [{ kind: 'connected' }]);
  assert.deepEqual(
    statuses.filter((s) => s.sessionId === g.sessionId).map((s) => s.state),
    ['connecting', 'connected'],
  );
  // The shell ends (exit): the tab says why.
  await page.keyboard.type('exit');
  await page.keyboard.press('Enter');
  assert.match(await waitEnded(page), /^the serial console proxy closed the connection/);
  await page.close();
});

test('search: Ctrl+Shift+F opens the box, Enter finds, Escape closes and gives the keyboard back', { skip }, async () => {
  const page = await newPage();
  await open(page, shellGrant().relayUrl);
  await page.locator('.xterm').click();
  await page.keyboard.type('for i in 1 2 3; do echo needle-$i; done');
  await page.keyboard.press('Enter');
  await waitRows(page, /^needle-3$/);
  await page.keyboard.press('Control+Shift+F');
  const box = page.getByRole('searchbox', { name: /Search the output/ });
  await box.waitFor();
  assert.ok(await box.evaluate((el) => el === document.activeElement), 'the search box has the keyboard');
  await box.fill('needle-');
  await box.press('Enter');
  // The addon counts matches in the whole buffer: the typed line and three outputs.
  await waitUntil(
    () => 'a result count',
    async () => /of 4$/.test((await page.locator('.serial-search-results').textContent()) ?? ''),
  );
  await box.press('Shift+Enter');
  await box.press('Escape');
  assert.equal(await page.locator('.serial-search').isHidden(), true);
  await page.keyboard.type('echo back');
  await page.keyboard.press('Enter');
  await waitRows(page, /^back$/);
  await page.close();
});

test('a huge burst (20 MB): the page answers meanwhile, its heap stays bounded, the shell is usable after it', { skip }, async () => {
  const page = await newPage();
  await open(page, shellGrant().relayUrl);
  await page.locator('.xterm').click();
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
  await page.keyboard.press('Enter');
  await waitRows(page, /^serial\$/);
  const before = await heap();
  await page.keyboard.type("head -c 20000000 /dev/zero | tr '\\0' x; echo; echo burst-$((40+2))");
  await page.keyboard.press('Enter');
  let maxHeap = 0;
  let slowest = 0;
  await waitUntil(
    () => `the end of the burst (slowest page answer ${slowest} ms)`,
    async () => {
      const t0 = Date.now();
      const visible = await rows(page);
      slowest = Math.max(slowest, Date.now() - t0);
      maxHeap = Math.max(maxHeap, await heap());
      return visible.some((r) => r === 'burst-42');
    },
    180_000,
  );
  assert.ok(slowest < 2000, `the page answered within ${slowest} ms while the burst ran`);
  assert.ok(maxHeap - before < 150 << 20, `the heap grew by ${Math.round((maxHeap - before) / (1 << 20))} MB for 20 MB of output`);
  await page.keyboard.type('echo after-$((1+1))');
  await page.keyboard.press('Enter');
  await waitRows(page, /^after-2$/);
  await page.close();
});

/** A tiny WebSocket server on loopback that does `onConnection` to each client; the relay connects to it as a serial proxy. */
async function tinyProxy(onConnection: (ws: WebSocket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer();
  const wss = new WebSocketServer({ server, handleProtocols: () => 'binary' });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    onConnection(ws);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/?token=${randomBytes(16).toString('hex')}`,
    close: async () => {
      // Upgraded sockets are no longer the HTTP server's: end them, or close() waits for them.
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('binary garbage and invalid UTF-8 from the server: characters split across frames survive, bad bytes show as U+FFFD', { skip }, async () => {
  const frames = [
    randomBytes(4096), // garbage, control bytes and escape sequences included
    // CAN ends any sequence the garbage left open, RIS resets the terminal (modes, charsets, screen) as a guest's reset would.
    Buffer.from('\x18\x1bcstart \xc5', 'latin1'), // "ž" split across two frames…
    Buffer.from('\xbe ok\r\n', 'latin1'), // …and completed here
    Buffer.from([0x62, 0x61, 0x64, 0x3a, 0xff, 0xfe, 0x80, 0x3a, 0xe2, 0x9c, 0x0d, 0x0a]), // invalid, a lone continuation, a cut "✓"
    Buffer.from('end marker \xe2\x9c\x93\r\n', 'latin1'),
  ];
  const server = await tinyProxy((ws) => {
    let i = 0;
    const next = () => {
      if (i < frames.length) ws.send(frames[i++], { binary: true }, () => setTimeout(next, 20));
    };
    next();
  });
  try {
    const page = await newPage();
    await open(page, relay.grant({ kind: 'websocket', url: server.url, console: 'serial' }).relayUrl);
    const shown = await waitRows(page, /^end marker ✓$/);
    assert.ok(shown.includes('start ž ok'), `a split character is whole: ${JSON.stringify(shown.slice(0, 3))}`);
    assert.ok(shown.some((r) => r.startsWith('bad:\ufffd\ufffd\ufffd:\ufffd')), `invalid bytes are U+FFFD: ${JSON.stringify(shown.slice(0, 3))}`);
    assert.deepEqual((await events(page)).map((e) => e.kind), ['connected']);
    await page.close();
  } finally {
    await server.close();
  }
});

test('a proxy that closes right after the upgrade, one that refuses the token, and one that stops mid-session: the tab says why', { skip }, async () => {
  const atOnce = await tinyProxy((ws) => (ws as unknown as { _socket: { destroy(): void } })._socket.destroy());
  const page = await newPage();
  try {
    const g = relay.grant({ kind: 'websocket', url: atOnce.url, console: 'serial' });
    await open(page, g.relayUrl);
    assert.equal(await waitEnded(page), 'the serial console proxy closed the connection at once: the console token was refused or has expired');
    assert.deepEqual((await events(page)).map((e) => e.kind), ['disconnected'], 'never Connected');
  } finally {
    await atOnce.close();
  }

  // websockify with a token it does not know hangs up before the upgrade.
  await open(page, relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${websockify.port}/?token=${randomBytes(16).toString('hex')}`, console: 'serial' }).relayUrl);
  assert.match(await waitEnded(page), /^the serial console proxy (hung up without answering the WebSocket upgrade|refused the WebSocket upgrade).*token/);

  // A proxy that goes away in the middle of a session (no close frame).
  const own = await startWebsockify();
  try {
    const token = randomBytes(16).toString('hex');
    own.addToken(token, '127.0.0.1', shell.port);
    await open(page, relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${own.port}/?token=${token}`, console: 'serial' }).relayUrl);
    await page.locator('.xterm').click();
    await page.keyboard.type('echo alive');
    await page.keyboard.press('Enter');
    await waitRows(page, /^alive$/);
    await own.stop();
    assert.match(await waitEnded(page), /^the (connection to the serial console proxy was lost|serial console proxy closed the connection)/);
  } finally {
    await own.stop();
  }
  await page.close();
});

test('no CSP violation: xterm.js styles reach the page as constructed stylesheets, and colours apply', { skip }, async () => {
  const page = await newPage();
  await open(page, shellGrant().relayUrl);
  await page.locator('.xterm').click();
  await page.keyboard.type("printf '\\033[31mred\\033[0m\\n'");
  await page.keyboard.press('Enter');
  await waitRows(page, /^red$/);
  const colour = await page.locator('.xterm-rows span.xterm-fg-1').first().evaluate((el) => getComputedStyle(el).color);
  assert.notEqual(colour, 'rgb(255, 255, 255)');
  assert.match(colour, /^rgb\((\d+), (\d+), (\d+)\)$/);
  const [r, gr, b] = colour.match(/\d+/g)!.map(Number);
  assert.ok(r > 150 && gr < 100 && b < 100, `ANSI red is red: ${colour}`);
  assert.equal(await page.evaluate(() => document.querySelectorAll('style').length), 0, 'no <style> element in the page');
  await page.close();
  assert.deepEqual(
    consoleErrors.filter((e) => /Content Security Policy|Refused/i.test(e)),
    [],
  );
  assert.equal(RelayCloseCode.closedAtOnce, 4301);
});
