import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHandlers, dispatch } from '../../../electron/api/handlers.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import type { ConsoleService } from '../../../electron/api/services.ts';

const consoles: ConsoleService = {
  listClouds: async () => [],
  listServers: async () => {
    throw new AppError('unreachable', "Cloud 'prod' is unreachable");
  },
  consoleUrl: async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'url')");
  },
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

  const bug = await dispatch(table, 'console.url', { cloud: 'c', server: 's' });
  assert.deepEqual(bug, { ok: false, error: { code: 'internal', message: "Internal error: Cannot read properties of undefined (reading 'url')" } });
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^console\.url: TypeError: Cannot read properties/);
  assert.match(logged[0], /handlers\.test\.ts/, 'the stack names where it was thrown');

  const expected = await dispatch(table, 'servers.list', { cloud: 'prod' });
  assert.deepEqual(expected, { ok: false, error: { code: 'unreachable', message: "Cloud 'prod' is unreachable" } });
  assert.equal(logged.length, 1, 'an AppError is an answer, not a bug: nothing logged');

  assert.equal((await dispatch(table, 'console.resolve', { url: 'http://h/?token=t' })).ok, true);
});
