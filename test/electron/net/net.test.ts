// The networking the RDP gateway and the console relay share, on its own: what each failure is called (the two
// sides word it, so the kinds must be right), the backpressure rule, the grants. How the gateway and the relay
// use it is tested in test/electron/rdp and test/electron/relay.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { WebSocket } from 'ws';
import { connectTcp } from '../../../electron/net/tcp.ts';
import { peerChain, startTls } from '../../../electron/net/tls.ts';
import { errnoCause, NetError } from '../../../electron/net/errors.ts';
import { formatEndpoint } from '../../../electron/net/address.ts';
import { BinarySender, closeReason, HIGH_WATER, LOW_WATER } from '../../../electron/net/websocket.ts';
import { GrantTable } from '../../../electron/net/grants.ts';
import { makeCertificates } from '../../support/vnc-servers.ts';

let certs: ReturnType<typeof makeCertificates>;

before(() => {
  certs = makeCertificates();
});

/** A server on 127.0.0.1 that hands each connection to `onConnection`; closed when the test ends. */
async function listen(t: { after(fn: () => Promise<void>): void }, server: Server, onConnection: (s: Socket) => void = () => {}): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const limits = (timeoutMs = 5000, signal = new AbortController().signal) => ({ timeoutMs, signal });

async function rejection(p: Promise<unknown>): Promise<NetError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof NetError, `a NetError, not ${String(err)}`);
    return err;
  }
  assert.fail('the promise resolved');
}

test('connectTcp connects with Nagle off, and names a refused connection by its errno code', async (t) => {
  const port = await listen(t, createNetServer());
  const socket = await connectTcp('127.0.0.1', port, limits());
  socket.destroy();
  const refused = await rejection(connectTcp('127.0.0.1', await closedPort(), limits()));
  assert.equal(refused.kind, 'error');
  assert.equal(refused.code, 'ECONNREFUSED');
  assert.equal(errnoCause(refused), 'refused');
});

test('connectTcp is aborted by its signal, before or while connecting', async () => {
  const gone = new AbortController();
  gone.abort();
  assert.equal((await rejection(connectTcp('127.0.0.1', 9, limits(5000, gone.signal)))).kind, 'aborted');
  const leaving = new AbortController();
  const p = connectTcp('127.0.0.1', await closedPort(), limits(5000, leaving.signal));
  leaving.abort();
  assert.equal((await rejection(p)).kind, 'aborted');
});

