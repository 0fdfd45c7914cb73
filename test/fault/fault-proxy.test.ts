// The fault proxy (test/support/fault-proxy.ts) against real peers on loopback: each fault is checked from the
// client's side and the server's, so a test that uses the proxy can trust what it says it does. Waits are bounded
// polls on what the peers saw; the only fixed waits are the short ones that show something does NOT happen.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { makeSelfSigned } from '../electron/openstack/test-cert.ts';
import { startFaultProxy, type FaultProxy, type Side } from '../support/fault-proxy.ts';

/** How long a test waits to show that nothing arrives or closes (a silence, not a timing assertion). */
const QUIET_MS = 300;
/** Each test's bound: a broken proxy makes a test fail in seconds instead of hanging the run. */
const BOUND = { timeout: 10_000 };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Polls until `cond` holds; fails with `what` after a generous bound (a hang becomes a failure, not a stuck run). */
async function until(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** What one socket saw: bytes, and whether it ended, closed or failed (every socket gets an error listener). */
interface Seen {
  socket: Socket;
  data: Buffer[];
  bytes: number;
  ended: boolean;
  closed: boolean;
  error?: NodeJS.ErrnoException;
}

function watch(socket: Socket): Seen {
  const seen: Seen = { socket, data: [], bytes: 0, ended: false, closed: false };
  socket.on('data', (chunk: Buffer) => {
    seen.data.push(chunk);
    seen.bytes += chunk.length;
  });
  socket.on('end', () => (seen.ended = true));
  socket.on('close', () => (seen.closed = true));
  socket.on('error', (err) => (seen.error = err));
  return seen;
}

const text = (seen: Seen) => Buffer.concat(seen.data).toString('latin1');

/** The real server behind the proxy: echoes (or just records) what it gets, and keeps every socket it accepted. */
interface Peer {
  port: number;
  conns: Seen[];
}

/** Listens on a free loopback port; the cleanup destroys what the server accepted first, as close() waits for it. */
async function listen(server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => sockets.add(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    sockets.forEach((socket) => socket.destroy());
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

async function startPeer(opts: { echo: boolean }): Promise<Peer> {
  const conns: Seen[] = [];
  // allowHalfOpen, so the echo answers everything the client sent before its FIN and then ends (pipe ends it).
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    conns.push(watch(socket));
    if (opts.echo) socket.pipe(socket);
  });
  return { port: await listen(server), conns };
}

async function startProxy(port: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port } });
  cleanups.push(() => proxy.close());
  return proxy;
}

function client(port: number): Seen {
  const seen = watch(connect({ host: '127.0.0.1', port }));
  cleanups.push(() => seen.socket.destroy());
  return seen;
}

/** A client through the proxy that has had one round trip through the echo peer: the connection is up end to end. */
async function echoedClient(proxy: FaultProxy, peer: Peer): Promise<{ c: Seen; s: Seen }> {
  const before = peer.conns.length;
  const c = client(proxy.port);
  c.socket.write('hello');
  await until(() => text(c) === 'hello', 'the echo came back');
  c.data.length = 0;
  c.bytes = 0;
  return { c, s: peer.conns[before] };
}

test('forwards both ways, passes a FIN on as a FIN, and counts the bytes', BOUND, async () => {
  const peer = await startPeer({ echo: true });
  const proxy = await startProxy(peer.port);
  const payload = randomBytes(1 << 20);
  const c = client(proxy.port);
  c.socket.end(payload); // the echo peer ends after echoing everything: a half-close through the proxy
  await until(() => c.closed, 'the client closed');
  assert.equal(c.error, undefined);
  assert.ok(c.ended, 'the client saw a FIN');
  assert.ok(Buffer.concat(c.data).equals(payload), 'the echo came back whole');
  assert.deepEqual(proxy.bytes, { toServer: payload.length, toClient: payload.length });
  assert.equal(proxy.accepted, 1);
  await until(() => proxy.live === 0, 'the proxy forgot the connection');
});

test('kill() resets both sides', BOUND, async () => {
  const peer = await startPeer({ echo: true });
  const proxy = await startProxy(peer.port);
  const { c, s } = await echoedClient(proxy, peer);
  assert.equal(proxy.live, 1);
  proxy.kill();
  await until(() => c.closed && s.closed, 'both peers closed');
  assert.equal(c.error?.code, 'ECONNRESET');
  assert.equal(s.error?.code, 'ECONNRESET');
  await until(() => proxy.live === 0, 'the proxy forgot the connection');
});

