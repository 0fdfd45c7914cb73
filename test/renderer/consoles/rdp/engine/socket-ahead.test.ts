import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { installSocketHandover, openAhead, sessionSocketUrl } from '../../../../../renderer/consoles/rdp/engine/socket-ahead.ts';

// The `ws` package's client stands for the browser's WebSocket: same constructor, readyState, on* handlers and close().
const Native = NodeWebSocket as unknown as typeof WebSocket;

async function gateway() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const connections: Array<{ url: string; messages: string[]; closed: boolean }> = [];
  wss.on('connection', (ws, req) => {
    const c = { url: req.url ?? '', messages: [] as string[], closed: false };
    connections.push(c);
    ws.on('message', (m: Buffer) => c.messages.push(m.toString()));
    ws.on('close', () => (c.closed = true));
  });
  const url = (path: string) => `ws://127.0.0.1:${(wss.address() as AddressInfo).port}${path}`;
  return { wss, connections, url, close: () => new Promise<void>((r) => wss.close(() => r())) };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

test('a socket opened ahead is handed, open, to the next session asking for its URL; later ones open their own', async () => {
  const gw = await gateway();
  const scope = { WebSocket: Native };
  installSocketHandover(scope);
  try {
    const url = gw.url('/rdp?session=1');
    await openAhead(Native, url);
    assert.equal(gw.connections.length, 1);

    const first = new scope.WebSocket(url);
    assert.equal(first.readyState, Native.OPEN, 'IronRDP finds it open at its first look');
    assert.ok(first instanceof scope.WebSocket, 'instanceof still holds for a handed socket');
    first.send('RDCleanPath request');
    await until('the gateway got the message on the socket opened ahead', () => gw.connections[0].messages.length === 1);
    assert.equal(gw.connections.length, 1, 'no second connection for the handed socket');

    const second = new scope.WebSocket(url);
    assert.equal(second.readyState, Native.CONNECTING, 'nothing waiting: a socket of its own');
    assert.ok(second instanceof scope.WebSocket);
    await until('the second socket connected separately', () => gw.connections.length === 2);
    first.close();
    second.close();
  } finally {
    await gw.close();
  }
});

test('a socket nobody took is closed by its drop; one that failed to open is never handed', async () => {
  const gw = await gateway();
  const scope = { WebSocket: Native };
  installSocketHandover(scope);
  try {
    const url = gw.url('/rdp?session=2');
    const drop = await openAhead(Native, url);
    drop();
    await until('the gateway saw the unused socket close', () => gw.connections[0]?.closed === true);
    const fresh = new scope.WebSocket(url);
    assert.equal(fresh.readyState, Native.CONNECTING, 'a dropped socket is not handed out');
    fresh.onerror = () => {};
    fresh.close();

    // Nothing listens there: openAhead resolves (it never rejects), and the session opens, and fails, on its own.
    const closed = await gateway();
    const dead = closed.url('/rdp');
    await closed.close();
    const none = await openAhead(Native, dead);
    none();
    const own = new scope.WebSocket(dead);
    assert.equal(own.readyState, Native.CONNECTING);
    own.onerror = () => {};
  } finally {
    for (const c of gw.wss.clients) c.terminate();
    await gw.close();
  }
});

test('two sessions connecting at once each get the socket opened for them, whichever opened first', async () => {
  const gw = await gateway();
  const scope = { WebSocket: Native };
  installSocketHandover(scope);
  try {
    // One gateway URL for every grant; each session's socket is opened for its own URL, the later session's first.
    const grantUrl = gw.url('/rdcleanpath');
    const a = sessionSocketUrl(grantUrl, 1);
    const b = sessionSocketUrl(grantUrl, 2);
    assert.notEqual(a, b);
    assert.equal(new URL(a).pathname, '/rdcleanpath', 'the gateway still routes it by its path');
    const tagged = new Map<WebSocket, string>();
    await openAhead(Native, b, (ws) => tagged.set(ws, 'b'));
    await openAhead(Native, a, (ws) => tagged.set(ws, 'a'));
    // Session a's IronRDP asks first.
    const first = new scope.WebSocket(a);
    const second = new scope.WebSocket(b);
    assert.equal(tagged.get(first), 'a');
    assert.equal(tagged.get(second), 'b');
    first.close();
    second.close();
  } finally {
    await gw.close();
  }
});
