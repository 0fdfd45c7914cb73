import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page, WebSocketRoute } from 'playwright-core';
import { createLaunchRouter } from '../../../electron/app/launch-input.ts';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from './harness.ts';
import { shadowMissing, startDesktop, startShadow, type Desktop, type ShadowServer } from '../../support/rdp-servers.ts';

// The failures a user meets, through the real UI in Chromium (browser mode): each tab (or the address bar's alert)
// must say what went wrong, not a generic failure, and the other tabs must carry on.

const SERVER_A = 'win2022-web-01';
const SERVER_B = 'win2022-web-02';
const DEMO = 'Demo cloud (offline)';

let app: AppUnderTest | undefined;
let page: Page;

before(async () => {
  if (chromiumMissing) return;
  app = await startAppUnderTest();
  page = app.page;
  await page.goto(app.host.url);
  await page.getByRole('tree', { name: DEMO }).waitFor();
});
after(async () => {
  await app?.stop();
});

const tab = (name: string) => page.getByRole('tab', { name, exact: true });
const panelId = async (name: string) => (await tab(name).getAttribute('aria-controls'))!;
// Panels of inactive tabs are hidden (their sessions keep running), so CSS, not the accessibility tree, finds them.
const statusOf = async (name: string): Promise<Locator> => page.locator(`#${await panelId(name)} [role=status]`);

async function waitStatus(name: string, re: RegExp, timeout = 20_000): Promise<string> {
  const id = await panelId(name);
  await page.waitForFunction(
    ({ id, src }) => new RegExp(src).test(document.querySelector(`#${id} [role=status]`)?.textContent ?? ''),
    { id, src: re.source },
    { timeout },
  );
  return (await statusOf(name)).innerText();
}

async function openServer(name: string) {
  await page.getByRole('tree', { name: DEMO }).getByRole('treeitem', { name, exact: true }).click();
  await tab(name).waitFor();
}

async function openAddress(text: string) {
  const box = page.getByRole('textbox', { name: 'Console URL or address' });
  await box.fill(text);
  await box.press('Enter');
}

const frameOf = (name: string) =>
  page.locator(`canvas[aria-label="Remote display: ${name}"]`).evaluate((c: HTMLCanvasElement) => c.toDataURL('image/png'));

/** The tab's display changes (the demo desktop animates): it is still receiving frames. */
async function expectUpdating(name: string) {
  const first = await frameOf(name);
  await page.waitForFunction(
    ({ n, f }) => document.querySelector<HTMLCanvasElement>(`canvas[aria-label="Remote display: ${n}"]`)?.toDataURL('image/png') !== f,
    { n: name, f: first },
    { timeout: 10_000, polling: 100 },
  );
}