test('a reset from one peer reaches the other as a reset, and so does a target that refuses', BOUND, async () => {
  const peer = await startPeer({ echo: true });
  const proxy = await startProxy(peer.port);
  const { c, s } = await echoedClient(proxy, peer);
  s.socket.resetAndDestroy();
  await until(() => c.closed, 'the client closed');
  assert.equal(c.error?.code, 'ECONNRESET');

  const nobody = createServer();
  const deadPort = await listen(nobody);
  await new Promise((resolve) => nobody.close(resolve)); // a port nothing listens on any more
  const orphan = await startProxy(deadPort);
  const d = client(orphan.port);
  await until(() => d.closed, 'the client closed');
  assert.equal(d.error?.code, 'ECONNRESET');
  await until(() => proxy.live === 0 && orphan.live === 0, 'both proxies forgot their connections');
});

test('end() closes both sides cleanly', BOUND, async () => {
  const peer = await startPeer({ echo: true });
  const proxy = await startProxy(peer.port);
  const { c, s } = await echoedClient(proxy, peer);
  proxy.end();
  await until(() => c.closed && s.ended, 'the client closed and the server saw a FIN');
  assert.ok(c.ended);
  assert.equal(c.error, undefined);
  assert.equal(s.error, undefined);
  await until(() => proxy.live === 0, 'the proxy forgot the connection');
});

test('stall() holds the bytes both ways and delivers them when it resumes', BOUND, async () => {
  const peer = await startPeer({ echo: false });
  const proxy = await startProxy(peer.port);
  const c = client(proxy.port);
  await until(() => peer.conns.length === 1, 'the proxy connected upstream');
  const s = peer.conns[0];

  let resumed = false;
  const early: string[] = [];
  c.socket.on('data', () => resumed || early.push('client'));
  s.socket.on('data', () => resumed || early.push('server'));
  const stalled = proxy.stall(QUIET_MS).then(() => (resumed = true));
  c.socket.write('from the client');
  s.socket.write('from the server');
  await stalled;
  await until(() => text(c) === 'from the server' && text(s) === 'from the client', 'both got their bytes');
  assert.deepEqual(early, [], 'nothing arrived during the stall');
});

test('blackhole(): what either peer writes vanishes, and nothing closes', BOUND, async () => {
  const peer = await startPeer({ echo: true });
  const proxy = await startProxy(peer.port);
  const { c, s } = await echoedClient(proxy, peer);
  const serverBytes = s.bytes;
  proxy.blackhole();
  c.socket.write('anyone there?');
  s.socket.write('from the server');
  c.socket.end(); // not even a FIN gets through
  await sleep(QUIET_MS);
  assert.equal(c.bytes, 0, 'nothing came back to the client');
  assert.equal(s.bytes, serverBytes, 'nothing reached the server');
  assert.ok(!c.closed && !c.error && !s.ended && !s.closed && !s.error, 'nobody saw a close or a reset');
  assert.equal(proxy.live, 1);
});

/** Writes 64 KiB chunks until the socket reports back-pressure; returns the hash of everything written. */
function writeUntilFull(socket: Socket): { hash: string; length: number } {
  const hash = createHash('sha256');
  let length = 0;
  for (let more = true; more; ) {
    assert.ok(length < 256 << 20, 'the socket never backed up');
    const chunk = randomBytes(64 << 10);
    hash.update(chunk);
    length += chunk.length;
    more = socket.write(chunk);
  }
  return { hash: hash.digest('hex'), length };
}

const digest = (seen: Seen) => createHash('sha256').update(Buffer.concat(seen.data)).digest('hex');

