// The console relay against small in-process servers: grants and Origin (no page byte reaches a server without both;
// a vnc:// grant connects when it is minted, and drops that connection unused if no valid page comes),
// what goes over the wire (binary only, no Origin toward the proxy, backpressure), and how each failure is named.
// The same paths against real VNC servers and proxies are in real-servers.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import { ConsoleRelay, RelayCloseCode, type RelayStatus } from '../../../electron/relay/relay.ts';
import { TcpUpstream, WsUpstream } from '../../../electron/relay/upstream.ts';
import { networkFailure } from '../../../electron/relay/failure.ts';
import { openPage, RelayClosed, type PageSocket } from './page-client.ts';
import { startNovaProxyDouble, type NovaProxyDouble } from './nova-proxy-double.ts';
import { watchCalls } from '../../support/watch-calls.ts';

const GREETING = Buffer.from('RFB 003.008\n', 'latin1');

interface VncDouble {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Bytes each connection received. */
  received: Buffer[][];
  /** Whether each connection is still open. */
  open: boolean[];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A TCP server that greets as an RFB 3.8 server would and records (and, with `echo`, returns) what it receives. */
async function startVncDouble(opts: { greeting?: Buffer | null; echo?: boolean; onConnection?: (s: Socket) => void } = {}): Promise<VncDouble> {
  const sockets = new Set<Socket>();
  const double: VncDouble = { port: 0, connections: 0, received: [], open: [], sockets, close: async () => {} };
  const server: NetServer = createNetServer((s) => {
    double.connections++;
    sockets.add(s);
    const mine: Buffer[] = [];
    double.received.push(mine);
    const index = double.open.push(true) - 1;
    s.on('error', () => {});
    s.once('close', () => {
      sockets.delete(s);
      double.open[index] = false;
    });
    if (opts.onConnection) return opts.onConnection(s);
    s.on('data', (d) => {
      mine.push(d);
      if (opts.echo) s.write(d);
    });
    if (opts.greeting !== null) s.write(opts.greeting ?? GREETING);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  double.port = (server.address() as AddressInfo).port;
  double.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return double;
}

let relay: ConsoleRelay;
let echo: VncDouble;
let proxy: NovaProxyDouble;
const statuses: RelayStatus[] = [];
const logs: string[] = [];
/** Every grant and console token handed out: none may show up in a reason or a log line. */
const secrets: string[] = [];
const closeReasons: string[] = [];
let certificateChecks = 0;

before(async () => {
  echo = await startVncDouble({ echo: true });
  proxy = await startNovaProxyDouble();
  relay = new ConsoleRelay({
    verifyCertificate: async () => {
      certificateChecks++;
      return false;
    },
    onStatus: (s) => statuses.push(s),
    log: (l) => logs.push(l),
  });
  await relay.listen();
});

after(async () => {
  await relay.close();
  await echo.close();
  await proxy.close();
  for (const secret of secrets) {
    for (const text of [...statuses.map((s) => s.reason ?? ''), ...logs, ...closeReasons]) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
  }
  assert.equal(certificateChecks, 0, 'no plain-ws or TCP destination asks about a certificate');
});

const statusOf = (id: string) => statuses.filter((s) => s.sessionId === id);
/**
 * The connections a server saw since the `from`-th were only those of grants that went unused (a vnc:// grant
 * connects when minted, see electron/relay/early-tcp.ts): each has closed, and none received a byte.
 */
async function onlyUnusedConnectionsSince(d: VncDouble, from: number): Promise<void> {
  await waitFor(() => d.open.slice(from).every((open) => !open), "the unused grants' connections to close");
  assert.equal(Buffer.concat(d.received.slice(from).flat()).length, 0, 'no byte reached the server');
}
async function waitFor(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}
function grantToken(relayUrl: string): string {
  const token = new URL(relayUrl).searchParams.get('grant')!;
  secrets.push(token);
  return token;
}
async function closedWith(page: PageSocket): Promise<{ code: number; reason: string }> {
  const c = await page.closed;
  closeReasons.push(c.reason);
  return c;
}
const tcpGrant = (port: number, r = relay) => {
  const g = r.grant({ kind: 'tcp', host: '127.0.0.1', port });
  grantToken(g.relayUrl);
  return g;
};
const consoleToken = () => {
  const t = randomBytes(18).toString('hex');
  secrets.push(t);
  return t;
};

test('a tcp grant: the greeting reaches the page, bytes flow both ways as binary frames, statuses say so', async () => {
  const g = tcpGrant(echo.port);
  assert.match(g.relayUrl, /^ws:\/\/127\.0\.0\.1:\d+\/relay\?grant=[A-Za-z0-9_-]{43}$/);
  assert.equal(g.endpoint, `127.0.0.1:${echo.port}`);
  const page = await openPage(g.relayUrl);
  assert.equal(page.protocol, 'binary');
  assert.deepEqual(await page.read(12), GREETING);
  await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'connected'), 'connected');
  const payload = randomBytes(100_000);
  page.send(payload);
  assert.deepEqual(await page.read(payload.length), payload);
  assert.ok(page.allBinary());
  await page.close();
  await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed');
  assert.deepEqual(statusOf(g.sessionId), [
    { sessionId: g.sessionId, state: 'connecting' },
    { sessionId: g.sessionId, state: 'connected' },
    { sessionId: g.sessionId, state: 'closed', reason: 'the page closed the session', cause: 'closed-by-app' },
  ]);
  await waitFor(() => relay.activeSessions === 0, 'the session to be forgotten');
});

test('the page may offer no subprotocol (noVNC by default) or binary; one that offers neither is refused before the upgrade, and nothing reaches the server', async () => {
  const g1 = tcpGrant(echo.port);
  const none = await openPage(g1.relayUrl, { protocols: [] });
  assert.equal(none.protocol, '');
  assert.deepEqual(await none.read(12), GREETING);
  await none.close();
  const before = echo.connections;
  const g2 = tcpGrant(echo.port);
  await assert.rejects(openPage(g2.relayUrl, { protocols: ['base64'] }), /400/);
  // Refused before the grant was looked at: the grant stays unused until it is revoked (the tab closes).
  relay.revoke(g2.sessionId);
  await onlyUnusedConnectionsSince(echo, before);
});

test('a vnc:// grant connects when it is minted: the greeting waits for the page; unused, the connection closes', async () => {
  const before = echo.connections;
  const g = tcpGrant(echo.port);
  await waitFor(() => echo.connections === before + 1, 'the connection opened with the grant');
  await new Promise((r) => setTimeout(r, 30)); // the greeting has arrived, and waits in the relay's socket
  assert.equal(statusOf(g.sessionId).length, 0, 'no status before the page comes');
  const page = await openPage(g.relayUrl);
  assert.deepEqual(await page.read(12), GREETING, 'the greeting sent before the page came');
  page.send(Buffer.from('client bytes'));
  assert.equal((await page.read(12)).toString(), 'client bytes');
  assert.equal(echo.connections, before + 1, 'the page used the connection the grant opened');
  await page.close();

  const unused = tcpGrant(echo.port);
  await waitFor(() => echo.connections === before + 2, 'the second grant connected');
  relay.revoke(unused.sessionId);
  await onlyUnusedConnectionsSince(echo, before + 1);
  assert.equal(statusOf(unused.sessionId).length, 0);
});

test('a VNC grant through a console proxy upgrades when it is minted; the page takes that WebSocket; unused, it closes', async () => {
  const token = consoleToken();
  proxy.addToken(token, '127.0.0.1', echo.port);
  const requests = proxy.requests.length;
  const connections = echo.connections;
  const g = relay.grant({ kind: 'websocket', url: proxy.url(token) });
  grantToken(g.relayUrl);
  await waitFor(() => proxy.requests.length === requests + 1 && echo.connections === connections + 1, 'the upgrade and the VNC connection behind the proxy');
  const page = await openPage(g.relayUrl);
  assert.deepEqual(await page.read(12), GREETING, 'the greeting that waited in the proxy WebSocket');
  page.send(Buffer.from('through proxy'));
  assert.equal((await page.read(13)).toString(), 'through proxy');
  assert.equal(proxy.requests.length, requests + 1, 'the page used the upgrade made with the grant');
  await page.close();

  const other = consoleToken();
  proxy.addToken(other, '127.0.0.1', echo.port);
  const before = echo.connections;
  const unused = relay.grant({ kind: 'websocket', url: proxy.url(other) });
  grantToken(unused.relayUrl);
  await waitFor(() => echo.connections === before + 1, 'the unused grant reached the VNC server through the proxy');
  relay.revoke(unused.sessionId);
  await onlyUnusedConnectionsSince(echo, before);
});

test('grants never issued, already used, expired, revoked or missing are refused with 4001, and nothing reaches any server from them', async () => {
  const short = new ConsoleRelay({ verifyCertificate: async () => false, grantTtlMs: 30, onStatus: (s) => statuses.push(s) });
  await short.listen();
  try {
    const token = consoleToken();
    proxy.addToken(token, '127.0.0.1', echo.port);
    const proxyRequests = () => proxy.requests.length;
    // One grant used once, through the proxy: the second use must not reach it again.
    const used = relay.grant({ kind: 'websocket', url: proxy.url(token) });
    grantToken(used.relayUrl);
    const first = await openPage(used.relayUrl);
    assert.deepEqual(await first.read(12), GREETING);
    await first.close();
    await waitFor(() => echo.open.every((open) => !open), 'the used session to end');
    const before = echo.connections;
    const proxyBefore = proxyRequests();
    const expired = tcpGrant(echo.port, short);
    await new Promise((r) => setTimeout(r, 80));
    const revoked = tcpGrant(echo.port);
    relay.revoke(revoked.sessionId);
    const forged = `${relay.url}?grant=${randomBytes(32).toString('base64url')}`;
    for (const url of [used.relayUrl, expired.relayUrl, revoked.relayUrl, forged, relay.url, `${relay.url}?grant=`]) {
      const page = await openPage(url);
      const c = await closedWith(page);
      assert.equal(c.code, RelayCloseCode.grantRefused, url);
      assert.match(c.reason, /grant is unknown, used or expired/);
      assert.equal(page.received(), 0);
    }
    assert.equal(proxyRequests(), proxyBefore, 'the proxy saw no request');
    await onlyUnusedConnectionsSince(echo, before);
    assert.equal(statusOf(expired.sessionId).length, 0);
  } finally {
    await short.close();
  }
});

test('with allowOrigin, a page of another origin (or none) is refused before the upgrade, its grant is burnt, nothing reaches the server', async () => {
  const own = 'http://127.0.0.1:5173';
  const strict = new ConsoleRelay({ verifyCertificate: async () => false, allowOrigin: (o) => o === own, onStatus: (s) => statuses.push(s) });
  await strict.listen();
  try {
    const before = echo.connections;
    for (const origin of ['http://localhost:5173', 'https://evil.example', undefined]) {
      const g = tcpGrant(echo.port, strict);
      await assert.rejects(openPage(g.relayUrl, { origin }), /403/);
      assert.deepEqual(statusOf(g.sessionId), [{ sessionId: g.sessionId, state: 'closed', reason: 'the relay refused a page of another origin', cause: 'refused' }]);
      // Burnt: even the right origin cannot use it now.
      const again = await openPage(g.relayUrl, { origin: own });
      assert.equal((await closedWith(again)).code, RelayCloseCode.grantRefused);
    }
    await onlyUnusedConnectionsSince(echo, before);
    const ok = tcpGrant(echo.port, strict);
    const page = await openPage(ok.relayUrl, { origin: own });
    assert.deepEqual(await page.read(12), GREETING);
    await page.close();
  } finally {
    await strict.close();
  }
});

test('a text frame from the page closes its socket with 1003 and is never forwarded', async () => {
  const g = tcpGrant(echo.port);
  const page = await openPage(g.relayUrl);
  await page.read(12);
  page.send(Buffer.from('binary first'));
  await page.read(12);
  page.send('a text frame');
  const c = await closedWith(page);
  assert.equal(c.code, 1003);
  assert.match(c.reason, /binary frames only/);
  const got = Buffer.concat(echo.received.at(-1)!).toString();
  assert.equal(got, 'binary first');
});

test('grant() refuses destinations it cannot connect to, and never puts the console token in the endpoint', () => {
  assert.throws(() => relay.grant({ kind: 'tcp', host: '', port: 5900 }), RangeError);
  assert.throws(() => relay.grant({ kind: 'tcp', host: 'h', port: 0 }), RangeError);
  assert.throws(() => relay.grant({ kind: 'tcp', host: 'h', port: 65536 }), RangeError);
  assert.throws(() => relay.grant({ kind: 'websocket', url: 'http://proxy:6080/?token=x' }), RangeError);
  assert.throws(() => relay.grant({ kind: 'websocket', url: 'not a url' }), RangeError);
  assert.throws(() => relay.grant({ kind: 'websocket', url: 'ws://user:pw@proxy:6080/' }), RangeError);
  const ws = relay.grant({ kind: 'websocket', url: 'wss://proxy.example/?token=0123456789abcdef' });
  relay.revoke(ws.sessionId);
  assert.equal(ws.endpoint, 'proxy.example:443');
  const v6 = relay.grant({ kind: 'tcp', host: '[::1]', port: 5901 });
  relay.revoke(v6.sessionId);
  assert.equal(v6.endpoint, '[::1]:5901');
  const own = relay.grant({ kind: 'tcp', host: 'h', port: 5900 }, { sessionId: 'tab-7' });
  relay.revoke(own.sessionId);
  assert.equal(own.sessionId, 'tab-7');
});

test('a websocket destination: no Origin header, subprotocol binary, and it passes a Nova-style Origin check', async () => {
  const token = consoleToken();
  proxy.addToken(token, '127.0.0.1', echo.port);
  const g = relay.grant({ kind: 'websocket', url: proxy.url(token) });
  grantToken(g.relayUrl);
  assert.equal(g.endpoint, `127.0.0.1:${proxy.port}`);
  const page = await openPage(g.relayUrl);
  assert.deepEqual(await page.read(12), GREETING);
  const payload = randomBytes(70_000);
  page.send(payload);
  assert.deepEqual(await page.read(payload.length), payload);
  const req = proxy.requests.at(-1)!;
  assert.equal(req.origin, undefined);
  assert.equal(req.protocols, 'binary');
  assert.equal(req.refused, undefined);
  await page.close();

  // The double refuses what a page would send (an Electron page's origin, a loopback dev server's).
  for (const origin of ['app://nova-console', 'http://localhost:5173', 'null']) {
    const direct = new WebSocket(proxy.url(token), ['binary'], { origin });
    const code = await new Promise<number>((r) => direct.once('close', (c) => r(c)));
    direct.on('error', () => {});
    assert.equal(code, 1006, origin);
    assert.match(proxy.requests.at(-1)!.refused ?? '', /Origin header/);
  }
});

test('a console proxy that closes right after the upgrade (a bad or expired token) is named as such', async () => {
  const token = consoleToken(); // never registered with the proxy
  const g = relay.grant({ kind: 'websocket', url: proxy.url(token) });
  grantToken(g.relayUrl);
  const page = await openPage(g.relayUrl);
  const c = await closedWith(page);
  assert.equal(c.code, RelayCloseCode.closedAtOnce);
  assert.equal(c.reason, 'the console proxy closed the connection at once: the console token was refused or has expired');
  assert.equal(page.received(), 0);
  await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed');
  assert.deepEqual(
    statusOf(g.sessionId).map((s) => s.state),
    ['connecting', 'closed'],
  );
});

test("a proxy's own words are quoted, never the console token it may echo", async () => {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http, handleProtocols: () => 'binary' });
  wss.on('connection', (ws, req) => ws.close(4403, `token ${new URL(req.url ?? '/', 'http://x').searchParams.get('token')} unknown`));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  try {
    const g = relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/?token=${consoleToken()}&shared=true` });
    grantToken(g.relayUrl);
    const c = await closedWith(await openPage(g.relayUrl));
    assert.equal(c.code, RelayCloseCode.closedAtOnce);
    assert.equal(c.reason, 'the console proxy closed the connection at once, before the console started (4403 token … unknown)');
  } finally {
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
});

test('a console proxy that refuses the upgrade with an HTTP status is named with it', async () => {
  const http = createHttpServer((_q, s) => s.end());
  http.on('upgrade', (_req, socket: Socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  try {
    const g = relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/?token=${consoleToken()}` });
    grantToken(g.relayUrl);
    const c = await closedWith(await openPage(g.relayUrl));
    assert.equal(c.code, RelayCloseCode.upgradeRefused);
    assert.equal(c.reason, 'the console proxy refused the WebSocket upgrade with HTTP 403 Forbidden: the console token was refused or has expired');
  } finally {
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
});

