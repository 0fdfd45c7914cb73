import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from '../e2e/app/harness.ts';
import { startFakeCloud, type FakeCloud, type FakeOptions, type FakeServer, type FakeUser } from '../electron/openstack/fake-openstack.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { startWebsockify, startXvnc, type Websockify, type Xvnc } from '../support/vnc-servers.ts';
import { haveBinary } from '../support/xvfb.ts';
import { RECONNECT_DELAYS_MS } from '../../renderer/logic/auto-reconnect.ts';
import { keystoneError, novaFault, startCloudFaultSwitch, type CloudFaultSwitch, type Exchange } from './cloud-fault-switch.ts';

// Cloud-side faults as the administrator meets them, in the app itself (browser mode, Chromium): Keystone and Nova
// answering 500, Nova that accepts and never answers, a catalog without compute, and the Keystone token dying or the
// credentials being refused while a console tab reconnects by itself. Each cloud is the fake Keystone + Nova behind
// a fault switch (an HTTP front that answers in the cloud's place while a fault is on); consoles are real: Xvnc
// behind websockify, reached through a TCP fault proxy whose kill() breaks the running session. Every scenario ends
// by checking that nothing went unhandled: no page error, no console error in the page, and no unhandled rejection
// in this process, which hosts the app's main-process side in browser mode.

const TOOLS = ['/usr/bin/Xvnc', '/usr/bin/websockify'];
const toolMissing = TOOLS.find((bin) => !haveBinary(bin));
const skip = chromiumMissing ?? (toolMissing ? `${toolMissing} is not installed (run scripts/install-test-deps.sh)` : undefined);

/** The slow cloud's clouds.yaml api_timeout, in seconds: short, so a hung Nova is given up on quickly. */
const API_TIMEOUT_S = 2;
/** Nova's words for an internal error (its 500 envelope), as a test of "the page quotes Nova" needs them. */
const NOVA_500 = "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class 'oslo_db.exception.DBConnectionError'>";
const KEYSTONE_500 = 'An unexpected error prevented the server from fulfilling your request.';

const SERVERS: FakeServer[] = [
  { id: 'a1111111-1111-4111-8111-111111111111', name: 'web-1', status: 'ACTIVE', project: 'demo' },
  { id: 'a2222222-2222-4222-8222-222222222222', name: 'web-2', status: 'ACTIVE', project: 'demo' },
  { id: 'a3333333-3333-4333-8333-333333333333', name: 'web-3', status: 'ACTIVE', project: 'demo' },
];

/** One cloud of the app's clouds.yaml: the fake, the front the app talks to, and its user (password included). */
interface Cloud {
  name: string;
  fake: FakeCloud;
  front: CloudFaultSwitch;
  user: FakeUser;
  /** Its own list (a test may add a server). */
  servers: FakeServer[];
  /** `skewMs` is added to the fake's clock: moving it on expires every Keystone token as Keystone sees it. */
  clock: { skewMs: number };
}

const clouds = new Map<string, Cloud>();
const cloud = (name: string) => clouds.get(name)!;
let app: AppUnderTest | undefined;
let page: Page;
let xvnc: Xvnc | undefined;
let websockify: Websockify | undefined;
/** Between the app's relay and websockify: breaks the running console sessions. */
let consoleLink: FaultProxy | undefined;