/** A loopback port nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('a server that ends a live session: that tab says the server closed it, the other tab keeps updating', { skip: chromiumMissing }, async (t) => {
  const sessions = app!.host.app.demo!.consoleHost.sessions;
  await openServer(SERVER_A);
  await waitStatus(SERVER_A, /^Connected$/);
  const ofA = new Set(sessions);
  assert.equal(ofA.size, 1, 'one demo desktop session for the first tab');
  await openServer(SERVER_B);
  await waitStatus(SERVER_B, /^Connected$/);
  assert.equal(sessions.size, 2);

  // Every text the first tab's status shows from here on (both the gateway and the engine report the end).
  await page.evaluate((id) => {
    const el = document.querySelector(`#${id} [role=status]`)!;
    const seen: string[] = ((window as unknown as { seenStatus: string[] }).seenStatus = []);
    new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
  }, await panelId(SERVER_A));

  // The console host drops the first tab's connection, as a host that restarts or a VM that resets would. The tab
  // says what was lost, in the gateway's words, and reconnects by itself.
  const [a] = ofA;
  a.end('test: the host went away');
  const endpoint = app!.host.app.demo!.consoleEndpoint;
  const text = await waitStatus(SERVER_A, /^Connection lost \(/);
  assert.match(text, /closed the (session|connection)/i, text);
  assert.ok(text.includes(endpoint), `the reason names the server ${endpoint}: ${text}`);
  assert.match(text, /; reconnecting, try 1 of 6/);
  assert.equal(await (await statusOf(SERVER_B)).innerText(), 'Connected');
  await waitStatus(SERVER_A, /^Connected$/);
  const seen: string[] = await page.evaluate(() => (window as unknown as { seenStatus: string[] }).seenStatus);
  t.diagnostic(`status texts: ${JSON.stringify(seen)}`);
  // The gateway's reason is the one shown, whatever the engine reported after it.
  assert.ok(seen.filter((x) => x.startsWith('Connection lost')).every((x) => x.includes(endpoint)), 'only the gateway names the lost session');
  assert.equal(sessions.size, 2, 'two tabs, two sessions');
  assert.ok(![...sessions].some((x) => ofA.has(x)), "the first tab's session is a new one");

  assert.equal(await (await statusOf(SERVER_B)).innerText(), 'Connected');
  await expectUpdating(SERVER_B);
  await expectUpdating(SERVER_A);
  for (const name of [SERVER_A, SERVER_B]) await page.getByRole('button', { name: `Close ${name}`, exact: true }).click();
});

test('a direct address where nothing listens: the tab says the connection was refused', { skip: chromiumMissing }, async (t) => {
  const target = `127.0.0.1:${await closedPort()}`;
  await openAddress(target);
  await tab(target).waitFor();
  const text = await waitStatus(target, /^Disconnected: /);
  t.diagnostic(text);
  assert.match(text, /refused/i, text);
  assert.ok(text.includes(target), `the reason names ${target}: ${text}`);
  await page.getByRole('button', { name: `Close ${target}`, exact: true }).click();
});

test('a console URL whose token is unknown or expired: the alert says so and no tab opens', { skip: chromiumMissing }, async (t) => {
  const server = app!.host.app.demo!.demoCloud.info.servers.find((s) => s.name === SERVER_A)!;
  const { url } = await app!.host.app.services.consoles.consoleUrl('demo', server.id);
  const token = new URL(url).searchParams.get('token');
  assert.ok(token, `the demo's console URL carries a token: ${url}`);
  const forged = url.replace(token, randomUUID());
  const tabsBefore = await page.getByRole('tab').count();
  await openAddress(forged);
  const alert = page.locator('#url-error[role=alert]');
  await alert.waitFor({ timeout: 20_000 });
  const text = await alert.innerText();
  t.diagnostic(text);
  assert.match(text, /token/i, text);
  assert.match(text, /expired|unknown|invalid|not valid|no longer/i, text);
  assert.equal(await page.getByRole('tab').count(), tabsBefore);
});

/**
 * A TCP front on an ephemeral port that forwards to whichever server is current: the endpoint (127.0.0.1:<port>)
 * stays the same while the server behind it is replaced by one with another certificate.
 */
async function startFront(): Promise<{ port: number; target: number; server: Server; dropAll(): void }> {
  const sockets = new Set<Socket>();
  const front = {
    port: 0,
    target: 0,
    server: createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: front.target });
      sockets.add(client).add(upstream);
      const drop = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    }),
    dropAll: () => sockets.forEach((s) => s.destroy()),
  };
  await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
  front.port = (front.server.address() as AddressInfo).port;
  return front;
}

