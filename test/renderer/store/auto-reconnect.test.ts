import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleTarget, RelayGrant, ServerDetails, SessionEndCause } from '../../../electron/common/contract.ts';
import { createAppStore } from '../../../renderer/store/index.ts';
import { consoleStatusText } from '../../../renderer/store/server-follow.ts';
import type { ConsoleTab } from '../../../renderer/store/types.ts';
import { ApiRequestError } from '../../../renderer/api/console-api.ts';
import { classifyEnd, MAX_RECONNECT_TRIES, nextAfterEnd, RECONNECT_DELAYS_MS } from '../../../renderer/logic/auto-reconnect.ts';
import { fakeApi, settle } from './fake-api.ts';

// Time is Node's mock clock here: the tries' delays are stepped through, never waited for.
beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

const SERVER = { id: 'srv-1', name: 'debian-12-db', status: 'ACTIVE', addresses: [] };

function details(status: string): ServerDetails {
  return {
    cloud: 'demo', id: SERVER.id, name: SERVER.name, status, taskState: null, vmState: null, powerState: null,
    addresses: [], flavor: {}, image: null, created: '2026-01-01T00:00:00Z', projectId: 'p',
  };
}

/** A store with one connected console: a cloud server's, or a pasted URL's. `open` decides each session.open. */
function scenario(kind: 'server' | 'url' = 'server') {
  let grants = 0;
  const cloud = { status: 'ACTIVE', open: (): void => undefined };
  const fake = fakeApi({
    'session.open': (t: ConsoleTarget): RelayGrant => {
      cloud.open();
      return {
        protocol: 'vnc',
        sessionId: `s-${++grants}`,
        title: SERVER.name,
        relayUrl: 'ws://127.0.0.1:1/relay?grant=x',
        endpoint: '127.0.0.1:6080',
        ...(kind === 'server' ? { server: { cloud: 'demo', id: t.kind === 'server' ? t.server : SERVER.id, name: SERVER.name, status: 'ACTIVE' } } : {}),
      };
    },
    'session.close': () => undefined,
    'server.get': () => details(cloud.status),
  });
  const store = createAppStore(fake.api);
  const tab = () => store.getState().tabs[0] as ConsoleTab;
  const start = async () => {
    if (kind === 'server') await store.getState().openServer('demo', SERVER);
    else await store.getState().openTarget({ kind: 'url', url: 'http://proxy:6080/vnc_auto.html?path=%3Ftoken%3Dabc' }, 'pasted');
    store.getState().setTabState(tab().id, tab().attempt, 'connected');
  };
  /** The gateway (or relay) says the current attempt ended, with its cause. */
  const end = (reason: string, cause?: SessionEndCause) => store.getState().setTabState(tab().id, tab().attempt, 'disconnected', reason, 'gateway', cause);
  /** Steps the clock by `ms` and lets the requests it started answer. */
  const tick = async (ms: number) => {
    mock.timers.tick(ms);
    await settle();
    await settle();
  };
  return { ...fake, store, tab, cloud, start, end, tick };
}

test('the policy: which ends start reconnecting, which are one more failed try, which stop it', () => {
  assert.equal(classifyEnd({ source: 'gateway', cause: 'lost' }, false), 'lost');
  assert.equal(classifyEnd({ source: 'engine' }, false), 'lost', 'the engine saw its socket drop; the gateway may still say more');
  assert.equal(classifyEnd({ source: 'gateway', cause: 'unreachable' }, false), 'try-failed');
  assert.equal(classifyEnd({ source: 'gateway', cause: 'refused' }, true), 'try-failed', 'a fresh token refused: the console is not back yet');
  assert.equal(classifyEnd({ source: 'gateway', cause: 'refused' }, false), 'final', "a pasted URL's token cannot be renewed");
  for (const cause of ['certificate', 'closed-by-app', 'failed'] as const) assert.equal(classifyEnd({ source: 'gateway', cause }, true), 'final', cause);
  assert.equal(classifyEnd({ source: 'login' }, true), 'final');
  assert.equal(classifyEnd({ source: 'server' }, true), 'final');
  assert.equal(classifyEnd({ source: 'gateway', errorCode: 'unreachable' }, true), 'try-failed');
  assert.equal(classifyEnd({ source: 'gateway', errorCode: 'bad-response' }, true), 'try-failed', 'Nova answering 500');
  for (const code of ['auth-failed', 'forbidden', 'token-expired', 'tls', 'not-found', 'unavailable'] as const) {
    assert.equal(classifyEnd({ source: 'gateway', errorCode: code }, true), 'final', code);
  }

  const now = 0;
  assert.equal(nextAfterEnd(undefined, 'lost', { wasConnected: false, reason: 'x', now }), undefined, 'a session that never started does not start a series');
  assert.equal(nextAfterEnd(undefined, 'try-failed', { wasConnected: true, reason: 'x', now }), undefined);
  const first = nextAfterEnd(undefined, 'lost', { wasConnected: true, reason: 'reset', now });
  assert.deepEqual(first, { phase: 'waiting', attempt: 1, at: RECONNECT_DELAYS_MS[0], lost: 'reset' });
  assert.equal(nextAfterEnd(first, 'lost', { wasConnected: false, reason: 'again', now }), first, 'a second report of the same end');
  assert.equal(nextAfterEnd(first, 'final', { wasConnected: false, reason: 'certificate', now }), undefined);
  const last = nextAfterEnd({ phase: 'trying', attempt: MAX_RECONNECT_TRIES, lost: 'reset' }, 'try-failed', { wasConnected: false, reason: 'refused', now });
  assert.deepEqual(last, { phase: 'gave-up', attempt: MAX_RECONNECT_TRIES, lost: 'reset', last: 'refused' });
  // The delays start within a second, grow, and are capped.
  assert.ok(RECONNECT_DELAYS_MS[0] <= 1000);
  assert.ok(RECONNECT_DELAYS_MS.every((d, i) => i === 0 || d >= RECONNECT_DELAYS_MS[i - 1]));
  assert.ok(Math.max(...RECONNECT_DELAYS_MS) <= 30_000);
});