for (const side of ['client', 'server'] as Side[]) {
  test(`stopReading('${side}'): the ${side}'s writes back up, and arrive whole after resume()`, BOUND, async () => {
    const peer = await startPeer({ echo: false });
    const proxy = await startProxy(peer.port);
    const c = client(proxy.port);
    await until(() => peer.conns.length === 1, 'the proxy connected upstream');
    const [writer, reader] = side === 'client' ? [c, peer.conns[0]] : [peer.conns[0], c];

    proxy.stopReading(side);
    const sent = writeUntilFull(writer.socket);
    await sleep(100); // let the proxy read anything it (wrongly) would
    assert.ok(writer.socket.writableLength > 0, 'the writer is still backed up');
    assert.equal(reader.bytes, 0, 'nothing was forwarded');

    proxy.resume(side);
    await until(() => reader.bytes >= sent.length, 'everything arrived');
    assert.equal(reader.bytes, sent.length);
    assert.equal(digest(reader), sent.hash, 'the bytes arrived whole and in order');
  });
}

test('a server that stops reading backs the client up through the proxy, which buffers only a little', BOUND, async () => {
  const peer = await startPeer({ echo: false });
  const proxy = await startProxy(peer.port);
  const c = client(proxy.port);
  await until(() => peer.conns.length === 1, 'the proxy connected upstream');
  const s = peer.conns[0];
  s.socket.pause();

  // Keep writing as long as the socket drains: a proxy without back-pressure would drain it forever.
  const LIMIT = 128 << 20;
  const hash = createHash('sha256');
  let length = 0;
  while (length < LIMIT) {
    const chunk = randomBytes(256 << 10);
    hash.update(chunk);
    length += chunk.length;
    if (c.socket.write(chunk)) continue;
    const drained = await Promise.race([once(c.socket, 'drain').then(() => true), sleep(QUIET_MS).then(() => false)]);
    if (!drained) break;
  }
  assert.ok(length < LIMIT, `the client never backed up (${length} bytes written)`);

  s.socket.resume();
  await until(() => s.bytes >= length, 'everything arrived');
  assert.equal(digest(s), hash.digest('hex'), 'the bytes arrived whole and in order');
});

test("setNewConnections(): 'refuse' resets at once, 'hang' accepts and never answers, 'forward' forwards again", BOUND, async () => {
  const peer = await startPeer({ echo: true });
  const proxy = await startProxy(peer.port);

  proxy.setNewConnections('refuse');
  const refused = client(proxy.port);
  await until(() => refused.closed, 'the refused client closed');
  assert.equal(refused.error?.code, 'ECONNRESET');

  proxy.setNewConnections('hang');
  const hung = client(proxy.port);
  await once(hung.socket, 'connect');
  hung.socket.write('anyone there?');
  await sleep(QUIET_MS);
  assert.ok(hung.bytes === 0 && !hung.ended && !hung.closed && !hung.error, 'the hung client saw nothing at all');

  assert.equal(peer.conns.length, 0, 'neither reached the server');
  assert.equal(proxy.accepted, 2);
  assert.equal(proxy.live, 1, 'the hung connection is open');

  proxy.setNewConnections('forward');
  await echoedClient(proxy, peer);
  assert.equal(peer.conns.length, 1);
});

test('breakWhen() on the ClientHello resets the TLS handshake; disarmed or once, the next one gets through', BOUND, async () => {
  const now = Date.now();
  const pair = await makeSelfSigned({ names: [{ type: 'ip', value: '127.0.0.1' }], notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) });
  let handshakes = 0;
  const tlsServer = createTlsServer({ key: pair.key, cert: pair.cert }, (socket) => {
    handshakes++;
    socket.on('error', () => {});
    socket.end('hi over TLS');
  });
  const proxy = await startProxy(await listen(tlsServer));

  /** One TLS client through the proxy: what it read, or the error that ended it. */
  const handshake = () =>
    new Promise<string | NodeJS.ErrnoException>((resolve) => {
      const socket = connectTls({ host: '127.0.0.1', port: proxy.port, ca: pair.cert });
      cleanups.push(() => socket.destroy());
      let got = '';
      socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
      socket.on('end', () => resolve(got));
      socket.on('error', resolve);
    });
  const isClientHello = (chunk: Buffer, totalSoFar: number) => totalSoFar === 0 && chunk[0] === 0x16;

  assert.equal(await handshake(), 'hi over TLS', 'TLS passes through the proxy');

  await until(() => proxy.live === 0, 'the first connection is gone, close_notify and all');
  const forwarded = proxy.bytes.toServer;
  const disarm = proxy.breakWhen('to-server', isClientHello, 'reset');
  for (let i = 0; i < 2; i++) {
    const err = await handshake();
    assert.ok(err instanceof Error, 'the handshake failed');
    // A FIN mid-handshake is ECONNRESET too ("Client network socket disconnected…"); a real RST fails the read.
    assert.equal(err.code, 'ECONNRESET', err.message);
    assert.equal(err.syscall, 'read', err.message);
  }
  assert.equal(proxy.bytes.toServer, forwarded, 'the ClientHellos were dropped, not forwarded');
  disarm();
  assert.equal(await handshake(), 'hi over TLS');

  proxy.breakWhen('to-server', isClientHello, 'reset', { once: true });
  assert.ok((await handshake()) instanceof Error);
  assert.equal(await handshake(), 'hi over TLS', 'a once rule lets the retry through');
  assert.equal(handshakes, 3, 'only the three good handshakes completed');
});

