import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHandlers, dispatch } from '../../../electron/api/handlers.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import type { ConsoleService } from '../../../electron/api/services.ts';
import { REQUEST_NAMES } from '../../../electron/common/contract.ts';

const consoles: ConsoleService = {
  listClouds: async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'url')");
  },
  listServers: async () => {
    throw new AppError('unreachable', "Cloud 'prod' is unreachable");
  },
  consoleUrl: async () => ({ cloud: 'x', serverId: 's', url: 'http://h/?token=t' }),
  resolve: async () => ({ cloud: 'x', instanceUuid: 'u', host: 'h', port: 2179 }),
};

test('a bug reaches the page as one line and the log with its stack; an AppError only reaches the page', async () => {
  const logged: string[] = [];
  const table = createHandlers({
    version: '1',
    mode: 'browser',
    consoles,
    logInternalError: (request, err) => logged.push(`${request}: ${(err as Error).stack}`),
  });

  const bug = await dispatch(table, 'clouds.list', undefined);
  assert.deepEqual(bug, { ok: false, error: { code: 'internal', message: "Internal error: Cannot read properties of undefined (reading 'url')" } });
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^clouds\.list: TypeError: Cannot read properties/);
  assert.match(logged[0], /handlers\.test\.ts/, 'the stack names where it was thrown');

  const expected = await dispatch(table, 'servers.list', { cloud: 'prod' });
  assert.deepEqual(expected, { ok: false, error: { code: 'unreachable', message: "Cloud 'prod' is unreachable" } });
  assert.equal(logged.length, 1, 'an AppError is an answer, not a bug: nothing logged');
});

test('the table implements exactly the run-time list of requests; what the page never uses is not a request', async () => {
  const table = createHandlers({ version: '1', mode: 'browser', consoles });
  assert.deepEqual(Object.keys(table).sort(), [...REQUEST_NAMES].sort());
  for (const hidden of ['console.url', 'console.resolve', 'constructor', '__proto__', 'toString']) {
    assert.deepEqual((await dispatch(table, hidden, {})).ok, false, hidden);
  }
});

test("app.log writes the page's sentence to the main process log as one line", async () => {
  const lines: string[] = [];
  const table = createHandlers({ version: '1', mode: 'browser', consoles, log: (line) => lines.push(line) });
  assert.deepEqual(await dispatch(table, 'app.log', { message: 'web-01: clipboard refused\nforged: line' }), { ok: true, value: undefined });
  assert.deepEqual(lines, ['page: web-01: clipboard refused forged: line']);
  assert.equal((await dispatch(table, 'app.log', { message: 42 })).ok, false);
});

test('server requests: arguments checked before the service is asked; its answers and refusals pass through', async () => {
  const calls: string[] = [];
  const table = createHandlers({
    version: '1',
    mode: 'browser',
    consoles,
    servers: {
      details: async () => {
        throw new AppError('not-found', 'no such server');
      },
      action: async (cloud, server, action) => {
        calls.push(`${cloud}/${server}/${action}`);
        if (action === 'stop') throw new AppError('conflict', "Nova refused to stop server s: Cannot 'stop' instance while it is in vm_state stopped");
      },
      consoleLog: async (_c, _s, lines) => ({ output: 'boot\n', lines: lines ?? null }),
    },
  });
  assert.deepEqual(await dispatch(table, 'server.action', { cloud: 'c', server: 's', action: 'start' }), { ok: true, value: undefined });
  const refused = await dispatch(table, 'server.action', { cloud: 'c', server: 's', action: 'stop' });
  assert.equal(refused.ok ? 'ok' : refused.error.code, 'conflict');
  for (const bad of [{ cloud: 'c', server: 's', action: 'destroy' }, { cloud: 'c', action: 'start' }, { cloud: 'c', server: 's', action: 'toString' }]) {
    const r = await dispatch(table, 'server.action', bad);
    assert.equal(r.ok ? 'ok' : r.error.code, 'bad-request', JSON.stringify(bad));
  }
  assert.deepEqual(calls, ['c/s/start', 'c/s/stop']);
  assert.deepEqual(await dispatch(table, 'console.log', { cloud: 'c', server: 's', lines: 10 }), { ok: true, value: { output: 'boot\n', lines: 10 } });
  for (const lines of [0, -1, 1.5, '10']) {
    const r = await dispatch(table, 'console.log', { cloud: 'c', server: 's', lines });
    assert.equal(r.ok ? 'ok' : r.error.code, 'bad-request', String(lines));
  }
  const missing = await dispatch(table, 'server.get', { cloud: 'c', server: 's' });
  assert.equal(missing.ok ? 'ok' : missing.error.code, 'not-found');
  const none = createHandlers({ version: '1', mode: 'browser', consoles });
  const r = await dispatch(none, 'server.get', { cloud: 'c', server: 's' });
  assert.equal(r.ok ? 'ok' : r.error.code, 'internal');
});