test('a lost session reconnects by itself within a second, with a fresh console URL, and says so meanwhile', async () => {
  const s = scenario();
  await s.start();
  s.end('the connection to the console proxy was lost (no close frame)', 'lost');
  await settle();
  assert.equal(consoleStatusText(s.tab()), 'Connection lost (the connection to the console proxy was lost (no close frame)); reconnecting, try 1 of 6 in 1 s');
  assert.equal(s.named('session.open').length, 1);
  await s.tick(999);
  assert.equal(s.named('session.open').length, 1, 'not before its time');
  await s.tick(1);
  assert.equal(s.named('session.open').length, 2);
  assert.deepEqual(s.named('session.open')[1].args, { kind: 'server', cloud: 'demo', server: SERVER.id, protocol: 'vnc' }, 'a fresh console URL for the server');
  assert.equal(s.tab().state, 'connecting');
  assert.equal(s.tab().grant?.sessionId, 's-2');
  assert.match(consoleStatusText(s.tab()), /reconnecting, try 1 of 6…$/);
  s.store.getState().setTabState(s.tab().id, s.tab().attempt, 'connected');
  assert.equal(consoleStatusText(s.tab()), 'Connected');
  assert.equal(s.tab().autoReconnect, undefined);
  assert.equal(s.tab().note, 'Reconnected (try 1).');
  // A later loss starts a new series, and the old note does not speak for it.
  s.end('the connection to the console proxy was lost (no close frame)', 'lost');
  assert.equal(s.tab().note, undefined);
  assert.match(consoleStatusText(s.tab()), /try 1 of 6 in 1 s$/);
});

test('tries back off, count up, and give up after the last one with the reason; Reconnect still works then', async () => {
  const s = scenario();
  await s.start();
  s.end('10.0.0.5:2179 closed the session', 'lost');
  await settle();
  s.cloud.open = () => {
    throw new ApiRequestError('unreachable', 'Nova at http://10.0.0.1:8774 did not answer');
  };
  let opens = 1;
  for (let i = 0; i < MAX_RECONNECT_TRIES; i++) {
    const delay = RECONNECT_DELAYS_MS[i];
    assert.equal(consoleStatusText(s.tab()), `Connection lost (10.0.0.5:2179 closed the session); reconnecting, try ${i + 1} of 6 in ${delay / 1000} s`);
    await s.tick(delay - 1);
    assert.equal(s.named('session.open').length, opens);
    await s.tick(1);
    assert.equal(s.named('session.open').length, ++opens, `try ${i + 1}`);
  }
  assert.equal(s.tab().autoReconnect?.phase, 'gave-up');
  assert.equal(
    consoleStatusText(s.tab()),
    'Connection lost (10.0.0.5:2179 closed the session); gave up after 6 tries (Nova at http://10.0.0.1:8774 did not answer)',
  );
  await s.tick(120_000);
  assert.equal(s.named('session.open').length, opens, 'nothing more by itself');

  s.cloud.open = () => undefined;
  await s.store.getState().reconnect(s.tab().id);
  assert.equal(s.named('session.open').length, opens + 1);
  assert.equal(s.tab().autoReconnect, undefined);
  assert.equal(s.tab().state, 'connecting');
});