/** What went unhandled anywhere, for the check that ends every scenario. */
const problems: string[] = [];
const onRejection = (reason: unknown) => problems.push(`unhandled rejection in the main process: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);

async function startCloud(name: string, opts: Omit<FakeOptions, 'users' | 'servers' | 'now'> = {}): Promise<Cloud> {
  const front = await startCloudFaultSwitch();
  // The password is unique and recognisable, so the page can be searched for it.
  const user: FakeUser = { username: 'operator', password: `pw-${name}-${randomUUID()}`, project: 'demo', roles: ['member', 'reader'] };
  const servers = [...SERVERS];
  const clock = { skewMs: 0 };
  const fake = await startFakeCloud({
    users: [user],
    servers,
    now: () => Date.now() + clock.skewMs,
    // Nova as the catalog names it is the front, so every compute request passes the fault switch too.
    catalog: () => [{ interface: 'public', region: 'RegionOne', url: `${front.base}/compute/v2.1` }],
    ...opts,
  });
  front.target = fake.base;
  const c: Cloud = { name, fake, front, user, servers, clock };
  clouds.set(name, c);
  return c;
}

function cloudsYaml(): string {
  const lines = ['clouds:'];
  for (const c of clouds.values()) {
    lines.push(
      `  ${c.name}:`,
      '    auth:',
      `      auth_url: ${c.front.base}/identity/v3`,
      `      username: ${c.user.username}`,
      `      password: ${c.user.password}`,
      `      project_name: ${c.user.project}`,
      '      user_domain_name: Default',
      '      project_domain_name: Default',
    );
    if (c.name === 'slow-nova') lines.push(`    api_timeout: ${API_TIMEOUT_S}`);
  }
  return lines.join('\n') + '\n';
}

const isServerList = (method: string, path: string) => method === 'GET' && path === '/compute/v2.1/servers/detail';
const isAuth = (method: string, path: string) => method === 'POST' && path === '/identity/v3/auth/tokens';
const isConsoleRequest = (method: string, path: string) => method === 'POST' && path.endsWith('/remote-consoles');

before(async () => {
  if (skip) return;
  process.on('unhandledRejection', onRejection);
  xvnc = await startXvnc({ width: 640, height: 480 });
  websockify = await startWebsockify();
  consoleLink = await startFaultProxy({ target: { host: '127.0.0.1', port: websockify.port } });

  // The cloud whose consoles open: its Nova hands out noVNC URLs on the console link.
  const lab = await startCloud('lab', { consoles: { vnc: 'ok' }, vncBase: `http://127.0.0.1:${consoleLink.port}/vnc_lite.html` });
  // websockify knows the tokens of its token file, as Nova's proxy knows those in Nova's database: each console URL
  // the fake Nova hands out is registered before the app gets it.
  lab.front.onAnswer((x) => {
    if (!isConsoleRequest(x.method, x.path.split('?')[0]) || x.status !== 200) return;
    const url = (JSON.parse(x.body) as { remote_console: { url: string } }).remote_console.url;
    const token = new URLSearchParams(new URL(url).searchParams.get('path')!.replace(/^\?/, '')).get('token')!;
    websockify!.addToken(token, '127.0.0.1', xvnc!.port);
  });
  (await startCloud('nova-500')).front.fail(isServerList, novaFault(500, NOVA_500));
  (await startCloud('keystone-500')).front.fail(isAuth, keystoneError(500, KEYSTONE_500, 'Internal Server Error'));
  (await startCloud('slow-nova')).front.fail((_m, path) => path.startsWith('/compute'), { kind: 'hang' });
  // Keystone's answer carries the compute service with no endpoint at all.
  await startCloud('no-compute', { catalog: () => [] });

  app = await startAppUnderTest({ compose: { demo: false }, cloudsYaml: cloudsYaml() });
  page = app.page;
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error in the page: ${msg.text()}`);
  });
  await page.goto(app.host.url);
  await tree('lab').getByRole('treeitem', { name: 'web-1', exact: true }).waitFor();
});

after(async () => {
  await app?.stop();
  for (const c of clouds.values()) {
    await c.front.close();
    await c.fake.close();
  }
  await consoleLink?.close();
  await websockify?.stop();
  await xvnc?.stop();
  process.off('unhandledRejection', onRejection);
});

const region = (name: string) => page.getByRole('region', { name, exact: true });
const tree = (name: string) => page.getByRole('tree', { name, exact: true });
const alertOf = (name: string) => region(name).getByRole('alert');
const tab = (name: string) => page.getByRole('tab', { name, exact: true });
const panelId = async (name: string) => (await tab(name).getAttribute('aria-controls'))!;
// Panels of inactive tabs are hidden, so CSS, not the accessibility tree, finds their status lines.
const statusText = async (name: string) => (await page.locator(`#${await panelId(name)} [role=status]`).textContent()) ?? '';

/** The names the cloud's tree lists. */
const listed = (name: string) => tree(name).getByRole('treeitem').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));

