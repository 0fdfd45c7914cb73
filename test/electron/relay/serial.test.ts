// Serial consoles through the relay, against small in-process servers: a Nova-style proxy (token checked after the
// 101) in front of a TCP "serial port" that stays silent until a key comes, a serial port that speaks first, one
// that stops mid-session, a proxy that breaks the protocol, and a burst toward a slow page. No RFB anywhere: a serial
// grant must never wait for a greeting. The same against websockify and a real shell: test/e2e/relay/serial.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import { ConsoleRelay, RelayCloseCode, type RelayStatus } from '../../../electron/relay/relay.ts';
import { WsUpstream } from '../../../electron/relay/upstream.ts';
import { openPage, type PageSocket } from './page-client.ts';
import { startNovaProxyDouble, type NovaProxyDouble } from './nova-proxy-double.ts';
import { watchCalls } from '../../support/watch-calls.ts';

interface SerialPortDouble {
  port: number;
  /** What each connection received. */
  received: Buffer[];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A TCP "serial port": `onConnection` decides what it does (by default silent until bytes come, then echoes them, as a tty does). */
async function startSerialPort(onConnection?: (s: Socket, received: Buffer[]) => void): Promise<SerialPortDouble> {
  const sockets = new Set<Socket>();
  const double: SerialPortDouble = { port: 0, received: [], sockets, close: async () => {} };
  const server: NetServer = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    if (onConnection) return onConnection(s, double.received);
    s.on('data', (d) => {
      double.received.push(d);
      s.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  double.port = (server.address() as AddressInfo).port;
  double.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return double;
}

const SETTLE_MS = 300;
let relay: ConsoleRelay;
let proxy: NovaProxyDouble;
let silent: SerialPortDouble;
const statuses: RelayStatus[] = [];
const logs: string[] = [];
const tokens: string[] = [];

before(async () => {
  proxy = await startNovaProxyDouble({ accessScheme: 'ws' });
  silent = await startSerialPort();
  relay = new ConsoleRelay({ verifyCertificate: async () => false, onStatus: (s) => statuses.push(s), log: (l) => logs.push(l), timeouts: { serialSettleMs: SETTLE_MS } });
  await relay.listen();
});

after(async () => {
  await relay.close();
  await proxy.close();
  await silent.close();
  for (const t of tokens) {
    assert.ok(!logs.some((l) => l.includes(t)), 'no log line carries a console token');
    assert.ok(!statuses.some((s) => s.reason?.includes(t)), 'no reason carries a console token');
  }
});

const statesOf = (sessionId: string) => statuses.filter((s) => s.sessionId === sessionId).map((s) => s.state);

async function waitFor(cond: () => boolean, what: string) {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

function serialGrant(target: { port: number }, opts: { register?: boolean } = {}) {
  const token = randomBytes(16).toString('hex');
  tokens.push(token);
  if (opts.register !== false) proxy.addToken(token, '127.0.0.1', target.port);
  return relay.grant({ kind: 'websocket', url: proxy.url(token), console: 'serial' });
}

test('a silent serial console: no greeting is awaited, keys typed while connecting arrive first, bytes flow both ways', async () => {
  const before = silent.received.length;
  const g = serialGrant(silent);
  const page = await openPage(g.relayUrl);
  // Typed before the proxy's WebSocket is open: held, then delivered in order.
  page.send(Buffer.from('\r'));
  page.send(Buffer.from('root\r'));
  assert.deepEqual(await page.read(6), Buffer.from('\rroot\r'));
  assert.equal(Buffer.concat(silent.received.slice(before)).toString(), '\rroot\r');
  // Any byte value passes unchanged (a serial line carries whatever the guest writes).
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  page.send(all);
  assert.deepEqual(await page.read(256), all);
  assert.ok(page.allBinary(), 'every frame toward the page is binary');
  assert.deepEqual(statesOf(g.sessionId), ['connecting', 'connected']);
  await page.close();
  await waitFor(() => statesOf(g.sessionId).includes('closed'), 'closed');
});

test('a serial console that says nothing is Connected once it stayed open a moment; one that speaks is Connected at its first byte', async () => {
  const g = serialGrant(silent);
  const page = await openPage(g.relayUrl);
  await waitFor(() => statesOf(g.sessionId).length >= 1, 'connecting');
  const opened = Date.now();
  await waitFor(() => statesOf(g.sessionId).includes('connected'), 'connected');
  assert.ok(Date.now() - opened >= SETTLE_MS - 50, 'not before the settle time');
  assert.equal(page.received(), 0);
  await page.close();

  const chatty = await startSerialPort((s) => s.write('login: '));
  try {
    const g2 = serialGrant(chatty);
    const page2 = await openPage(g2.relayUrl);
    const t0 = Date.now();
    assert.equal((await page2.read(7)).toString(), 'login: ');
    await waitFor(() => statesOf(g2.sessionId).includes('connected'), 'connected');
    assert.ok(Date.now() - t0 < SETTLE_MS, 'the first byte says it started');
    await page2.close();
  } finally {
    await chatty.close();
  }
});

test('a serial proxy that closes right after the upgrade (unknown or expired token) is named as such', async () => {
  const g = serialGrant(silent, { register: false });
  const page = await openPage(g.relayUrl);
  const c = await page.closed;
  assert.deepEqual(c, { code: RelayCloseCode.closedAtOnce, reason: 'the serial console proxy closed the connection at once: the console token was refused or has expired' });
  assert.equal(page.received(), 0);
  await waitFor(() => statesOf(g.sessionId).includes('closed'), 'closed');
  assert.deepEqual(statesOf(g.sessionId), ['connecting', 'closed'], 'never Connected');
});

test('a serial port that stops mid-session: the page is told the serial console proxy closed the connection', async () => {
  const dying = await startSerialPort((s) => {
    s.write('Ubuntu 24.04 ttyS0\r\n');
    s.once('data', () => s.end());
  });
  try {
    const g = serialGrant(dying);
    const page = await openPage(g.relayUrl);
    assert.match((await page.read(20)).toString(), /ttyS0/);
    page.send(Buffer.from('x'));
    const c = await page.closed;
    assert.deepEqual(c, { code: RelayCloseCode.serverClosed, reason: 'the serial console proxy closed the connection (1000 Target closed)' });
    await waitFor(() => statesOf(g.sessionId).includes('closed'), 'closed');
    assert.deepEqual(statesOf(g.sessionId), ['connecting', 'connected', 'closed']);
  } finally {
    await dying.close();
  }
});

test('a serial proxy that sends a text frame broke the protocol (4302); a page that sends one is closed with 1003', async () => {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http, handleProtocols: () => 'binary' });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x1b]), { binary: true });
    setTimeout(() => ws.send('a text frame'), 50);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  try {
    const token = randomBytes(16).toString('hex');
    tokens.push(token);
    const g = relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/?token=${token}`, console: 'serial' });
    const page = await openPage(g.relayUrl);
    assert.deepEqual(await page.read(4), Buffer.from([0xff, 0xfe, 0x00, 0x1b]), 'binary garbage passes unchanged');
    assert.deepEqual(await page.closed, {
      code: RelayCloseCode.proxyProtocolError,
      reason: 'the serial console proxy broke the WebSocket protocol: it sent a text frame; a console carries binary frames only',
    });
  } finally {
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
  const g = serialGrant(silent);
  const page = await openPage(g.relayUrl);
  page.send('ls\r');
  assert.deepEqual(await page.closed, { code: 1003, reason: 'the page sent a text frame; the relay carries binary frames only' });
});

test('a burst of 64 MiB from a serial console toward a page that does not read: the relay stops reading the proxy, nothing piles up, all of it arrives', async () => {
  const total = 64 << 20;
  const pattern = randomBytes(1 << 16);
  const burst = await startSerialPort((s) => {
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += pattern.length;
        if (!s.write(pattern)) return void s.once('drain', pump);
      }
    };
    pump();
  });
  let pauses = 0;
  const restore = watchCalls(WsUpstream.prototype, 'pause', () => pauses++);
  let page: PageSocket | undefined;
  const baseline = process.memoryUsage().arrayBuffers;
  try {
    const g = serialGrant(burst);
    page = await openPage(g.relayUrl);
    page.ws.pause();
    await waitFor(() => pauses > 0, 'the relay to stop reading the proxy');
    // While the page does not read, what the relay holds for it stays near the high-water mark.
    await new Promise((r) => setTimeout(r, 300));
    const held = heldForPage(page.ws);
    assert.ok(held < 8 << 20, `the page's stream holds ${held} bytes`);
    const grown = process.memoryUsage().arrayBuffers - baseline;
    assert.ok(grown < 24 << 20, `buffers grew by ${grown} bytes for a 64 MiB burst`);
    page.ws.resume();
    let got = 0;
    while (got < total) {
      const n = Math.min(pattern.length, total - got);
      const chunk = await page.read(n);
      assert.ok(chunk.equals(pattern.subarray(0, n)), `bytes at ${got}`);
      got += n;
    }
    assert.equal(got, total);
  } finally {
    restore();
    await page?.close();
    await burst.close();
  }
});

/** What has reached the page's socket but was not read yet (kernel buffers aside): the receiver's queue. */
function heldForPage(ws: WebSocket): number {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  return socket?.readableLength ?? 0;
}
