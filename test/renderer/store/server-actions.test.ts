import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerAction, ServerDetails } from '../../../electron/common/contract.ts';
import { createAppStore } from '../../../renderer/store/index.ts';
import { FAST_AFTER_ACTION_MS, FAST_POLL_MS, SLOW_POLL_MS, pollDelay, serverKey } from '../../../renderer/store/server-info.ts';
import { ApiRequestError } from '../../../renderer/api/console-api.ts';
import { fakeApi } from './fake-api.ts';

const base: ServerDetails = {
  cloud: 'demo', id: 'srv-1', name: 'rocky-9-monitor', status: 'ACTIVE', taskState: null, vmState: 'active', powerState: 1,
  addresses: [], flavor: {}, image: null, created: '2026-01-01T00:00:00Z', projectId: 'p',
};

test('poll delay: fast while a task runs, the status is changing or an action was just accepted; slow otherwise', () => {
  const now = 1_000_000;
  assert.equal(pollDelay(undefined, now), SLOW_POLL_MS);
  assert.equal(pollDelay({ actions: 0, details: base }, now), SLOW_POLL_MS);
  assert.equal(pollDelay({ actions: 0, details: { ...base, taskState: 'powering-off' } }, now), FAST_POLL_MS);
  assert.equal(pollDelay({ actions: 0, details: { ...base, status: 'HARD_REBOOT' } }, now), FAST_POLL_MS);
  assert.equal(pollDelay({ actions: 1, details: base, fastUntil: now + 1 }, now), FAST_POLL_MS);
  assert.equal(pollDelay({ actions: 1, details: base, fastUntil: now }, now), SLOW_POLL_MS);
});

test('an accepted action polls fast for a while; Nova\'s refusal is kept as Nova words it', async () => {
  const refusal = "Cannot 'pause' instance srv-1 while it is in vm_state stopped";
  const { api, named } = fakeApi({
    'server.action': ({ action }: { action: ServerAction }) => {
      if (action === 'pause') throw new ApiRequestError('conflict', refusal);
      if (action === 'suspend') throw new ApiRequestError('forbidden', 'Policy doesn\'t allow os_compute_api:os-suspend-server:suspend to be performed.');
    },
  });
  const store = createAppStore(api);
  const info = () => store.getState().serverInfo[serverKey('demo', 'srv-1')];
  const before = Date.now();
  await store.getState().runServerAction('demo', 'srv-1', 'stop');
  assert.deepEqual(named('server.action')[0].args, { cloud: 'demo', server: 'srv-1', action: 'stop' });
  assert.equal(info().actions, 1, 'the poller restarts');
  assert.ok(info().fastUntil! >= before + FAST_AFTER_ACTION_MS);
  assert.equal(info().busy, undefined);
  assert.equal(info().actionError, undefined);

  await store.getState().runServerAction('demo', 'srv-1', 'pause');
  assert.equal(info().actionError, refusal);
  assert.equal(info().actions, 1, 'a refused action changes nothing on the server');
  await store.getState().runServerAction('demo', 'srv-1', 'suspend');
  assert.match(info().actionError!, /Policy doesn't allow/);
  // The next action clears the last refusal.
  await store.getState().runServerAction('demo', 'srv-1', 'start');
  assert.equal(info().actionError, undefined);
});

test('one action at a time: a second click while one is on its way sends nothing', async () => {
  let release: () => void = () => undefined;
  const { api, named } = fakeApi({ 'server.action': () => new Promise<void>((r) => (release = r)) });
  const store = createAppStore(api);
  const first = store.getState().runServerAction('demo', 'srv-1', 'reboot-soft');
  assert.equal(store.getState().serverInfo[serverKey('demo', 'srv-1')].busy, 'reboot-soft');
  await store.getState().runServerAction('demo', 'srv-1', 'reboot-hard');
  release();
  await first;
  assert.equal(named('server.action').length, 1);
});

test('Details from the sidebar opens the server\'s console with the panel shown', async () => {
  const { api, named } = fakeApi({ 'session.open': () => Promise.reject(new ApiRequestError('not-ready', 'no host')), 'server.get': () => base });
  const store = createAppStore(api);
  assert.equal(store.getState().detailsOpen, false);
  await store.getState().showServerDetails('demo', { id: 'srv-1', name: 'rocky-9-monitor', status: 'ACTIVE', addresses: [] });
  assert.equal(store.getState().detailsOpen, true);
  assert.equal(store.getState().tabs.length, 1);
  assert.equal(store.getState().tabs[0].kind, 'console');
  assert.equal(named('session.open').length, 1);
});