test('network failures name their cause: refused, no answer to the upgrade, not TLS, and the DNS and reset vocabulary', async () => {
  const closed = await startVncDouble();
  const port = closed.port;
  await closed.close();
  const refused = await openPage(tcpGrant(port).relayUrl);
  let c = await closedWith(refused);
  assert.equal(c.code, RelayCloseCode.refused);
  assert.equal(c.reason, 'the VNC server refused the connection: nothing listens on that port');

  const viaProxy = relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${port}/?token=${consoleToken()}` });
  grantToken(viaProxy.relayUrl);
  c = await closedWith(await openPage(viaProxy.relayUrl));
  assert.equal(c.reason, 'the console proxy refused the connection: nothing listens on that port');

  // Accepts and never answers; then one that answers the TLS ClientHello with plain text.
  const silent = await startVncDouble({ greeting: null });
  const plain = await startVncDouble({ onConnection: (s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')) });
  const quick = new ConsoleRelay({ verifyCertificate: async () => true, timeouts: { upgradeMs: 300 } });
  await quick.listen();
  try {
    const g = quick.grant({ kind: 'websocket', url: `ws://127.0.0.1:${silent.port}/?token=${consoleToken()}` });
    grantToken(g.relayUrl);
    c = await closedWith(await openPage(g.relayUrl));
    assert.equal(c.code, RelayCloseCode.timeout);
    assert.equal(c.reason, 'the console proxy did not answer the WebSocket upgrade in time');
    const t = quick.grant({ kind: 'websocket', url: `wss://127.0.0.1:${plain.port}/?token=${consoleToken()}` });
    grantToken(t.relayUrl);
    c = await closedWith(await openPage(t.relayUrl));
    assert.equal(c.code, RelayCloseCode.tlsFailure);
    assert.match(c.reason, /^the TLS handshake with the console proxy failed: |^the console proxy (closed|reset) the connection during the TLS handshake/);
  } finally {
    await quick.close();
    await silent.close();
    await plain.close();
  }
  // Failures no local server can produce on demand, by their errno codes.
  assert.deepEqual(
    { ...networkFailure({ code: 'ENOTFOUND' }, 'the console proxy', 'proxy.example') },
    { ...networkFailure({ code: 'EAI_AGAIN' }, 'the console proxy', 'proxy.example') },
  );
  const dns = networkFailure({ code: 'ENOTFOUND' }, 'the console proxy', 'proxy.example');
  assert.equal(dns.code, RelayCloseCode.dnsFailure);
  assert.equal(dns.reason, 'DNS lookup failed for proxy.example: no such host name');
  assert.equal(networkFailure({ code: 'ETIMEDOUT' }, 'the VNC server', 'h').reason, 'timed out connecting to the VNC server');
  assert.equal(networkFailure({ code: 'EHOSTUNREACH' }, 'the VNC server', 'h').code, RelayCloseCode.unreachable);
});

