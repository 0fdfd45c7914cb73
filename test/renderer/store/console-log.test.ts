import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore } from '../../../renderer/store/index.ts';
import type { LogTab } from '../../../renderer/store/types.ts';
import { ApiRequestError } from '../../../renderer/api/console-api.ts';
import { fakeApi } from './fake-api.ts';

const SERVER = { id: 'srv-2', name: 'debian-12-db' };

test('a console log opens in its own tab, once per server, beside console tabs (close and reorder as any tab)', async () => {
  const { api } = fakeApi({ 'session.open': () => ({ protocol: 'vnc', sessionId: 's1', title: 'x', relayUrl: 'ws://127.0.0.1:1/r', endpoint: 'e' }) });
  const store = createAppStore(api);
  const s = () => store.getState();
  await s().openServer('demo', { ...SERVER, status: 'ACTIVE', addresses: [] });
  s().openConsoleLog('demo', SERVER);
  assert.equal(s().tabs.length, 2);
  const log = s().tabs[1] as LogTab;
  assert.equal(log.kind, 'log');
  assert.equal(log.title, 'debian-12-db — console log');
  assert.equal(log.state, 'loading');
  assert.equal(s().activeTabId, log.id);
  s().activateTab(s().tabs[0].id);
  s().openConsoleLog('demo', SERVER);
  assert.equal(s().tabs.length, 2, 'the open log is shown again');
  assert.equal(s().activeTabId, log.id);
  s().moveTab(log.id, -1);
  assert.deepEqual(s().tabs.map((t) => t.kind), ['log', 'console']);
  await s().closeTab(log.id);
  assert.deepEqual(s().tabs.map((t) => t.kind), ['console']);
});

test('the log is asked for with the chosen number of lines (none for the whole log)', async () => {
  const { api, named } = fakeApi({ 'console.log': ({ lines }: { lines?: number }) => ({ output: `log of ${lines ?? 'all'}`, lines: lines ?? null }) });
  const store = createAppStore(api);
  store.getState().openConsoleLog('demo', SERVER);
  const tab = () => store.getState().tabs[0] as LogTab;
  await store.getState().refreshLog(tab().id);
  assert.deepEqual(named('console.log')[0].args, { cloud: 'demo', server: 'srv-2', lines: 100 });
  assert.equal(tab().state, 'ready');
  assert.equal(tab().output, 'log of 100');
  await store.getState().setLogLines(tab().id, 'all');
  assert.deepEqual(named('console.log')[1].args, { cloud: 'demo', server: 'srv-2' });
  assert.equal(tab().output, 'log of all');
  await store.getState().setLogLines(tab().id, 1000);
  assert.equal(named('console.log')[2].args.lines, 1000);
});

test('a driver that keeps no log says so; an error keeps the last text and says why', async () => {
  let answer: () => unknown = () => ({ output: 'boot ok\n', lines: 100 });
  const { api } = fakeApi({ 'console.log': () => answer() });
  const store = createAppStore(api);
  store.getState().openConsoleLog('demo', SERVER);
  const tab = () => store.getState().tabs[0] as LogTab;
  await store.getState().refreshLog(tab().id);
  answer = () => {
    throw new ApiRequestError('unreachable', "Cloud 'demo' is unreachable: connection refused");
  };
  await store.getState().refreshLog(tab().id);
  assert.equal(tab().state, 'error');
  assert.match(tab().reason!, /connection refused/);
  assert.equal(tab().output, 'boot ok\n', 'the last text stays');
  answer = () => {
    throw new ApiRequestError('unavailable', 'Guest does not have a console available.');
  };
  await store.getState().refreshLog(tab().id);
  assert.equal(tab().state, 'unavailable');
  assert.equal(tab().reason, 'Guest does not have a console available.');
});

test('an answer for an older fetch (or another line count) is dropped', async () => {
  const pending: Array<(v: unknown) => void> = [];
  const { api } = fakeApi({ 'console.log': () => new Promise((resolve) => pending.push(resolve)) });
  const store = createAppStore(api);
  store.getState().openConsoleLog('demo', SERVER);
  const tab = () => store.getState().tabs[0] as LogTab;
  const first = store.getState().refreshLog(tab().id);
  const second = store.getState().setLogLines(tab().id, 'all');
  pending[1]({ output: 'whole log', lines: null });
  await second;
  pending[0]({ output: 'last 100', lines: 100 });
  await first;
  assert.equal(tab().output, 'whole log');
});
