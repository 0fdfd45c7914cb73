// No secret in any output of a full run: the app in browser mode on its demo cloud, driven in Chromium through real
// sessions (RDP from the sidebar, a pasted RDP console URL and credentials typed in the sign-in dialog; VNC from the
// sidebar and a pasted noVNC URL; a vnc:// server that asks for its password; a serial console from the menu and a
// pasted serial URL), then the nova-console command against the same cloud. Every line anything printed is kept:
// the host's log, the page's console (every argument, not only its preview) and errors, the page's text, what
// Chromium, Xvnc and the command wrote on stdout and stderr, and what this process itself wrote. The secrets are
// taken from where they are made (Keystone tokens as the demo cloud validates them and as the app's client holds
// them, console tokens as the demo's Nova mints them and its proxies look them up, grants as the gateway and the
// relay issue them), plus the passwords used and the page secret. None may appear in any line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import type { ConsoleMessage, JSHandle, Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from '../e2e/app/harness.ts';
import { pollUntil } from '../e2e/app/remote-display.ts';
import { tabPage } from '../e2e/app/tab-page.ts';
import { startXvnc, vncPasswordFile, vncServersMissing, type Xvnc } from '../support/vnc-servers.ts';
import { spawnCli } from '../electron/cli/spawn-cli.ts';
import { watchCalls } from '../support/watch-calls.ts';
import { Identity } from '../../electron/demo/cloud/keystone.ts';
import { ConsoleBroker } from '../../electron/demo/cloud/consoles.ts';
import { KeystoneSession } from '../../electron/openstack/keystone.ts';
import { RdpGateway } from '../../electron/rdp/gateway.ts';
import { ConsoleRelay } from '../../electron/relay/relay.ts';

const DEMO = 'Demo cloud (offline)';
const vncSkip = chromiumMissing ?? (vncServersMissing() || undefined);

/** One line of output and where it came from. */
interface Line {
  source: string;
  text: string;
}
const lines: Line[] = [];
const collect = (source: string) => (text: string) => {
  for (const t of text.split('\n')) if (t.trim() !== '') lines.push({ source, text: t });
};
/** Console arguments are read asynchronously (their values, not the preview): all of them are awaited at the end. */
const pendingReads: Array<Promise<void>> = [];

/** A secret, named by what it is (the name, never the value, goes into failure messages). */
const secrets = new Map<string, string>();
/**
 * Kinds of secret that came with a value too short to search for (it would match by chance); none of the secrets
 * here is short, so the last test fails on any. Not asserted here: this runs inside the code under test.
 */
const tooShort: string[] = [];
function secret(kind: string, value: string | undefined | null) {
  if (!value) return;
  if (value.length < 8) tooShort.push(kind);
  else if (![...secrets.values()].includes(value)) secrets.set(`${kind} #${[...secrets.keys()].filter((k) => k.startsWith(kind)).length + 1}`, value);
}

type Method = (...args: any[]) => any;
/** From now on every result of `proto[name]` (awaited when it is a promise) is handed to `seen`; returns the undo. */
function watchResults<T extends Record<K, Method>, K extends PropertyKey>(proto: T, name: K, seen: (result: any) => void): () => void {
  const real = proto[name];
  const watched = function (this: T, ...args: Parameters<T[K]>): ReturnType<T[K]> {
    const result = real.apply(this, args);
    if (result instanceof Promise) result.then(seen, () => undefined);
    else seen(result);
    return result;
  };
  proto[name] = watched as T[K];
  return () => {
    proto[name] = real;
  };
}

/** Playwright's `debug` instance: with `pw:browser` on, it reports every line Chromium writes on stdout and stderr. */
interface Debug {
  enable(namespaces: string): void;
  disable(): string;
  log: (...args: unknown[]) => void;
}
const debug = (createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as { debug: Debug }).debug;