test('a server that speaks first but not RFB, or stops inside the greeting, is not a VNC server', async () => {
  const ssh = await startVncDouble({ greeting: Buffer.from('SSH-2.0-OpenSSH_9.2p1\r\n') });
  const cut = await startVncDouble({ onConnection: (s) => s.end('RFB 003') });
  try {
    let c = await closedWith(await openPage(tcpGrant(ssh.port).relayUrl));
    assert.equal(c.code, RelayCloseCode.notVnc);
    assert.equal(c.reason, 'not a VNC server: its first bytes were "SSH-2.0-Open", not an RFB greeting');
    const page = await openPage(tcpGrant(cut.port).relayUrl);
    c = await closedWith(page);
    assert.equal(c.code, RelayCloseCode.notVnc);
    assert.equal(c.reason, 'not a VNC server: the connection ended inside the RFB greeting');
    assert.equal(page.received(), 0, 'nothing reaches the page before the greeting is whole');
  } finally {
    await ssh.close();
    await cut.close();
  }
});

test('revoke ends a live session with 4002, and bytes the page sent before the greeting wait for it', async () => {
  let release!: () => void;
  const late = await startVncDouble({
    onConnection: (s) => {
      s.on('data', (d) => late.received.at(-1)!.push(d));
      release = () => s.write(GREETING);
    },
  });
  try {
    const g = tcpGrant(late.port);
    const page = await openPage(g.relayUrl);
    page.send(Buffer.from('early'));
    await waitFor(() => late.connections === 1, 'the connection');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(Buffer.concat(late.received[0]).length, 0, 'held until the server greets');
    release();
    assert.deepEqual(await page.read(12), GREETING);
    await waitFor(() => Buffer.concat(late.received[0]).toString() === 'early', 'the held bytes');
    relay.revoke(g.sessionId, 'the tab was closed');
    const c = await closedWith(page);
    assert.deepEqual(c, { code: RelayCloseCode.closedByApp, reason: 'the tab was closed' });
    assert.equal(statusOf(g.sessionId).at(-1)?.reason, 'the tab was closed');
  } finally {
    await late.close();
  }
});