async function waitAlert(name: string, re: RegExp, timeout = 20_000): Promise<string> {
  await page.waitForFunction(
    ({ name, src }) => {
      const heading = [...document.querySelectorAll('section.cloud h2')].find((h) => h.textContent === name);
      return new RegExp(src).test(heading?.closest('section')?.querySelector('[role=alert]')?.textContent ?? '');
    },
    { name, src: re.source },
    { timeout },
  );
  return alertOf(name).innerText();
}

async function waitStatus(name: string, re: RegExp, timeout = 30_000): Promise<string> {
  const id = await panelId(name);
  await page.waitForFunction(({ id, src }) => new RegExp(src).test(document.querySelector(`#${id} [role=status]`)?.textContent ?? ''), { id, src: re.source }, { timeout });
  return statusText(name);
}

/** Records every text the tab's status line shows from now on (a try's countdown lasts only seconds). */
async function recordStatus(name: string): Promise<() => Promise<string[]>> {
  const id = await panelId(name);
  await page.evaluate((id) => {
    const el = document.querySelector(`#${id} [role=status]`)!;
    const seen: string[] = [el.textContent ?? ''];
    (window as unknown as Record<string, string[]>)[`seen-${id}`] = seen;
    new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
  }, id);
  return () => page.evaluate((id) => (window as unknown as Record<string, string[]>)[`seen-${id}`], id);
}

/** Opens a lab server's console from the sidebar and waits until it runs. */
async function openConsole(server: string): Promise<void> {
  await tree('lab').getByRole('treeitem', { name: server, exact: true }).click();
  await tab(server).waitFor();
  await waitStatus(server, /^Connected$/);
}

async function closeConsole(server: string): Promise<void> {
  await page.getByRole('button', { name: `Close ${server}`, exact: true }).click();
  await tab(server).waitFor({ state: 'detached' });
}

/** The exchanges of a cloud from `from` on (an index into its front's log). */
const since = (c: Cloud, from: number): Exchange[] => c.front.exchanges.slice(from);

/** No secret of any cloud (a password, a Keystone token) anywhere in the page, hidden parts and attributes included. */
async function assertNoSecrets(): Promise<void> {
  const html = await page.content();
  for (const c of clouds.values()) {
    assert.ok(!html.includes(c.user.password), `the password of cloud ${c.name} is in the page`);
    for (const token of c.fake.issued) assert.ok(!html.includes(token), `a Keystone token of cloud ${c.name} is in the page`);
  }
}

function assertNothingUnhandled(): void {
  assert.deepEqual(problems, [], 'nothing went unhandled in the page or the main process');
}

test('Nova answering 500 on the server list: the sidebar quotes Nova; other clouds work; after recovery Refresh lists the servers', { skip }, async (t) => {
  const text = await waitAlert('nova-500', /500/);
  t.diagnostic(text);
  const c = cloud('nova-500');
  assert.ok(text.includes('500'), `the status is named: ${text}`);
  assert.ok(text.includes('Unexpected API Error'), `Nova's own words are shown: ${text}`);
  assert.ok(text.includes(`${c.front.base}/compute/v2.1/servers/detail`), `the URL that failed is named: ${text}`);
  assert.match(text, /could not list its servers/, 'Nova answered: it is not called out of reach');
  assert.doesNotMatch(text, /cannot be reached/);
  assert.deepEqual(await listed('nova-500'), []);
  assert.ok(since(c, 0).some((x) => x.faulted && x.status === 500), 'the fault was actually served');

  // Another cloud was listed all along.
  assert.deepEqual(await listed('lab'), ['web-1', 'web-2', 'web-3']);

  // Nova recovers: Refresh lists the servers and the alert goes.
  c.front.clear();
  await page.getByRole('button', { name: 'Refresh nova-500', exact: true }).click();
  await tree('nova-500').getByRole('treeitem', { name: 'web-1', exact: true }).waitFor();
  assert.deepEqual(await listed('nova-500'), ['web-1', 'web-2', 'web-3']);
  assert.equal(await alertOf('nova-500').count(), 0);
  assertNothingUnhandled();
});