test('startTls: a peer that never answers times out, one that hangs up is closed or reset, one that speaks no TLS is an error', async (t) => {
  const silent = await listen(t, createNetServer());
  const quiet = await rejection(startTls(await connectTcp('127.0.0.1', silent, limits()), { host: '127.0.0.1', ...limits(100) }));
  assert.equal(quiet.kind, 'timeout');

  // Node reports a peer that hangs up mid-handshake either way, depending on which side of the socket sees it first.
  const hangsUp = await listen(t, createNetServer(), (s) => s.once('data', () => s.end()));
  const gone = await rejection(startTls(await connectTcp('127.0.0.1', hangsUp, limits()), { host: '127.0.0.1', ...limits() }));
  assert.ok(gone.kind === 'closed' || (gone.kind === 'error' && errnoCause(gone) === 'reset'), `${gone.kind} ${gone.code}`);

  const plain = await listen(t, createNetServer(), (s) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
  const wrong = await rejection(startTls(await connectTcp('127.0.0.1', plain, limits()), { host: '127.0.0.1', ...limits() }));
  assert.equal(wrong.kind, 'error');
  assert.ok(wrong.code, 'the OpenSSL code is kept');
});

test('startTls refuses no certificate: it says whether Node trusts it, and gives the chain for the caller to decide', async (t) => {
  const port = await listen(t, createTlsServer({ ...certs.selfSigned, ALPNProtocols: ['http/1.1'] }));
  const tls = await startTls(await connectTcp('127.0.0.1', port, limits()), { host: '127.0.0.1', alpn: ['http/1.1'], ...limits() });
  assert.equal(tls.authorized, false);
  assert.deepEqual(peerChain(tls), [certs.selfSigned.der]);
  assert.equal(tls.alpnProtocol, 'http/1.1', 'the offered protocol was taken');
  tls.destroy();

  const caSigned = await listen(t, createTlsServer(certs.caSigned));
  const trusted = await startTls(await connectTcp('127.0.0.1', caSigned, limits()), { host: '127.0.0.1', extraCa: [certs.ca], ...limits() });
  assert.equal(trusted.authorized, true);
  trusted.destroy();
});

test('errno codes are grouped by what they mean; other codes are left to the caller', () => {
  assert.equal(errnoCause({ code: 'ENOTFOUND' }), 'dns');
  assert.equal(errnoCause({ code: 'EAI_AGAIN' }), 'dns');
  assert.equal(errnoCause({ code: 'EPIPE' }), 'reset');
  assert.equal(errnoCause({ code: 'EHOSTUNREACH' }), 'no-route');
  assert.equal(errnoCause({ code: 'ECONNABORTED' }), undefined);
  assert.equal(errnoCause(new Error('no code')), undefined);
  assert.equal(errnoCause(undefined), undefined);
});

test('formatEndpoint brackets IPv6 addresses only', () => {
  assert.equal(formatEndpoint('::1', 3389), '[::1]:3389');
  assert.equal(formatEndpoint('10.0.0.5', 5900), '10.0.0.5:5900');
  assert.equal(formatEndpoint('host.example', 2179), 'host.example:2179');
});

test('closeReason fits 123 bytes and marks the cut only when asked to', () => {
  assert.equal(closeReason('short'), 'short');
  const long = 'é'.repeat(100);
  assert.ok(Buffer.byteLength(closeReason(long)) <= 123);
  assert.ok(!closeReason(long).endsWith('…'));
  assert.ok(closeReason(long, '…').endsWith('…'));
  assert.ok(Buffer.byteLength(closeReason(long, '…')) <= 123);
});

test('BinarySender stops the source above HIGH_WATER and lets it go on once a send leaves less than LOW_WATER', () => {
  const sent: Array<() => void> = [];
  const ws = { OPEN: 1, readyState: 1, bufferedAmount: 0, send: (_d: Buffer, _o: unknown, done: () => void) => sent.push(done) };
  const events: string[] = [];
  const sender = new BinarySender(ws as unknown as WebSocket, { high: () => events.push('high'), low: () => events.push('low') });
  assert.equal(sender.send(Buffer.alloc(1)), true);
  ws.bufferedAmount = HIGH_WATER + 1;
  assert.equal(sender.send(Buffer.alloc(1)), false);
  assert.equal(sender.send(Buffer.alloc(1)), false);
  assert.deepEqual(events, ['high'], 'stopped once');
  ws.bufferedAmount = LOW_WATER;
  sent[1]();
  assert.deepEqual(events, ['high'], 'not below LOW_WATER yet');
  ws.bufferedAmount = LOW_WATER - 1;
  sent[2]();
  sent[0]();
  assert.deepEqual(events, ['high', 'low'], 'went on once');
  ws.readyState = 3;
  assert.equal(sender.send(Buffer.alloc(1)), true);
  assert.equal(sent.length, 3, 'nothing is sent to a socket that is not open');
});

test('GrantTable: a token is good once, not after its time, not after a revoke or clear', async () => {
  const grants = new GrantTable<{ sessionId: string; where: string }>(30);
  const a = grants.issue({ sessionId: 's1', where: 'a' });
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(grants.take(a), { sessionId: 's1', where: 'a' });
  assert.equal(grants.take(a), undefined);
  assert.equal(grants.take(undefined), undefined);
  assert.equal(grants.take(''), undefined);

  const late = grants.issue({ sessionId: 's2', where: 'b' });
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(grants.take(late), undefined);

  const one = grants.issue({ sessionId: 's3', where: 'c' });
  const two = grants.issue({ sessionId: 's3', where: 'd' });
  const other = grants.issue({ sessionId: 's4', where: 'e' });
  grants.revoke('s3');
  assert.equal(grants.take(one), undefined);
  assert.equal(grants.take(two), undefined);
  assert.deepEqual(grants.take(other), { sessionId: 's4', where: 'e' }, 'another session keeps its grant');

  const cleared = grants.issue({ sessionId: 's5', where: 'f' });
  grants.clear();
  assert.equal(grants.take(cleared), undefined);
});