test('a page that sends more than 1 MiB before the server greets is stopped with 4003; the server gets none of it', async () => {
  const mute = await startVncDouble({ greeting: null });
  try {
    const page = await openPage(tcpGrant(mute.port).relayUrl);
    await waitFor(() => mute.connections === 1, 'the connection');
    for (let i = 0; i < 5; i++) page.send(randomBytes(256 << 10));
    const c = await closedWith(page);
    assert.deepEqual(c, { code: RelayCloseCode.pageOverflow, reason: 'the page sent too much data before the server was ready' });
    assert.equal(Buffer.concat(mute.received[0]).length, 0);
  } finally {
    await mute.close();
  }
});

for (const kind of ['tcp', 'websocket'] as const) {
test(`backpressure (${kind}): 48 MiB toward a slow page and 16 MiB toward a slow server arrive whole, the readers paused meanwhile`, async () => {
  const down = 48 << 20;
  const up = 16 << 20;
  const pattern = randomBytes(65_521);
  let serverGot = 0;
  let serverIntact = true;
  let serverSocket!: Socket;
  const big = await startVncDouble({
    onConnection: (s) => {
      serverSocket = s;
      s.write(GREETING);
      for (let sent = 0; sent < down; sent += pattern.length) s.write(pattern.subarray(0, Math.min(pattern.length, down - sent)));
      s.on('data', (d) => {
        for (let off = 0; off < d.length; ) {
          const pos = serverGot % pattern.length;
          const n = Math.min(pattern.length - pos, d.length - off);
          if (!d.subarray(off, off + n).equals(pattern.subarray(pos, pos + n))) serverIntact = false;
          off += n;
          serverGot += n;
        }
      });
    },
  });
  let pauses = 0;
  let pagePauses = 0;
  let page!: PageSocket;
  const restore = watchCalls((kind === 'tcp' ? TcpUpstream : WsUpstream).prototype, 'pause', () => pauses++);
  const restorePage = watchCalls(WebSocket.prototype, 'pause', (ws) => {
    if (ws !== page.ws) pagePauses++; // the relay's end of the page's socket
  });
  try {
    let url = tcpGrant(big.port).relayUrl;
    if (kind === 'websocket') {
      const token = consoleToken();
      proxy.addToken(token, '127.0.0.1', big.port);
      url = relay.grant({ kind: 'websocket', url: proxy.url(token) }).relayUrl;
      grantToken(url);
    }
    page = await openPage(url);
    assert.deepEqual(await page.read(12), GREETING);
    // The page's reader is slow: its socket is paused while the server pushes everything.
    page.ws.pause();
    await waitFor(() => pauses > 0, 'the relay to stop reading the server');
    page.ws.resume();
    let got = 0;
    for (; got < down; ) {
      const n = Math.min(pattern.length - (got % pattern.length), down - got);
      const chunk = await page.read(n);
      assert.ok(chunk.equals(pattern.subarray(got % pattern.length, (got % pattern.length) + n)), `bytes at ${got}`);
      got += n;
    }
    // The server reads slowly: the relay holds the page's socket until the server drains.
    serverSocket.pause();
    for (let sent = 0; sent < up; sent += pattern.length) page.ws.send(pattern.subarray(0, Math.min(pattern.length, up - sent)), { binary: true });
    await new Promise((r) => setTimeout(r, 100));
    serverSocket.resume();
    await waitFor(() => serverGot >= up, 'the upload');
    assert.equal(serverGot, up);
    assert.ok(serverIntact, 'the upload arrived intact');
    assert.ok(pagePauses > 0, 'the relay stopped reading the page while the server was slow');
    await page.close();
  } finally {
    restore();
    restorePage();
    await big.close();
  }
});
}

