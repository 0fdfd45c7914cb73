import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleTarget, RelayGrant, ServerDetails } from '../../../electron/common/contract.ts';
import { createAppStore } from '../../../renderer/store/index.ts';
import { consoleStatusText, followStep } from '../../../renderer/store/server-follow.ts';
import type { ConsoleTab } from '../../../renderer/store/types.ts';
import { ApiRequestError } from '../../../renderer/api/console-api.ts';
import { fakeApi, settle } from './fake-api.ts';

const SERVER = { id: 'srv-1', name: 'debian-12-db', status: 'ACTIVE', addresses: [] };

function details(status: string, taskState: string | null = null): ServerDetails {
  return {
    cloud: 'demo', id: SERVER.id, name: SERVER.name, status, taskState, vmState: null, powerState: null,
    addresses: [], flavor: {}, image: null, created: '2026-01-01T00:00:00Z', projectId: 'p',
  };
}

let grants = 0;
const grantFor = (target: ConsoleTarget): RelayGrant => ({
  protocol: 'vnc',
  sessionId: `s-${++grants}`,
  title: SERVER.name,
  relayUrl: 'ws://127.0.0.1:1/relay?grant=x',
  endpoint: '127.0.0.1:6080',
  server: { cloud: 'demo', id: target.kind === 'server' ? target.server : SERVER.id, name: SERVER.name, status: 'ACTIVE' },
});

/** A store with one connected console of SERVER, whose server.get answers what `now.status` says. */
async function connectedConsole() {
  const now = { status: 'ACTIVE', taskState: null as string | null, fail: false };
  const fake = fakeApi({
    'session.open': (t: ConsoleTarget) => grantFor(t),
    'session.close': () => undefined,
    'server.get': () => {
      if (now.fail) throw new ApiRequestError('unreachable', 'connection refused');
      return details(now.status, now.taskState);
    },
  });
  const store = createAppStore(fake.api);
  await store.getState().openServer('demo', SERVER);
  const tab = () => store.getState().tabs[0] as ConsoleTab;
  store.getState().setTabState(tab().id, tab().attempt, 'connected');
  return { ...fake, store, tab, now };
}

test('followStep: stopped and suspended end the session once; paused keeps it; ACTIVE again brings back what the server ended', () => {
  const live = { state: 'connected' as const, serverHold: undefined };
  assert.deepEqual(followStep(live, details('SHUTOFF')), { kind: 'end', hold: 'stopped', reason: 'the server was stopped' });
  assert.deepEqual(followStep(live, details('SUSPENDED')), { kind: 'end', hold: 'suspended', reason: 'the server was suspended' });
  assert.deepEqual(followStep(live, details('PAUSED')), { kind: 'pause' });
  assert.deepEqual(followStep(live, details('ACTIVE')), { kind: 'none' });
  // Already following: no second end, no retry while the server stays down.
  assert.deepEqual(followStep({ state: 'disconnected', serverHold: 'stopped' }, details('SHUTOFF')), { kind: 'none' });
  assert.deepEqual(followStep({ state: 'disconnected', serverHold: 'stopped' }, details('ACTIVE', 'powering-on')), { kind: 'none' }, 'a task still runs');
  assert.deepEqual(followStep({ state: 'disconnected', serverHold: 'stopped' }, details('ACTIVE')), { kind: 'reconnect' });
  assert.deepEqual(followStep({ state: 'disconnected', serverHold: 'suspended' }, details('active')), { kind: 'reconnect' });
  assert.deepEqual(followStep({ state: 'connected', serverHold: 'paused' }, details('ACTIVE')), { kind: 'unpause' });
  assert.deepEqual(followStep({ state: 'connected', serverHold: 'paused' }, details('SHUTOFF')), { kind: 'end', hold: 'stopped', reason: 'the server was stopped' });
  // A reboot only matters to a session that dropped; a session that ended for another reason is left alone.
  assert.deepEqual(followStep(live, details('HARD_REBOOT')), { kind: 'none' });
  assert.deepEqual(followStep({ state: 'disconnected' }, details('REBOOT')), { kind: 'end', hold: 'rebooting', reason: 'the server is rebooting' });
  assert.deepEqual(followStep({ state: 'disconnected' }, details('ACTIVE')), { kind: 'none' });
  assert.deepEqual(followStep({ state: 'disconnected' }, details('ERROR')), { kind: 'none' });
});

test('the status line: Paused for a paused server that keeps its session, the reason for an ended one', () => {
  assert.equal(consoleStatusText({ state: 'connected', serverHold: 'paused' }), 'Paused');
  assert.equal(consoleStatusText({ state: 'connected' }), 'Connected');
  assert.equal(consoleStatusText({ state: 'disconnected', reason: 'the server was stopped', serverHold: 'stopped' }), 'Disconnected: the server was stopped');
  assert.equal(consoleStatusText({ state: 'opening' }), 'Connecting…');
});