test("breakWhen(…, 'end') forwards the matching chunk, then closes both sides cleanly", BOUND, async () => {
  const UPGRADE = 'HTTP/1.1 101 Switching Protocols\r\n\r\n';
  const conns: Seen[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const s = watch(socket);
    conns.push(s);
    socket.once('data', () => socket.write(UPGRADE));
    // Written after the proxy's FIN, so it can never share a chunk with the upgrade: the proxy must drop it.
    socket.on('end', () => socket.end('too late'));
  });
  const proxy = await startProxy(await listen(server));
  proxy.breakWhen('to-client', (chunk) => chunk.toString('latin1').startsWith('HTTP/1.1 101'), 'end');

  const c = client(proxy.port);
  c.socket.write('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n');
  await until(() => c.closed && conns[0]?.closed, 'both sides closed');
  assert.equal(text(c), UPGRADE, 'the upgrade arrived, and nothing after it');
  assert.ok(c.ended && !c.error, 'the client saw a FIN, not a reset');
  assert.ok(conns[0].ended && !conns[0].error, 'so did the server');
});

test("breakWhen(…, 'end') after a WebSocket upgrade: the client opens, then sees an abnormal close", BOUND, async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  cleanups.push(() => {
    wss.clients.forEach((ws) => ws.terminate()); // wss.close() leaves open connections open, and waits for them
    return new Promise((resolve) => wss.close(resolve));
  });
  const serverClosed = new Promise((resolve) => wss.on('connection', (ws) => ws.on('close', resolve)));
  const proxy = await startProxy((wss.address() as AddressInfo).port);
  proxy.breakWhen('to-client', (chunk) => chunk.toString('latin1').startsWith('HTTP/1.1 101'), 'end');

  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`);
  cleanups.push(() => ws.terminate());
  const events: string[] = [];
  ws.on('open', () => events.push('open'));
  ws.on('error', (err) => events.push(`error ${err.message}`));
  const [code] = (await once(ws, 'close')) as [number];
  assert.deepEqual(events, ['open']);
  assert.equal(code, 1006, 'closed without a close frame');
  await serverClosed;
});

test('close() resets everything and ends stalls, with hung and stopped connections open; a new proxy can take its port', BOUND, async () => {
  const peer = await startPeer({ echo: true });
  const proxy = await startProxy(peer.port);
  const { c } = await echoedClient(proxy, peer);
  proxy.setNewConnections('hang');
  const hung = client(proxy.port);
  await once(hung.socket, 'connect');
  proxy.stopReading('server');
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const timersBefore = timers();
  const stalled = proxy.stall(60_000);
  assert.equal(timers(), timersBefore + 1);

  await proxy.close();
  await stalled; // ended early
  assert.ok(timers() <= timersBefore, 'the stall left no timer behind');
  await until(() => c.closed && hung.closed, 'both clients closed');
  assert.equal(c.error?.code, 'ECONNRESET');
  assert.equal(hung.error?.code, 'ECONNRESET');
  assert.equal(proxy.live, 0);
  await proxy.close(); // a second close is harmless
  await proxy.stall(60_000); // and a stall after it resolves at once
  const refused = client(proxy.port);
  await until(() => refused.closed, 'the connect failed');
  assert.equal(refused.error?.code, 'ECONNREFUSED');

  const again = await startFaultProxy({ target: { host: '127.0.0.1', port: peer.port }, port: proxy.port });
  cleanups.push(() => again.close());
  await echoedClient(again, peer);
});
