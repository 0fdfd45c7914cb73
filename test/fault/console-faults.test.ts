// Faults between the app and real console servers, in the app (browser mode, Chromium): a VNC tab on TigerVNC's Xvnc,
// a serial tab on a real bash behind websockify, and an RDP tab on FreeRDP's shadow server (TLS), each reached
// through its own fault proxy (test/support/fault-proxy.ts). Each fault ends in the state the user should see: a
// killed server or connection reconnects by itself (and says so meanwhile), a stall is waited out, a half-open proxy
// is found by the keepalive, a reader that stops loses nothing, a proxy that closes right after the upgrade is
// explained and not retried. The other tabs never notice, and nothing rejects unhandled in the page or here (this
// process hosts the main process's services in browser mode).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from '../e2e/app/harness.ts';
import { pollUntil } from '../e2e/app/remote-display.ts';
import { tabPage } from '../e2e/app/tab-page.ts';
import { startWebsockify, startXvnc, vncServersMissing, type Websockify, type Xvnc } from '../support/vnc-servers.ts';
import { serialServersMissing, startSerialShell, type SerialShell } from '../support/serial-servers.ts';
import { shadowMissing, startDesktop, startShadow, type Desktop, type ShadowServer } from '../support/rdp-servers.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';

const skip = chromiumMissing ?? (vncServersMissing() || serialServersMissing() || shadowMissing() || undefined);

let app: AppUnderTest | undefined;
let page: Page;
let xvnc: Xvnc | undefined;
let shell: SerialShell | undefined;
let websockify: Websockify | undefined;
let desktop: Desktop | undefined;
let shadow: ShadowServer | undefined;
const proxies: Record<'vnc' | 'serial' | 'rdp', FaultProxy | undefined> = { vnc: undefined, serial: undefined, rdp: undefined };
const token = randomUUID();
const pageErrors: string[] = [];
const unhandled: string[] = [];
const onUnhandled = (err: unknown) => unhandled.push(String(err));

/** Tab titles: the address each tab was opened with (the proxy's). */
const title = (kind: keyof typeof proxies) => `127.0.0.1:${proxies[kind]!.port}`;

before(async () => {
  if (skip) return;
  process.on('unhandledRejection', onUnhandled);
  xvnc = await startXvnc();
  shell = await startSerialShell();
  websockify = await startWebsockify();
  websockify.addToken(token, '127.0.0.1', shell.port);
  desktop = await startDesktop();
  shadow = await startShadow({ display: desktop.x.display });
  proxies.vnc = await startFaultProxy({ target: { host: '127.0.0.1', port: xvnc.port } });
  proxies.serial = await startFaultProxy({ target: { host: '127.0.0.1', port: websockify.port } });
  proxies.rdp = await startFaultProxy({ target: { host: '127.0.0.1', port: shadow.port } });
  app = await startAppUnderTest({ compose: { demo: false } });
  page = app.page;
  // Uncaught exceptions and unhandled rejections in the page (libraries' own console logging is not one).
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(app.host.url);
  await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
});

after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await app?.stop();
  for (const p of Object.values(proxies)) await p?.close();
  await websockify?.stop();
  await shell?.stop();
  await xvnc?.stop();
  await shadow?.stop();
  await desktop?.stop();
});

const tabs = () => tabPage(page);
const open = (text: string) => tabs().paste(text);
const panel = (name: string) => tabs().panel(name);
const statusOf = (name: string) => tabs().status(name);
const waitStatus = (name: string, re: RegExp, seconds = 30) => tabs().waitStatus(name, re, seconds);
const noteOf = (name: string) => panel(name).locator('.note').textContent().catch(() => '');

async function waitRow(name: string, re: RegExp, seconds = 20) {
  let rows: string[] = [];
  const read = async () =>
    (rows = (await panel(name).locator('.xterm-rows > div').allTextContents()).map((r) => r.replace(/\u00a0/g, ' ').trimEnd()));
  await pollUntil(page, () => `${re} in the terminal of ${name}; it shows:\n${rows.join('\n')}`, async () => (await read()).some((r) => re.test(r)), seconds * 5, 200);
}

/** Types a command into the serial tab (which gets focus first). */
async function runInSerial(command: string) {
  await page.getByRole('tab', { name: title('serial'), exact: true }).click();
  await panel(title('serial')).locator('.xterm').click();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
}

/** Connections each proxy accepted so far: a tab that reconnects (or opens again) makes a new one. */
const acceptedNow = () => ({ vnc: proxies.vnc!.accepted, serial: proxies.serial!.accepted, rdp: proxies.rdp!.accepted });

/** The other tabs never noticed: still Connected, and no new connection through their proxies since `before`. */
async function othersUntouched(before: ReturnType<typeof acceptedNow>, ...kinds: Array<keyof typeof proxies>) {
  for (const kind of kinds) {
    assert.equal(await statusOf(title(kind)), 'Connected', kind);
    assert.equal(proxies[kind]!.accepted, before[kind], `${kind} made no new connection`);
  }
}

test('three consoles connect through their fault proxies', { skip }, async () => {
  await open(`vnc://${title('vnc')}`);
  await waitStatus(title('vnc'), /^Connected$/);
  await open(`ws://${title('serial')}/?token=${token}`);
  await waitStatus(title('serial'), /^Connected$/);
  await runInSerial('echo ready-$((40+2))');
  await waitRow(title('serial'), /^ready-42$/);
  await open(title('rdp'));
  const trust = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
  await trust.waitFor({ timeout: 20_000 });
  await trust.getByRole('button', { name: 'Trust always' }).click();
  await waitStatus(title('rdp'), /^Connected$/);
});

