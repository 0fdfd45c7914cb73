import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';

// Browser mode is reachable by anything on this machine: these tests check it answers only the page it served.

let app: AppUnderTest | undefined;
before(async () => {
  if (!chromiumMissing) app = await startAppUnderTest({ compose: { demo: false } });
});
after(async () => {
  await app?.stop();
});

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function wsStatus(url: string, headers: Record<string, string>, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...(origin ? { origin } : {}) });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e) => reject(e));
  });
}

test('HTTP: no secret, a wrong one, a foreign Host or a foreign Origin is refused', { skip: chromiumMissing }, async () => {
  const { port, secret } = app!.host;
  const host = `127.0.0.1:${port}`;
  const ok = await get(port, `/?secret=${secret}`, { Host: host });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /<div id="root">/);
  assert.match(String(ok.headers['content-security-policy']), /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(String(ok.headers['set-cookie']), /HttpOnly; SameSite=Strict/);

  assert.equal((await get(port, '/', { Host: host })).status, 401);
  assert.equal((await get(port, '/main.js', { Host: host })).status, 401);
  assert.equal((await get(port, `/?secret=${secret}x`, { Host: host })).status, 401);
  assert.equal((await get(port, `/?secret=${secret}`, { Host: `evil.example:${port}` })).status, 421, 'DNS rebinding: foreign Host');
  assert.equal((await get(port, `/?secret=${secret}`, { Host: `localhost:${port}` })).status, 421);
  assert.equal((await get(port, `/?secret=${secret}`, { Host: host, Origin: 'http://evil.example' })).status, 403);
  const cookie = String(ok.headers['set-cookie']).split(';')[0];
  assert.equal((await get(port, '/main.js', { Host: host, Cookie: cookie })).status, 200, 'the cookie from the first load admits the page files');
  assert.equal((await get(port, '/../../../etc/passwd', { Host: host, Cookie: cookie })).status, 404);
  assert.equal((await get(port, '/%2e%2e/%2e%2e/package.json', { Host: host, Cookie: cookie })).status, 404);
});

test('API socket: refused without the secret, with a foreign Origin or Host; accepted for the page', { skip: chromiumMissing }, async () => {
  const { port, secret, origin } = app!.host;
  const base = `ws://127.0.0.1:${port}/api`;
  assert.equal(await wsStatus(`${base}?secret=${secret}`, {}, origin), 101);
  assert.equal(await wsStatus(base, {}, origin), 401);
  assert.equal(await wsStatus(`${base}?secret=${secret}`, {}, 'http://evil.example'), 403);
  assert.equal(await wsStatus(`${base}?secret=${secret}`, {}), 403, 'no Origin: not a page');
  assert.equal(await wsStatus(`${base}?secret=${secret}`, { Host: `evil.example:${port}` }, origin), 421);
});

test('the page has no Node, no Electron bridge, only the ConsoleApi contract; the secret leaves the address bar', { skip: chromiumMissing }, async () => {
  const { page, host } = app!;
  await page.goto(host.url);
  await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
  const probe = await page.evaluate(() => ({
    require: typeof (globalThis as any).require,
    process: typeof (globalThis as any).process,
    module: typeof (globalThis as any).module,
    bridge: typeof (globalThis as any).novaConsole,
    electron: typeof (globalThis as any).electron,
    href: location.href,
  }));
  assert.deepEqual(
    { ...probe, href: undefined },
    { require: 'undefined', process: 'undefined', module: 'undefined', bridge: 'undefined', electron: 'undefined', href: undefined },
  );
  assert.ok(!probe.href.includes('secret'), `secret still in ${probe.href}`);
  // Reload: the cookie serves the files and sessionStorage keeps the socket's secret.
  await page.reload();
  await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
  // The page may name only the contract's requests; anything else is refused by the host.
  const reply = await page.evaluate(
    (url) =>
      new Promise<unknown>((resolve) => {
        const ws = new globalThis.WebSocket(url);
        ws.onopen = () => ws.send(JSON.stringify({ id: 1, name: 'fs.readFile', args: { path: '/etc/passwd' } }));
        ws.onmessage = (e: MessageEvent<string>) => resolve(JSON.parse(e.data));
      }),
    `ws://127.0.0.1:${host.port}/api?secret=${host.secret}`,
  );
  assert.deepEqual(reply, { id: 1, reply: { ok: false, error: { code: 'bad-request', message: 'Unknown request "fs.readFile"' } } });
});

test('the CSP header lets the page open sockets only to its own origin, not to other loopback ports', { skip: chromiumMissing }, async () => {
  const { page, host } = app!;
  const res = await get(host.port, `/?secret=${host.secret}`, { Host: `127.0.0.1:${host.port}` });
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /connect-src 'self' data:;/);
  assert.doesNotMatch(csp, /ws:\/\/127\.0\.0\.1:\*/);
  // Something real listens on the other port, so only the policy can stop the page from reaching it.
  const { createServer } = await import('node:http');
  const other = createServer((_q, r) => r.end());
  let upgrades = 0;
  other.on('upgrade', (_q, socket) => {
    upgrades++;
    socket.destroy();
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const otherPort = (other.address() as import('node:net').AddressInfo).port;
  try {
    await page.goto(host.url);
    await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
    const blocked = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          try {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('error');
          } catch (e) {
            resolve('threw: ' + (e as Error).name);
          }
        }),
      `ws://127.0.0.1:${otherPort}/rdcleanpath`,
    );
    assert.notEqual(blocked, 'open');
    assert.equal(upgrades, 0, 'the blocked socket must never reach the other port');
  } finally {
    await new Promise<void>((r) => other.close(() => r()));
  }
});

test('a page of another origin cannot use the API even when it knows the port', { skip: chromiumMissing }, async () => {
  const { context, host } = app!;
  const other = await context.newPage();
  // data: pages have an opaque origin ("null"), which is not the app's.
  await other.goto('data:text/html,<title>other</title>');
  const result = await other.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      }),
    `ws://127.0.0.1:${host.port}/api?secret=${host.secret}`,
  );
  assert.equal(result, 'refused');
  await other.close();
});

test('npm run -s start:browser prints one JSON line with the url first', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nova-app-start-'));
  let child: ChildProcess | undefined;
  t.after(() => {
    child?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });
  // node directly (not npm/npx): a signal then reaches the server itself.
  child = spawn(process.execPath, ['bin/start.mjs', '--browser', '--port', '0'], {
    env: { ...process.env, NOVA_CONSOLE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
  });
  const info = JSON.parse(first);
  assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/\?secret=[A-Za-z0-9_-]{20,}$/);
  assert.equal(info.data_dir, dataDir);
  const u = new URL(info.url);
  const page = await get(Number(u.port), u.pathname + u.search, { Host: u.host });
  assert.equal(page.status, 200);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
