import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPreloadApi } from '../../../electron/app/preload-api.ts';
import { registerIpcApi, type SenderLike } from '../../../electron/api/ipc-transport.ts';
import { createHandlers } from '../../../electron/api/handlers.ts';
import type { ConsoleService } from '../../../electron/api/services.ts';

// The preload's object over the real IPC transport, joined by an in-memory ipcMain/ipcRenderer pair: what the
// page can reach in Electron, and what a window the app did not create gets.

const consoles: ConsoleService = {
  listClouds: async () => [{ name: 'demo', label: 'Demo cloud (offline)', authUrl: 'http://x', isDemo: true }],
  listServers: async () => ({ servers: [] }),
  consoleUrl: async () => ({ cloud: 'demo', serverId: 'a', url: 'http://x/?token=t' }),
  resolve: async () => ({ cloud: 'demo', instanceUuid: 'a', host: 'h', port: 1 }),
};

function wire(senderId: number, trusted: Set<number>) {
  const handlers = new Map<string, (event: { sender: SenderLike }, ...args: unknown[]) => Promise<unknown>>();
  const rendererListeners = new Map<string, Array<(event: unknown, ...args: unknown[]) => void>>();
  const invoked: string[] = [];
  const sender: SenderLike = {
    id: senderId,
    send: (channel, ...args) => rendererListeners.get(channel)?.forEach((l) => l({ sender: 'electron event object' }, ...args)),
  };
  const transport = registerIpcApi(
    { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) },
    createHandlers({ version: '1.2.3', mode: 'electron', consoles }),
    (s) => trusted.has(s.id),
    () => [sender],
  );
  const api = createPreloadApi({
    invoke: async (channel, ...args) => {
      invoked.push(channel);
      const h = handlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      return h({ sender }, ...args);
    },
    on: (channel, listener) => rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), listener]),
  });
  return { api, transport, invoked, handlers };
}

test('the page reaches the contract through namespaced channels, and nothing else', async () => {
  const { api, invoked, handlers } = wire(7, new Set([7]));
  assert.deepEqual(await api.request('app.info'), { ok: true, value: { version: '1.2.3', mode: 'electron' } });
  const clouds = await api.request('clouds.list');
  assert.equal(clouds.ok && clouds.value[0].name, 'demo');
  assert.deepEqual(invoked, ['nova-console:app.info', 'nova-console:clouds.list']);
  assert.ok([...handlers.keys()].every((c) => c.startsWith('nova-console:')));
  // A page can send any name at all; the type system would not let this test do so.
  const loose = (name: string) => (api as unknown as { request(n: string): Promise<unknown> }).request(name);
  assert.deepEqual(await loose('shell.openExternal'), { ok: false, error: { code: 'bad-request', message: 'Unknown request "shell.openExternal"' } });
  assert.deepEqual(await loose('__proto__'), { ok: false, error: { code: 'bad-request', message: 'Unknown request "__proto__"' } });
  assert.deepEqual(await loose('console.resolve'), { ok: false, error: { code: 'bad-request', message: 'Unknown request "console.resolve"' } });
  assert.equal(invoked.length, 2, 'refused names never reach IPC');
  assert.ok(![...handlers.keys()].includes('nova-console:console.resolve'), 'no channel exists for a request the page never uses');
  assert.deepEqual(Object.keys(api).sort(), ['on', 'request']);
});

test('a window the app did not create gets a refusal, as a Reply like every other failure', async () => {
  const { api } = wire(8, new Set([7]));
  assert.deepEqual(await api.request('clouds.list'), { ok: false, error: { code: 'forbidden', message: 'Request from a window the app did not create' } });
});

test('IPC that fails (the main process going away) answers a Reply too', async () => {
  const api = createPreloadApi({
    invoke: async () => {
      throw new Error('Error invoking remote method: reply was never sent');
    },
    on: () => undefined,
  });
  const reply = await api.request('app.info');
  assert.equal(reply.ok, false);
  assert.equal(!reply.ok && reply.error.code, 'unreachable');
});

test('events reach the page as payloads, without Electron event objects; unsubscribing works', () => {
  const { api, transport } = wire(7, new Set([7]));
  const seen: unknown[][] = [];
  const off = api.on('clouds.changed', (...args: unknown[]) => seen.push(args));
  transport.emit('clouds.changed', []);
  assert.deepEqual(seen, [[[]]]);
  off();
  transport.emit('clouds.changed', []);
  assert.equal(seen.length, 1);
});