test('a killed connection reconnects by itself in the same tab, saying so meanwhile; the other tabs never notice', { skip }, async () => {
  for (const kind of ['vnc', 'serial', 'rdp'] as const) {
    const name = title(kind);
    const counts = acceptedNow();
    const before = counts[kind];
    proxies[kind]!.kill();
    const said = await waitStatus(name, /^(Connection lost \(.+\); reconnecting, try 1 of 6|Connected$)/);
    await waitStatus(name, /^Connected$/);
    assert.match(said + ' ' + ((await noteOf(name)) ?? ''), /Connection lost|Reconnected \(try 1\)\./, `${kind}: the tab said what happened`);
    assert.equal(await noteOf(name), 'Reconnected (try 1).');
    assert.ok(proxies[kind]!.accepted > before, `${kind}: a new connection was made`);
    await othersUntouched(counts, ...(['vnc', 'serial', 'rdp'] as const).filter((k) => k !== kind));
    // Only one tab per console: the reconnect happened in place.
    assert.equal(await page.getByRole('tab', { name, exact: true }).count(), 1);
  }
  await runInSerial('echo again-$((40+2))');
  await waitRow(title('serial'), /^again-42$/);
});

test('a server that refuses while the tab reconnects: the tries count up, and the tab comes back when it answers again', { skip }, async () => {
  const p = proxies.vnc!;
  p.setNewConnections('refuse');
  p.kill();
  await waitStatus(title('vnc'), /^Connection lost \(.+\); reconnecting, try 2 of 6 in \d+ s$/);
  p.setNewConnections('forward');
  await waitStatus(title('vnc'), /^Connected$/);
  assert.equal(await noteOf(title('vnc')), 'Reconnected (try 2).');
});

test('a TLS reset in the handshake of a try counts as a failed try; the next one gets through', { skip }, async () => {
  const p = proxies.rdp!;
  // The next TLS ClientHello toward the RDP server is answered with a reset, once.
  p.breakWhen('to-server', (chunk) => chunk[0] === 0x16 && chunk[1] === 0x03, 'reset', { once: true });
  p.kill();
  await waitStatus(title('rdp'), /try 2 of 6/);
  await waitStatus(title('rdp'), /^Connected$/);
  assert.equal(await noteOf(title('rdp')), 'Reconnected (try 2).');
});

test('a 30 s stall of every connection is waited out: no tab drops, and what was typed meanwhile arrives', { skip }, async () => {
  const stalls = Object.values(proxies).map((p) => p!.stall(30_000));
  await runInSerial('echo stalled-$((40+2))');
  // Halfway through, every tab still says Connected (the relay's keepalive allows 40 s of silence).
  await page.waitForTimeout(15_000);
  for (const kind of ['vnc', 'serial', 'rdp'] as const) assert.equal(await statusOf(title(kind)), 'Connected', kind);
  await Promise.all(stalls);
  await waitRow(title('serial'), /^stalled-42$/);
  for (const kind of ['vnc', 'serial', 'rdp'] as const) assert.equal(await statusOf(title(kind)), 'Connected', `${kind} after the stall`);
});

test('a reader that stops holds the output back; when it reads again, all of it arrives and the tab stays connected', { skip }, async () => {
  const p = proxies.serial!;
  const counts = acceptedNow();
  p.stopReading('server');
  await runInSerial('seq 1 30000 | tail -c 200000 | wc -l; seq 1 30000');
  await page.waitForTimeout(3000);
  assert.equal(await statusOf(title('serial')), 'Connected');
  p.resume('server');
  await waitRow(title('serial'), /^30000$/);
  await othersUntouched(counts, 'serial', 'vnc', 'rdp');
});

test('a half-open connection (the proxy vanishes without a close) is found by the keepalive and reconnected', { skip }, async () => {
  const p = proxies.serial!;
  const counts = acceptedNow();
  p.blackhole();
  // The relay pings every 10 s and gives up after 40 s of silence; then the first try comes within a second.
  await waitStatus(title('serial'), /^Connection lost \(the connection to the serial console proxy was lost \(no answer for \d+ s\)\); reconnecting/, 70);
  await waitStatus(title('serial'), /^Connected$/);
  await runInSerial('echo alive-$((40+2))');
  await waitRow(title('serial'), /^alive-42$/);
  await othersUntouched(counts, 'vnc', 'rdp');
});

test('a proxy that closes right after the upgrade is explained, and a pasted URL is not retried', { skip }, async () => {
  const p = proxies.serial!;
  const disarm = p.breakWhen('to-client', (chunk) => chunk.subarray(0, 12).toString('latin1') === 'HTTP/1.1 101', 'end');
  try {
    const before = p.accepted;
    await open(`ws://${title('serial')}/?token=${token}`);
    const shown = page.locator('[role=tabpanel]:not([hidden]) [role=status]');
    await pollUntil(page, 'the refusal explained', async () => /^Disconnected: the serial console proxy closed the connection at once/.test(await shown.innerText()), 100, 200);
    await page.waitForTimeout(3000);
    assert.match(await shown.innerText(), /^Disconnected: /, 'still not retrying');
    assert.equal(p.accepted, before + 1, 'one connection, no retry');
  } finally {
    disarm();
  }
});

test('nothing threw or rejected unhandled, in the page or in the main process', { skip }, () => {
  assert.deepEqual(unhandled, []);
  assert.deepEqual(pageErrors, []);
});