test('a console whose server is stopped says so, drops its session, does not retry, and reconnects when the server runs again', async () => {
  const { store, tab, now, named } = await connectedConsole();
  const session = tab().grant!.sessionId;
  now.status = 'SHUTOFF';
  await store.getState().refreshServer('demo', SERVER.id);
  assert.equal(tab().state, 'disconnected');
  assert.equal(consoleStatusText(tab()), 'Disconnected: the server was stopped');
  assert.equal(tab().grant, undefined, 'the display closes its session');
  assert.ok(named('session.close').some((c) => c.args.sessionId === session));

  // The engine's and the gateway's own "closed" arrive late: the server's reason stays.
  store.getState().setTabState(tab().id, tab().attempt, 'disconnected', 'The server closed the session.', 'gateway');
  assert.equal(tab().reason, 'the server was stopped');

  // More polls while it stays down: no new console is asked for.
  const opens = named('session.open').length;
  await store.getState().refreshServer('demo', SERVER.id);
  now.status = 'ACTIVE';
  now.taskState = 'powering-on';
  await store.getState().refreshServer('demo', SERVER.id);
  assert.equal(named('session.open').length, opens);

  now.taskState = null;
  await store.getState().refreshServer('demo', SERVER.id);
  await settle();
  assert.equal(named('session.open').length, opens + 1, 'a fresh console URL');
  assert.deepEqual(named('session.open').at(-1)!.args, { kind: 'server', cloud: 'demo', server: SERVER.id, protocol: 'vnc' });
  assert.equal(tab().state, 'connecting');
  assert.equal(tab().serverHold, undefined);
  assert.ok(tab().grant);
});

test('a suspended server ends the console the same way; a paused one keeps the session and says Paused', async () => {
  const { store, tab, now } = await connectedConsole();
  now.status = 'PAUSED';
  await store.getState().refreshServer('demo', SERVER.id);
  assert.equal(tab().state, 'connected');
  assert.ok(tab().grant, 'the session stays');
  assert.equal(consoleStatusText(tab()), 'Paused');
  now.status = 'ACTIVE';
  await store.getState().refreshServer('demo', SERVER.id);
  assert.equal(consoleStatusText(tab()), 'Connected');

  now.status = 'SUSPENDED';
  await store.getState().refreshServer('demo', SERVER.id);
  assert.equal(consoleStatusText(tab()), 'Disconnected: the server was suspended');
});

test('a session that ends asks Nova once what the server does; a plain failure with the server running changes nothing', async () => {
  const { store, tab, now, named } = await connectedConsole();
  now.status = 'SHUTOFF';
  assert.equal(named('server.get').length, 0);
  store.getState().setTabState(tab().id, tab().attempt, 'disconnected', 'The server closed the session.', 'gateway');
  await settle();
  assert.equal(named('server.get').length, 1);
  assert.equal(tab().reason, 'the server was stopped');

  // Running server, session dropped for some other reason: the reason stays, nothing reconnects by itself.
  const other = await connectedConsole();
  other.store.getState().setTabState(other.tab().id, other.tab().attempt, 'disconnected', 'The console token expired.', 'gateway', 'failed');
  await settle();
  assert.equal(other.named('server.get').length, 1);
  assert.equal(other.tab().reason, 'The console token expired.');
  assert.equal(other.named('session.open').length, 1);
});

test('a console that could not open on a stopped server starts by itself once the server is started', async () => {
  const now = { status: 'SHUTOFF' };
  const { api, named } = fakeApi({
    'session.open': (t: ConsoleTarget) => {
      if (now.status !== 'ACTIVE') throw new ApiRequestError('not-ready', 'Server debian-12-db is not running.');
      return grantFor(t);
    },
    'server.get': () => details(now.status),
  });
  const store = createAppStore(api);
  await store.getState().openServer('demo', SERVER);
  await settle();
  const tab = () => store.getState().tabs[0] as ConsoleTab;
  assert.equal(tab().state, 'disconnected');
  assert.equal(tab().reason, 'the server was stopped');
  now.status = 'ACTIVE';
  await store.getState().refreshServer('demo', SERVER.id);
  await settle();
  assert.equal(named('session.open').length, 2);
  assert.equal(tab().state, 'connecting');
});

test('an older server.get answer that arrives after a newer one is dropped', async () => {
  const answers: Array<(d: ServerDetails) => void> = [];
  const { api } = fakeApi({ 'server.get': () => new Promise<ServerDetails>((resolve) => answers.push(resolve)) });
  const store = createAppStore(api);
  const first = store.getState().refreshServer('demo', SERVER.id);
  const second = store.getState().refreshServer('demo', SERVER.id);
  answers[1](details('SHUTOFF'));
  await second;
  answers[0](details('ACTIVE'));
  await first;
  const info = Object.values(store.getState().serverInfo)[0];
  assert.equal(info.details?.status, 'SHUTOFF');
});

test('a failed server.get keeps the last details and says why; it never ends a console', async () => {
  const { store, tab, now } = await connectedConsole();
  await store.getState().refreshServer('demo', SERVER.id);
  now.fail = true;
  await store.getState().refreshServer('demo', SERVER.id);
  const info = Object.values(store.getState().serverInfo)[0];
  assert.equal(info.details?.status, 'ACTIVE');
  assert.match(info.error!, /connection refused/);
  assert.equal(tab().state, 'connected');
});