const undo: Array<() => void> = [];
let app: AppUnderTest | undefined;
let page: Page;
let stopped = false;
let xvnc: Xvnc | undefined;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nova-no-secrets-'));
  if (chromiumMissing) return;

  // What this process writes (a part of the app that bypassed its log callback would show up here).
  for (const [name, stream] of [['this process: stdout', process.stdout], ['this process: stderr', process.stderr]] as const) {
    const write = stream.write.bind(stream);
    const keep = collect(name);
    stream.write = ((chunk: string | Uint8Array, ...rest: any[]) => {
      keep(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
    undo.push(() => (stream.write = write));
  }
  // Chromium's own stdout and stderr, as Playwright reads them.
  const previous = debug.disable();
  const realLog = debug.log;
  debug.enable(previous ? `${previous},pw:browser` : 'pw:browser');
  debug.log = (...args: unknown[]) => collect('chromium')(format(...args));
  undo.push(() => {
    debug.log = realLog;
    debug.disable();
    if (previous) debug.enable(previous);
  });

  // The secrets, where they are made.
  undo.push(
    watchCalls(Identity.prototype, 'validate', (_identity, tokenId) => secret('Keystone token', tokenId)),
    watchResults(KeystoneSession.prototype, 'token', (token: { id: string }) => secret('Keystone token', token.id)),
    watchResults(ConsoleBroker.prototype, 'create', (made: { token: { token: string } }) => secret('console token', made.token.token)),
    watchCalls(ConsoleBroker.prototype, 'lookup', (_broker, token) => secret('console token', token)),
    watchResults(RdpGateway.prototype, 'grant', (g: { token: string }) => secret('gateway token', g.token)),
    watchResults(ConsoleRelay.prototype, 'grant', (g: { relayUrl: string }) => secret('relay grant', new URL(g.relayUrl).searchParams.get('grant'))),
  );

  app = await startAppUnderTest({ log: collect('host log') });
  page = app.page;
  secret('page secret', app.host.secret);
  for (const u of app.host.app.demo!.demoCloud.info.users) secret('OpenStack password', u.password);
  secret('console password', app.host.app.demo!.consoleCredentials.password);

  const context = app.context;
  const fromPage = (where: string) => (msg: ConsoleMessage) => {
    collect(`${where} console`)(`${msg.type()}: ${msg.text()}`);
    // An argument JSON cannot carry (a function, a cyclic object) is read as the page would print it.
    const read = (a: JSHandle) =>
      a.jsonValue().then(
        (v) => JSON.stringify(v) ?? String(v),
        () => a.evaluate((v) => String(v)).catch(() => '(an argument gone with its page)'),
      );
    pendingReads.push(Promise.all(msg.args().map(read)).then((values) => collect(`${where} console (arguments)`)(values.join(' '))));
  };
  context.on('console', fromPage('page'));
  context.on('weberror', (e) => collect('page error')(`${e.error().message}\n${e.error().stack ?? ''}`));
  context.on('page', (p) => p.on('worker', (w) => w.on('console', fromPage('worker'))));
  page.on('worker', (w) => w.on('console', fromPage('worker')));
  await page.goto(app.host.url);
  await page.getByRole('tree', { name: DEMO }).waitFor();
  // The page may have nothing to say: this line shows its console is read at all (values, not previews).
  await page.evaluate(() => console.debug('console canary', { read: 'arguments too' }));
});

async function stopEverything() {
  if (stopped) return;
  stopped = true;
  await app?.stop();
  await xvnc?.stop();
  for (const u of undo.splice(0).reverse()) u();
}

after(async () => {
  await stopEverything();
  rmSync(dir, { recursive: true, force: true });
});

const tree = () => page.getByRole('tree', { name: DEMO });
const tab = (name: string) => tabPage(page).tab(name);
const waitStatus = (name: string, re: RegExp) => tabPage(page).waitStatus(name, re);
const paste = (text: string) => tabPage(page).paste(text);
async function closeTab(name: string) {
  await page.getByRole('button', { name: `Close ${name}`, exact: true }).click();
  await tab(name).waitFor({ state: 'detached' });
}
/** What the page shows (every tab's panel, hidden ones included): reasons and alerts are output too. */
async function keepPageText(when: string) {
  collect(`page text (${when})`)(await page.evaluate(() => document.body.textContent ?? ''));
}
const serverNamed = (name: string) => app!.host.app.demo!.demoCloud.info.servers.find((s) => s.name === name)!;
const consoleUrl = async (name: string, protocol?: 'rdp' | 'vnc' | 'serial') =>
  (await app!.host.app.services.consoles.consoleUrl('demo', serverNamed(name).id, protocol)).url;
/**
 * The same console URL with a token no one issued, as a mistyped or stale paste would carry. It is a secret too (a
 * token refused here may be a live one of another console), and error paths are where tokens leak.
 */
function withUnknownToken(url: string): string {
  const token = /token(=|%3D)([0-9a-f-]{36})/i.exec(url)?.[2];
  assert.ok(token, `the demo's console URL carries a token: ${url.replace(/[0-9a-f-]{36}/gi, '…')}`);
  const unknown = randomUUID();
  secret('unknown console token', unknown);
  return url.replace(token, unknown);
}

test('RDP: a demo server whose saved password is wrong asks; the right one typed in the dialog connects; a pasted console URL connects', { skip: chromiumMissing }, async () => {
  const settings = app!.host.app.settings;
  const right = app!.host.app.demo!.consoleCredentials;
  const wrong = randomBytes(12).toString('base64url');
  secret('console password', wrong);
  try {
    await settings.update({ consoleCredentials: { cloud: 'demo', credentials: { username: right.username, password: wrong } } });
    await tree().getByRole('treeitem', { name: 'win2022-web-01', exact: true }).click();
    const signIn = page.getByRole('dialog', { name: 'Sign in to win2022-web-01' });
    await signIn.waitFor({ timeout: 20_000 });
    await signIn.getByRole('textbox', { name: 'User name' }).fill(right.username);
    await signIn.getByLabel('Password').fill(right.password);
    await signIn.getByRole('checkbox', { name: /^Remember for / }).check();
    await signIn.getByRole('button', { name: 'Connect' }).click();
    await signIn.waitFor({ state: 'detached' });
    await waitStatus('win2022-web-01', /^Connected$/);

    // A console URL as Horizon hands it out, pasted: the remembered credentials of its host sign in.
    await paste(await consoleUrl('win2019-sql-01', 'rdp'));
    await tab('win2019-sql-01').waitFor();
    await waitStatus('win2019-sql-01', /^Connected$/);
    await keepPageText('RDP');
    await closeTab('win2022-web-01');
    await closeTab('win2019-sql-01');

    // A console URL whose token the cloud does not know: refused in the address bar's alert, no tab.
    await paste(withUnknownToken(await consoleUrl('win2019-sql-01', 'rdp')));
    await page.locator('#url-error[role=alert]').waitFor({ timeout: 20_000 });
    await keepPageText('RDP, unknown token');
  } finally {
    await settings.update({ consoleCredentials: { cloud: 'demo', credentials: right } });
  }
});

test('VNC: a demo server from the sidebar and a pasted noVNC console URL connect', { skip: chromiumMissing }, async () => {
  await tree().getByRole('treeitem', { name: 'debian-12-db', exact: true }).click();
  await waitStatus('debian-12-db', /^Connected$/);
  const url = new URL(await consoleUrl('ubuntu-24-04-web', 'vnc'));
  await paste(url.href);
  // A noVNC URL without Horizon's title: the tab is named after the proxy.
  await tab(url.host).waitFor();
  await waitStatus(url.host, /^Connected$/);
  await keepPageText('VNC');
  await closeTab('debian-12-db');
  await closeTab(url.host);

  // The proxy drops a token it does not know: the tab says so.
  await paste(withUnknownToken(url.href));
  await waitStatus(url.host, /^Disconnected: /);
  await keepPageText('VNC, unknown token');
  await closeTab(url.host);
});

test('VNC: a vnc:// server that wants a password gets a wrong one, then the right one, typed in its dialog', { skip: vncSkip }, async () => {
  const password = randomBytes(6).toString('base64url'); // VNC authentication uses 8 characters
  const wrong = randomBytes(6).toString('base64url');
  secret('VNC password', password);
  secret('VNC password', wrong);
  xvnc = await startXvnc({ passwordFile: vncPasswordFile(join(dir, 'passwd'), password) });
  // Everything Xvnc printed so far (its start), then every later line.
  collect('Xvnc')(xvnc.proc.output());
  xvnc.proc.child.stdout?.on('data', (d: Buffer) => collect('Xvnc')(d.toString()));
  xvnc.proc.child.stderr?.on('data', (d: Buffer) => collect('Xvnc')(d.toString()));
  const title = `127.0.0.1:${xvnc.port}`;
  await paste(`vnc://${title}`);
  const dialog = page.getByRole('dialog', { name: `Password for ${title}` });
  await dialog.waitFor({ timeout: 20_000 });
  await dialog.getByLabel('Password').fill(wrong);
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await waitStatus(title, /refused the password/);
  await dialog.getByLabel('Password').fill(password);
  await dialog.getByRole('button', { name: 'Connect' }).click();
  await dialog.waitFor({ state: 'detached' });
  await waitStatus(title, /^Connected/);
  await keepPageText('vnc://');
  await closeTab(title);
});

test('serial: "Open as Serial" on a demo server logs in; a pasted serial console URL connects', { skip: chromiumMissing }, async () => {
  await tree().getByRole('treeitem', { name: 'debian-12-db', exact: true }).click({ button: 'right' });
  await page.getByRole('menu', { name: 'Open debian-12-db' }).getByRole('menuitem', { name: 'Open as Serial' }).click();
  const shown = page.locator('[role=tabpanel]:not([hidden])');
  await shown.locator('.xterm').waitFor();
  await pollUntil(page, 'Connected', async () => (await shown.getByRole('status').first().innerText()) === 'Connected', 200, 100);
  await shown.locator('.xterm').click();
  const rows = async () => (await shown.locator('.xterm-rows > div').allTextContents()).map((r) => r.replace(/\u00a0/g, ' ').trimEnd());
  const waitRow = (re: RegExp) => pollUntil(page, `${re} in the terminal`, async () => (await rows()).some((r) => re.test(r)), 200, 100);
  await page.keyboard.press('Enter');
  await waitRow(/login:$/);
  // The demo guest's password is published on its login screen ("demo"): no secret, and too short to search for.
  await page.keyboard.type('admin');
  await page.keyboard.press('Enter');
  await waitRow(/^Password:$/);
  await page.keyboard.type('demo');
  await page.keyboard.press('Enter');
  await waitRow(/@debian-12-db:~[$#]$/);

  const url = new URL(await consoleUrl('rocky-9-monitor', 'serial'));
  await paste(url.href);
  await tab(url.host).waitFor();
  await waitStatus(url.host, /^Connected$/);
  await keepPageText('serial');
  await closeTab(url.host);

  await paste(withUnknownToken(url.href));
  await waitStatus(url.host, /^Disconnected: /);
  await keepPageText('serial, unknown token');
  await closeTab(url.host);
});

test('the nova-console command against the demo cloud: clouds, resolve, a console URL, a wrong password', { skip: chromiumMissing }, async () => {
  const admin = app!.host.app.demo!.demoCloud.info.users.find((u) => u.username === 'admin')!;
  const env = {
    OS_AUTH_URL: app!.host.app.demo!.demoCloud.authUrl,
    OS_USERNAME: admin.username,
    OS_PASSWORD: admin.password,
    OS_PROJECT_NAME: admin.project_name,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  };
  const home = join(dir, 'home');
  const run = async (name: string, args: string[], overrides: Record<string, string> = {}) => {
    const r = await spawnCli(args, { ...env, ...overrides }, home);
    collect(`nova-console ${name}: stderr`)(r.stderr);
    return r;
  };
  const keepStdout = (name: string, stdout: string) => collect(`nova-console ${name}: stdout`)(stdout);

  const clouds = await run('clouds', ['clouds']);
  assert.equal(clouds.code, 0, clouds.stderr);
  keepStdout('clouds', clouds.stdout);

  const rdpUrl = await consoleUrl('win2022-web-02', 'rdp');
  const resolved = await run('resolve', ['resolve', rdpUrl]);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.equal(JSON.parse(resolved.stdout).instance_uuid, serverNamed('win2022-web-02').id);
  keepStdout('resolve', resolved.stdout);
  const unknown = await run('resolve with an unknown token', ['resolve', withUnknownToken(rdpUrl)]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /expired or unknown/);
  keepStdout('resolve with an unknown token', unknown.stdout);

  // Printing a console URL is what `url` is for: its token is in the `url` field and nowhere else.
  const printed = await run('url', ['url', 'fedora-40-dev', '--type', 'serial']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(printed.stdout.trim().split('\n').length, 1, 'one line of JSON');
  const { url, ...rest } = JSON.parse(printed.stdout);
  const token = new URL(url).searchParams.get('token');
  assert.ok(token, `the printed URL carries a token: ${typeof url}`);
  secret('console token', token);
  keepStdout('url (without its url field)', JSON.stringify(rest));

  const wrong = randomBytes(12).toString('base64url');
  secret('OpenStack password', wrong);
  const refused = await run('url with a wrong password', ['url', 'fedora-40-dev'], { OS_PASSWORD: wrong });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /rejected/);
  keepStdout('url with a wrong password', refused.stdout);
});

test('no secret appears in any line that was printed or shown, nor in a file the app wrote', { skip: chromiumMissing }, async (t) => {
  await keepPageText('end');
  // The data folder goes with the app: read first. A secret in a file is no log line, but it is a leak all the same.
  const files: Line[] = [];
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  for (const f of walk(app!.host.dataDir)) files.push({ source: `file ${f.slice(app!.host.dataDir.length)}`, text: readFileSync(f, 'latin1') });
  await stopEverything();
  await Promise.all(pendingReads);

  assert.deepEqual(tooShort, [], 'every secret is long enough to search for');
  const kinds = new Set([...secrets.keys()].map((k) => k.replace(/ #\d+$/, '')));
  for (const kind of ['page secret', 'OpenStack password', 'console password', 'Keystone token', 'console token', 'unknown console token', 'gateway token', 'relay grant']) {
    assert.ok(kinds.has(kind), `secrets of every kind were collected: no ${kind} in ${[...kinds].join(', ')}`);
  }
  if (!vncSkip) assert.ok(kinds.has('VNC password'));
  // A search that read nothing proves nothing: every source the run had spoke.
  const sources = new Set(lines.map((l) => l.source.replace(/ \(.*\)$/, '')));
  assert.ok(lines.some((l) => l.source === 'page console (arguments)' && l.text.includes('"arguments too"')), "the page console's arguments were read");
  const speaking = ['host log', 'chromium', 'page console', 'page text', 'nova-console clouds: stdout', 'nova-console resolve with an unknown token: stderr', 'nova-console url with a wrong password: stderr'];
  for (const source of [...speaking, ...(vncSkip ? [] : ['Xvnc'])]) {
    assert.ok(sources.has(source), `lines were collected from ${source} (have ${[...sources].join(', ')})`);
  }
  assert.ok(files.length > 0, 'the app wrote files');
  const count = (keys: string[]) => [...new Set(keys)].map((k) => `${k}: ${keys.filter((x) => x === k).length}`).join(', ');
  t.diagnostic(`lines read: ${count(lines.map((l) => l.source))}; files read: ${files.length}`);
  t.diagnostic(`secrets searched for: ${count([...secrets.keys()].map((k) => k.replace(/ #\d+$/, '')))}`);

  const found: string[] = [];
  for (const line of [...lines, ...files]) {
    const text = line.text.toLowerCase();
    for (const [kind, value] of secrets) {
      if (!text.includes(value.toLowerCase())) continue;
      let shown = line.text;
      for (const [k, v] of secrets) shown = shown.replace(new RegExp(v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), `«${k}»`);
      found.push(`${kind} in ${line.source}: ${shown.slice(0, 300)}`);
    }
  }
  assert.deepEqual(found, [], `${found.length} secrets found in ${lines.length} lines and ${files.length} files:\n${found.join('\n')}`);
});
