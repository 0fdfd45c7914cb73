// The page's one client over both transports: the preload's IPC bridge and the browser-mode socket, each joined to
// the real handler table. The same refusal must reach the page's code as the same ApiRequestError either way.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createHandlers } from '../../../electron/api/handlers.ts';
import { registerIpcApi, type SenderLike } from '../../../electron/api/ipc-transport.ts';
import { attachWebSocketApi } from '../../../electron/api/ws-transport.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import type { ConsoleService } from '../../../electron/api/services.ts';
import { createPreloadApi } from '../../../electron/app/preload-api.ts';
import { ApiRequestError, consoleApiOver, type ConsoleApi } from '../../../renderer/api/console-api.ts';
import { createWsClient } from '../../../renderer/api/ws-client.ts';

const consoles: ConsoleService = {
  listClouds: async () => [],
  listServers: async () => {
    throw new AppError('not-ready', 'Server build-7 is still building: it has no console yet.');
  },
  consoleUrl: async () => ({ cloud: 'c', serverId: 's', url: 'http://h/?token=t' }),
  resolve: async () => ({ cloud: 'c', instanceUuid: 'u', host: 'h', port: 2179 }),
};
const table = createHandlers({ version: '1.0.0', mode: 'browser', consoles });

function overIpc(): ConsoleApi {
  const handlers = new Map<string, (event: { sender: SenderLike }, ...args: unknown[]) => Promise<unknown>>();
  const sender: SenderLike = { id: 1, send: () => undefined };
  registerIpcApi({ handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) }, table, () => true, () => [sender]);
  return consoleApiOver(createPreloadApi({ invoke: async (channel, ...args) => handlers.get(channel)!({ sender }, ...args), on: () => undefined }));
}

const server = createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
const wsTransport = attachWebSocketApi(server, table, { secret: 's', allowedHosts: () => [`127.0.0.1:${port}`], allowedOrigins: () => [`http://127.0.0.1:${port}`] });
// A page's socket carries its origin; `ws` sends none unless asked.
class PageSocket extends WebSocket {
  constructor(url: string) {
    super(url, { origin: `http://127.0.0.1:${port}` });
  }
}
const wsClient = createWsClient(`ws://127.0.0.1:${port}/api?secret=s`, { WebSocketImpl: PageSocket as unknown as typeof globalThis.WebSocket });
after(async () => {
  wsClient.close();
  await wsTransport.close();
  server.close();
});

const caught = (p: Promise<unknown>) => p.then(() => assert.fail('expected a refusal'), (err: unknown) => err);

test('a result and a refusal look the same to the page over IPC and over the loopback socket', async () => {
  const ipc = overIpc();
  const socket = consoleApiOver(wsClient);
  assert.deepEqual(await ipc.invoke('app.info'), await socket.invoke('app.info'));
  const [a, b] = await Promise.all([caught(ipc.invoke('servers.list', { cloud: 'c' })), caught(socket.invoke('servers.list', { cloud: 'c' }))]);
  for (const err of [a, b]) {
    assert.ok(err instanceof ApiRequestError);
    assert.equal(err.code, 'not-ready');
    assert.equal(err.message, 'Server build-7 is still building: it has no console yet.');
  }
});

test('a socket the app refused answers every request with an unreachable refusal', async () => {
  const refused = consoleApiOver(createWsClient(`ws://127.0.0.1:${port}/api?secret=wrong`, { WebSocketImpl: PageSocket as unknown as typeof globalThis.WebSocket }));
  const err = await caught(refused.invoke('app.info'));
  assert.ok(err instanceof ApiRequestError);
  assert.equal(err.code, 'unreachable');
});