test('a try whose console proxy fails counts; a try that meets a changed certificate stops at once', async () => {
  const s = scenario();
  await s.start();
  s.end('the serial console proxy closed the connection (1006)', 'lost');
  await s.tick(RECONNECT_DELAYS_MS[0]);
  // Try 1 gets a grant, then the relay cannot reach the console: one more failed try.
  s.end('the console proxy refused the connection: nothing listens on that port', 'unreachable');
  await settle();
  assert.match(consoleStatusText(s.tab()), /try 2 of 6 in 2 s$/);
  await s.tick(RECONNECT_DELAYS_MS[1]);
  assert.equal(s.named('session.open').length, 3);
  // Try 2: the engine reports its socket closed first, then the relay names a certificate that changed.
  s.store.getState().setTabState(s.tab().id, s.tab().attempt, 'disconnected', 'the connection was lost.', 'engine');
  s.end('the certificate of proxy:6083 is not trusted, so the session was stopped', 'certificate');
  await settle();
  assert.equal(s.tab().autoReconnect, undefined);
  assert.equal(consoleStatusText(s.tab()), 'Disconnected: the certificate of proxy:6083 is not trusted, so the session was stopped');
  await s.tick(60_000);
  assert.equal(s.named('session.open').length, 3, 'no more tries');
});

test('never retried: a refused login, the user closing, a certificate, a pasted URL whose token is refused, credentials the cloud refuses', async () => {
  const login = scenario();
  await login.start();
  login.store.getState().setTabState(login.tab().id, login.tab().attempt, 'disconnected', 'the server refused the login', 'login');
  await login.tick(60_000);
  assert.equal(login.named('session.open').length, 1);

  const cert = scenario();
  await cert.start();
  cert.end('the certificate of host:3389 is not trusted, so the session was stopped', 'certificate');
  await cert.tick(60_000);
  assert.equal(cert.named('session.open').length, 1);

  const pasted = scenario('url');
  await pasted.start();
  pasted.end('the console proxy closed the connection at once: the console token was refused or has expired', 'refused');
  await pasted.tick(60_000);
  assert.equal(pasted.named('session.open').length, 1);

  const closing = scenario();
  await closing.start();
  closing.end('the connection to the VNC server was lost (ECONNRESET)', 'lost');
  await settle();
  await closing.store.getState().closeTab(closing.tab().id);
  await closing.tick(60_000);
  assert.equal(closing.named('session.open').length, 1, 'a closed tab never reconnects');

  const keystone = scenario();
  await keystone.start();
  keystone.end('the connection to the VNC server was lost (ECONNRESET)', 'lost');
  keystone.cloud.open = () => {
    throw new ApiRequestError('auth-failed', "Keystone refused the credentials of cloud 'prod'");
  };
  await keystone.tick(RECONNECT_DELAYS_MS[0]);
  assert.equal(keystone.tab().autoReconnect, undefined);
  assert.equal(consoleStatusText(keystone.tab()), "Disconnected: Keystone refused the credentials of cloud 'prod'");
  await keystone.tick(60_000);
  assert.equal(keystone.named('session.open').length, 2);
});

test('a server found stopped while reconnecting ends the tries: the tab waits for the server instead', async () => {
  const s = scenario();
  await s.start();
  s.cloud.status = 'SHUTOFF';
  s.end('debian:5900 closed the session', 'lost');
  await settle();
  await settle();
  assert.equal(s.tab().autoReconnect, undefined);
  assert.equal(s.tab().serverHold, 'stopped');
  assert.equal(consoleStatusText(s.tab()), 'Disconnected: the server was stopped');
  await s.tick(60_000);
  assert.equal(s.named('session.open').length, 1);
});

test('Stop reconnecting ends the series and keeps the reason; Reconnect now starts at once', async () => {
  const s = scenario();
  await s.start();
  s.end('the connection to the VNC server was lost (ECONNRESET)', 'lost');
  await settle();
  s.store.getState().stopReconnecting(s.tab().id);
  assert.equal(consoleStatusText(s.tab()), 'Disconnected: the connection to the VNC server was lost (ECONNRESET)');
  await s.tick(60_000);
  assert.equal(s.named('session.open').length, 1);

  const t = scenario();
  await t.start();
  t.end('the connection to the VNC server was lost (ECONNRESET)', 'lost');
  await settle();
  await t.store.getState().reconnect(t.tab().id);
  assert.equal(t.named('session.open').length, 2);
  await t.tick(60_000);
  assert.equal(t.named('session.open').length, 2, 'the pending try was dropped');
});