test('attached to a shared HTTP server, it serves /relay and leaves other paths to their owners', async () => {
  const http = createHttpServer((_q, s) => s.end('page'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const shared = new ConsoleRelay({ verifyCertificate: async () => false });
  shared.attach(http);
  const other = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (req.url === '/api') other.handleUpgrade(req, socket, head, (ws) => ws.send('api'));
  });
  try {
    const g = tcpGrant(echo.port, shared);
    assert.ok(g.relayUrl.startsWith(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/relay?grant=`));
    const page = await openPage(g.relayUrl);
    assert.deepEqual(await page.read(12), GREETING);
    await page.close();
    const api = new WebSocket(shared.url.replace('/relay', '/api'));
    assert.equal(await new Promise<string>((r) => api.once('message', (d: Buffer) => r(d.toString()))), 'api');
    api.close();
  } finally {
    await shared.close();
    other.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
});

test('close() ends live sessions with 4002 and forgets unused grants', async () => {
  const own = new ConsoleRelay({ verifyCertificate: async () => false });
  await own.listen();
  const g = tcpGrant(echo.port, own);
  const page = await openPage(g.relayUrl);
  await page.read(12);
  tcpGrant(echo.port, own);
  await own.close();
  const c = await closedWith(page);
  assert.deepEqual(c, { code: RelayCloseCode.closedByApp, reason: 'the relay stopped' });
  await assert.rejects(page.read(1), RelayClosed);
});
