import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { attachWebSocketApi, type WsTransport } from '../../../electron/api/ws-transport.ts';
import { createHandlers } from '../../../electron/api/handlers.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import type { ConsoleService } from '../../../electron/api/services.ts';

// A ConsoleService that records calls, so the test sees exactly what crossed the seam.
const calls: unknown[] = [];
const consoles: ConsoleService = {
  listClouds: async () => {
    throw new Error('boom with a secret inside');
  },
  listServers: async (args) => {
    calls.push(args);
    if (args.cloud === 'building') throw new AppError('not-ready', 'Instance abc is not ready');
    return { servers: [] };
  },
  consoleUrl: async () => {
    throw new AppError('not-ready', 'Instance abc is not ready');
  },
  resolve: async () => {
    throw new Error('boom with a secret inside');
  },
};

let server: Server;
let transport: WsTransport;
let port: number;
const secret = 's3cret-for-this-run';

before(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  transport = attachWebSocketApi(server, createHandlers({ version: '9.9.9', mode: 'browser', consoles }), {
    secret,
    allowedHosts: () => [`127.0.0.1:${port}`],
    allowedOrigins: () => [`http://127.0.0.1:${port}`],
  });
});

after(async () => {
  await transport.close();
  await new Promise<void>((r) => server.close(() => r()));
});

function open(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api${query}`, { origin: `http://127.0.0.1:${port}`, headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function request(ws: WebSocket, id: number, name: string, args?: unknown): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse((data as Buffer).toString());
      if (msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg.reply);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, name, args }));
  });
}

test('a page with the secret can call the handlers and gets typed errors', async () => {
  const ws = await open(`?secret=${secret}`);
  assert.deepEqual(await request(ws, 1, 'app.info'), { ok: true, value: { version: '9.9.9', mode: 'browser' } });
  const page = await request(ws, 2, 'servers.list', { cloud: 'demo', limit: 5 });
  assert.deepEqual(page, { ok: true, value: { servers: [] } });
  assert.deepEqual(calls.at(-1), { cloud: 'demo', limit: 5 });
  assert.deepEqual(await request(ws, 3, 'servers.list', { cloud: 'building' }), {
    ok: false,
    error: { code: 'not-ready', message: 'Instance abc is not ready' },
  });
  const internal = await request(ws, 4, 'clouds.list');
  assert.equal(internal.ok, false);
  assert.equal(internal.error.code, 'internal');
  assert.equal(internal.error.stack, undefined);
  assert.deepEqual((await request(ws, 5, 'process.exit')).error.code, 'bad-request');
  assert.deepEqual((await request(ws, 6, 'servers.list', 'demo')).error.code, 'bad-request');
  // Token lookups name hypervisor hosts: the page has no use for them, so they are not on its surface at all.
  assert.deepEqual((await request(ws, 7, 'console.resolve', { url: 'http://h/?token=x' })).error.code, 'bad-request');
  ws.close();
});

test('events reach connected pages', async () => {
  const ws = await open(`?secret=${secret}`);
  const got = new Promise<any>((resolve) => ws.once('message', (d) => resolve(JSON.parse((d as Buffer).toString()))));
  transport.emit('clouds.changed', []);
  assert.deepEqual(await got, { event: 'clouds.changed', payload: [] });
  ws.close();
});

test('the WebSocket refuses a missing or wrong secret, a foreign Origin and a foreign Host', async () => {
  await assert.rejects(open(''), /HTTP 401/);
  await assert.rejects(open('?secret=wrong'), /HTTP 401/);
  await assert.rejects(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api?secret=${secret}`, { origin: 'http://evil.example' });
      ws.once('open', resolve);
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    }),
    /HTTP 403/,
  );
  await assert.rejects(open(`?secret=${secret}`, { Host: `localhost.evil:${port}` }), /HTTP 421/);
});