test('a changed certificate: the dialog shows both fingerprints; Reject leaves the tab disconnected saying why', { skip: chromiumMissing ?? (shadowMissing() || undefined) }, async (t) => {
  let desktop: Desktop | undefined;
  let first: ShadowServer | undefined;
  let second: ShadowServer | undefined;
  let front: Awaited<ReturnType<typeof startFront>> | undefined;
  try {
    desktop = await startDesktop();
    // Two shadow servers, each with the certificate it made in its own config folder.
    first = await startShadow({ display: desktop.x.display });
    second = await startShadow({ display: desktop.x.display });
    const oldFp = new X509Certificate(first.certPem()).fingerprint256;
    const newFp = new X509Certificate(second.certPem()).fingerprint256;
    assert.notEqual(oldFp, newFp);
    front = await startFront();
    front.target = first.port;
    const endpoint = `127.0.0.1:${front.port}`;

    await openAddress(endpoint);
    await tab(endpoint).waitFor();
    const firstUse = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
    await firstUse.waitFor({ timeout: 20_000 });
    assert.ok((await firstUse.innerText()).includes(oldFp));
    await firstUse.getByRole('button', { name: 'Trust always' }).click();
    await waitStatus(endpoint, /^Connected$/);

    // The server is replaced (reinstalled, or someone in the middle) while the pin stays. The lost session is tried
    // again by itself, and that try meets the changed certificate.
    front.target = second.port;
    front.dropAll();
    const changed = page.getByRole('alertdialog', { name: 'The server certificate has changed' });
    await changed.waitFor({ timeout: 20_000 });
    const shown = await changed.innerText();
    assert.ok(shown.includes(newFp), `the new fingerprint ${newFp} is shown: ${shown}`);
    assert.ok(shown.includes(oldFp), `the pinned fingerprint ${oldFp} is shown: ${shown}`);
    await changed.getByRole('button', { name: 'Reject' }).click();
    const text = await waitStatus(endpoint, /^Disconnected: /);
    t.diagnostic(text);
    assert.match(text, /certificate/i, text);
    assert.match(text, /not trusted/i, text);
    // A changed certificate is never tried again by itself: the reason stays.
    await page.waitForTimeout(2500);
    assert.equal(await (await statusOf(endpoint)).innerText(), text, 'the reason stays');
    // Rejecting does not replace the pin.
    const pinned = await app!.host.app.services.trust!.list();
    assert.equal(pinned.find((c) => c.endpoint === endpoint)?.fingerprint, oldFp);
    await page.getByRole('button', { name: `Close ${endpoint}`, exact: true }).click();
  } finally {
    front?.dropAll();
    const server = front?.server;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await first?.stop();
    await second?.stop();
    await desktop?.stop();
  }
});

test('a bad .rdp file or link handed to the app: the page shows why in an alert; a good one opens its tab', { skip: chromiumMissing }, async () => {
  // Browser mode has no OS hand-over, so the launch router (what Electron's main process runs) is fed here and its
  // events reach a fresh page over its own API socket, where Electron would send them over IPC.
  const dir = mkdtempSync(join(tmpdir(), 'launch-e2e-'));
  const second = await app!.context.newPage();
  try {
    let api: WebSocketRoute | undefined;
    await second.routeWebSocket(/\/api/, (ws) => {
      ws.connectToServer();
      api = ws;
    });
    await second.goto(app!.host.url);
    await second.getByRole('tree', { name: DEMO }).waitFor();
    assert.ok(api, 'the page opened its API socket');
    const router = createLaunchRouter({ emit: (e) => api!.send(JSON.stringify(e)), readFile: (p) => readFile(p) });
    router.pageReady();

    const bad = join(dir, 'hyperv-console.rdp');
    writeFileSync(bad, 'screen mode id:i:2\r\nusername:s:CORP\\alice\r\n');
    await router.handleRdpFile(bad);
    const alert = second.locator('#url-error[role=alert]');
    await alert.waitFor({ timeout: 10_000 });
    assert.equal(await alert.innerText(), 'hyperv-console.rdp could not be opened: the .rdp file has no "full address" line.');
    assert.equal(await second.getByRole('tab').count(), 0);

    router.handleLink('nova-console://open?url=x');
    await second.waitForFunction(() => /link could not be opened: unknown link action "open"/.test(document.querySelector('#url-error')?.textContent ?? ''), undefined, { timeout: 10_000 });

    // A good file opens a tab (and clears the alert); nothing listens at its address, and the tab says so.
    const port = await closedPort();
    const good = join(dir, 'good.rdp');
    writeFileSync(good, `full address:s:127.0.0.1:${port}\r\n`);
    await router.handleRdpFile(good);
    const target = `127.0.0.1:${port}`;
    await second.getByRole('tab', { name: target, exact: true }).waitFor({ timeout: 10_000 });
    assert.equal(await alert.count(), 0);
    await second.waitForFunction(() => /^Disconnected: .*refused/.test(document.querySelector('[role=tabpanel]:not([hidden]) [role=status]')?.textContent ?? ''), undefined, { timeout: 20_000 });
  } finally {
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