test('Keystone answering 500 to the sign-in: the cloud says Keystone failed, quoting it; no password in the page', { skip }, async (t) => {
  const c = cloud('keystone-500');
  const text = await waitAlert('keystone-500', /Keystone/);
  t.diagnostic(text);
  assert.ok(text.includes(`Keystone at ${c.front.base}/identity/v3`), `Keystone and its URL are named: ${text}`);
  assert.match(text, /answered 500/);
  assert.ok(text.includes(KEYSTONE_500), `Keystone's own words are shown: ${text}`);
  assert.deepEqual(await listed('keystone-500'), []);
  // The user name may be shown; the password never.
  await assertNoSecrets();

  c.front.clear();
  await page.getByRole('button', { name: 'Refresh keystone-500', exact: true }).click();
  await tree('keystone-500').getByRole('treeitem', { name: 'web-1', exact: true }).waitFor();
  assert.equal(await alertOf('keystone-500').count(), 0);
  await assertNoSecrets();
  assertNothingUnhandled();
});

test('Nova accepting and never answering: the sidebar says it timed out, naming the URL, after api_timeout; other clouds are not held up', { skip }, async (t) => {
  const c = cloud('slow-nova');
  const first = await waitAlert('slow-nova', /no answer/);
  t.diagnostic(first);
  assert.ok(first.includes(`no answer within ${API_TIMEOUT_S} s from ${c.front.base}/compute/v2.1`), `the timeout and the URL are named: ${first}`);
  assert.match(first, /slow-nova/);

  // Refresh: the cloud waits api_timeout once more, no less and not much more.
  const hangsBefore = since(c, 0).filter((x) => x.faulted).length;
  const startedAt = Date.now();
  await page.getByRole('button', { name: 'Refresh slow-nova', exact: true }).click();
  await region('slow-nova').getByText('Loading servers…').waitFor();
  // Meanwhile another cloud refreshes without waiting for this one: a server added to it shows up.
  const lab = cloud('lab');
  lab.servers.push({ id: 'a4444444-4444-4444-8444-444444444444', name: 'web-4', status: 'ACTIVE', project: 'demo' });
  await page.getByRole('button', { name: 'Refresh lab', exact: true }).click();
  await tree('lab').getByRole('treeitem', { name: 'web-4', exact: true }).waitFor();
  assert.equal(await region('slow-nova').getByText('Loading servers…').count(), 1, 'slow-nova is still waiting for Nova while lab is listed');
  await waitAlert('slow-nova', /no answer/);
  const waited = Date.now() - startedAt;
  t.diagnostic(`the refresh failed after ${waited} ms`);
  assert.ok(waited >= API_TIMEOUT_S * 1000 - 200, `the app gave Nova its api_timeout (${waited} ms)`);
  assert.ok(waited < API_TIMEOUT_S * 1000 + 4000, `the failure shows within the timeout, plus the page's own time (${waited} ms)`);
  assert.ok(since(c, 0).filter((x) => x.faulted).length > hangsBefore, 'Nova was asked again and hung again');

  // Nova answers again: Refresh lists the servers.
  c.front.clear();
  await page.getByRole('button', { name: 'Refresh slow-nova', exact: true }).click();
  await tree('slow-nova').getByRole('treeitem', { name: 'web-1', exact: true }).waitFor();
  assert.equal(await alertOf('slow-nova').count(), 0);
  assertNothingUnhandled();
});

test('a catalog without compute: the cloud says the Keystone catalog has no compute service', { skip }, async (t) => {
  const text = await waitAlert('no-compute', /catalog/);
  t.diagnostic(text);
  assert.match(text, /Keystone catalog has no compute service \(the cloud offers none to this project\)/);
  assert.match(text, /no-compute/);
  assert.deepEqual(await listed('no-compute'), []);
  // Nova was never asked: there was nothing to ask.
  assert.ok(!since(cloud('no-compute'), 0).some((x) => x.path.startsWith('/compute')));
  assertNothingUnhandled();
});

test('the Keystone token revoked, then expired, mid-session: each lost session comes back by itself with a fresh token', { skip }, async (t) => {
  const c = cloud('lab');
  await openConsole('web-1');
  const seen = await recordStatus('web-1');

  // Keystone revokes every token; then the console's connection breaks.
  let mark = c.front.exchanges.length;
  let issued = c.fake.issued.length;
  c.fake.revokeAll();
  consoleLink!.kill();
  await waitStatus('web-1', /^Connection lost/);
  await waitStatus('web-1', /^Connected$/);
  await page.locator(`#${await panelId('web-1')} .note`).filter({ hasText: 'Reconnected (try 1).' }).waitFor();
  let log = since(c, mark);
  t.diagnostic(`after the revocation: ${log.map((x) => `${x.method} ${x.path.split('?')[0]} ${x.status}`).join(', ')}`);
  assert.ok(log.some((x) => x.path.startsWith('/compute') && x.status === 401), 'Nova refused the revoked token');
  assert.ok(log.some((x) => isAuth(x.method, x.path) && x.status === 201), 'the app signed in again');
  assert.ok(c.fake.issued.length > issued, 'a new Keystone token was issued');
  assert.ok(log.some((x) => isConsoleRequest(x.method, x.path) && x.status === 200), 'a fresh console URL was fetched');
  assert.ok((await seen()).some((s) => /reconnecting, try 1 of 6/.test(s)), `the tab said it was reconnecting: ${JSON.stringify(await seen())}`);

  // Now every token expires as Keystone sees it (its clock moves on two hours), and the session breaks again.
  mark = c.front.exchanges.length;
  issued = c.fake.issued.length;
  const seenBefore = (await seen()).length;
  c.clock.skewMs += 2 * 3600_000;
  consoleLink!.kill();
  await page.waitForFunction(
    ({ id, n }) => {
      const s = (window as unknown as Record<string, string[]>)[`seen-${id}`];
      return s.length > n && s.slice(n).some((x) => x.startsWith('Connection lost')) && s[s.length - 1] === 'Connected';
    },
    { id: await panelId('web-1'), n: seenBefore },
    { timeout: 30_000 },
  );
  log = since(c, mark);
  t.diagnostic(`after the expiry: ${log.map((x) => `${x.method} ${x.path.split('?')[0]} ${x.status}`).join(', ')}`);
  assert.ok(log.some((x) => x.path.startsWith('/compute') && x.status === 401), 'Nova refused the expired token');
  assert.ok(c.fake.issued.length > issued, 'a new Keystone token was issued');
  assert.equal(await statusText('web-1'), 'Connected');
  assert.equal(await page.locator(`#${await panelId('web-1')} .note`).innerText(), 'Reconnected (try 1).');
  await closeConsole('web-1');
  await assertNoSecrets();
  assertNothingUnhandled();
});

test('Nova answering 500 to the console URL request while a tab reconnects: the tries go on, and it reconnects once Nova recovers', { skip }, async (t) => {
  const c = cloud('lab');
  await openConsole('web-2');
  const seen = await recordStatus('web-2');
  const mark = c.front.exchanges.length;
  const restore = c.front.fail(isConsoleRequest, novaFault(500, NOVA_500));
  consoleLink!.kill();

  // Try 1 (after 1 s) meets the 500; the tab keeps going and counts the next try, 2 s later. What the page shows
  // while it waits is read at once, and Nova recovers right after, before try 2.
  const panel = page.locator(`#${await panelId('web-2')}`);
  const text = await waitStatus('web-2', /reconnecting, try 2 of 6 in \d+ s/);
  const [why, reconnectNow, stop] = await Promise.all([
    panel.locator('.no-console').innerText(),
    panel.getByRole('button', { name: 'Reconnect now' }).count(),
    panel.getByRole('button', { name: 'Stop reconnecting' }).count(),
  ]);
  restore();
  t.diagnostic(text);
  t.diagnostic(why);
  assert.match(why, /500/, `the failed try names Nova's status: ${why}`);
  assert.match(why, /Unexpected API Error/, `the failed try quotes Nova: ${why}`);
  assert.ok(since(c, mark).some((x) => x.faulted && isConsoleRequest(x.method, x.path)), 'the console request met the fault');
  assert.equal(reconnectNow, 1, 'the user may try at once');
  assert.equal(stop, 1, 'or stop');

  // Try 2 gets a console URL and the tab is back.
  await waitStatus('web-2', /^Connected$/);
  await panel.locator('.note').filter({ hasText: /^Reconnected \(try 2\)\.$/ }).waitFor();
  const texts = await seen();
  t.diagnostic(JSON.stringify(texts));
  assert.ok(texts.some((s) => /reconnecting, try 1 of 6/.test(s)));
  assert.ok(!texts.some((s) => /^Disconnected/.test(s)), 'a 500 never stopped the tries');
  await closeConsole('web-2');
  assertNothingUnhandled();
});

test('Keystone refusing the credentials while a tab reconnects: the tries stop at once, the tab says why and offers Reconnect', { skip }, async (t) => {
  const c = cloud('lab');
  await openConsole('web-3');
  const seen = await recordStatus('web-3');
  const oldPassword = c.user.password;
  const mark = c.front.exchanges.length;
  // The password is changed in Keystone (the fake holds this very user record) and the app's token revoked, so the
  // next Nova request needs a sign-in, which fails.
  c.user.password = `rotated-${randomUUID()}`;
  c.fake.revokeAll();
  consoleLink!.kill();

  const text = await waitStatus('web-3', /^Disconnected: /);
  t.diagnostic(text);
  assert.ok(text.includes(`Keystone at ${c.front.base}/identity/v3 rejected the password for user 'operator' (401)`), text);
  const panel = page.locator(`#${await panelId('web-3')}`);
  assert.equal(await panel.getByRole('button', { name: 'Reconnect', exact: true }).count(), 1);
  assert.equal(await panel.getByRole('button', { name: 'Stop reconnecting' }).count(), 0, 'nothing is pending');
  // Try 2 would have started 2 s after try 1: wait past it, and see nothing more was tried.
  const signIns = () => since(c, mark).filter((x) => isAuth(x.method, x.path)).length;
  const lookups = () => since(c, mark).filter((x) => x.path.split('?')[0].endsWith('/servers/' + SERVERS[2].id)).length;
  // The tab's end also asks Nova once about the server (which meets the same refusal): let that settle first.
  await page.waitForTimeout(700);
  const [authsThen, lookupsThen] = [signIns(), lookups()];
  await page.waitForTimeout(3000);
  assert.equal(await statusText('web-3'), text, 'the reason stays');
  assert.equal(signIns(), authsThen, 'no further sign-in was tried');
  assert.equal(lookups(), lookupsThen, 'Nova was not asked for the server again');
  const texts = await seen();
  t.diagnostic(JSON.stringify(texts));
  assert.ok(!texts.some((s) => /try 2 of 6/.test(s)), 'no second try');
  assert.ok(since(c, mark).some((x) => isAuth(x.method, x.path) && x.status === 401), 'Keystone refused the password');
  // Neither the old password nor the new one is in the page.
  const html = await page.content();
  assert.ok(!html.includes(oldPassword) && !html.includes(c.user.password));

  // The administrator fixes the password (here: Keystone takes the old one back) and presses Reconnect.
  c.user.password = oldPassword;
  await panel.getByRole('button', { name: 'Reconnect', exact: true }).click();
  await waitStatus('web-3', /^Connected$/);
  await closeConsole('web-3');
  await assertNoSecrets();
  assertNothingUnhandled();
});

// A tab that says "try 1 of 6 in 2 s" when the try comes after 1 s misleads the one reading it; rounding the wait up
// to whole seconds is fine, adding a second to it is not.
test('the countdown to the next try never announces it later than it comes', { skip }, async (t) => {
  await openConsole('web-1');
  const seen = await recordStatus('web-1');
  consoleLink!.kill();
  await waitStatus('web-1', /^Connection lost/);
  await waitStatus('web-1', /^Connected$/);
  const texts = await seen();
  await closeConsole('web-1');
  t.diagnostic(JSON.stringify(texts));
  const countdowns = texts.flatMap((s) => {
    const m = /try (\d) of 6 in (\d+) s$/.exec(s);
    return m ? [{ attempt: Number(m[1]), seconds: Number(m[2]) }] : [];
  });
  assert.ok(countdowns.length > 0, 'a countdown was shown');
  for (const { attempt, seconds } of countdowns) {
    const delay = RECONNECT_DELAYS_MS[attempt - 1] / 1000;
    assert.ok(seconds <= delay, `try ${attempt} comes ${delay} s after the loss, but the tab said "in ${seconds} s"`);
  }
  assertNothingUnhandled();
});
