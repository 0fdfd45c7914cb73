import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import { RdpGateway } from '../../../electron/rdp/gateway.ts';
import type { CertificateCheck, SessionStatus } from '../../../electron/rdp/relay-session.ts';
import { makeCert, startRdpDouble, type RdpDouble, type TestCert } from './rdp-double.ts';
import { openWs, requestPdu, roundTrip, sendRaw, streamOverWs, x224Request } from './gateway-client.ts';
import { captured } from '../../support/captures.ts';
import { prng } from '../../support/prng.ts';

let cert: TestCert;
let standard: RdpDouble;
let vmconnect: RdpDouble;
let nla: RdpDouble;
let gateway: RdpGateway;
let url: string;
const statuses: SessionStatus[] = [];
const checks: CertificateCheck[] = [];
let trustAnswer = true;

before(async () => {
  cert = makeCert();
  standard = await startRdpDouble({ order: 'standard', cert });
  vmconnect = await startRdpDouble({ order: 'vmconnect', cert });
  nla = await startRdpDouble({ order: 'standard', cert, failureCode: 5 });
  gateway = new RdpGateway({
    verifyCertificate: async (c) => {
      checks.push(c);
      return trustAnswer;
    },
    onStatus: (s) => statuses.push(s),
    grantTtlMs: 60_000,
  });
  url = await gateway.listen();
});

after(async () => {
  await gateway.close();
  await Promise.all([standard.close(), vmconnect.close(), nla.close()]);
});

const closeWs = (ws: WebSocket) => new Promise<void>((r) => (ws.readyState === ws.CLOSED ? r() : (ws.once('close', () => r()), ws.close())));
const statusOf = (id: string) => statuses.filter((s) => s.sessionId === id);
async function waitFor(cond: () => boolean, what: string) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/** A full session through the gateway to the standard double: returns the TLS socket over the WebSocket. */
async function goodSession(port = standard.port) {
  const g = gateway.grant({ host: '127.0.0.1', port, vmconnect: false });
  const ws = await openWs(g.gatewayUrl);
  const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
  assert.equal(answer.pdu?.error, undefined, 'the gateway answered with an error');
  const tls = streamOverWs(ws);
  return { g, ws, tls, answer };
}


/**
 * Resolves once `total` bytes have arrived on `source`, failing if they are not `chunk` repeated: the backpressure
 * tests check that a paused direction loses, duplicates and reorders nothing.
 */
function expectRepeated(source: { on(event: string, cb: (d: Buffer) => void): unknown }, event: string, chunk: Buffer, total: number): Promise<void> {
  let received = 0;
  let intact = true;
  return new Promise<void>((resolve, reject) => {
    source.on(event, (d: Buffer) => {
      for (let off = 0; off < d.length; ) {
        const pos = received % chunk.length;
        const n = Math.min(chunk.length - pos, d.length - off);
        if (!d.subarray(off, off + n).equals(chunk.subarray(pos, pos + n))) intact = false;
        off += n;
        received += n;
      }
      if (received >= total) {
        if (received !== total) reject(new Error(`${received} bytes arrived, ${total} were sent`));
        else if (!intact) reject(new Error('the stream was corrupted'));
        else resolve();
      }
    });
  });
}

test('standard order: X.224 before TLS, certificate checked, response [0][6][7][9], bytes relayed both ways', async () => {
  const before = standard.conversations.length;
  const { g, ws, tls, answer } = await goodSession();
  const pdu = answer.pdu!;
  assert.equal(pdu.version, 3390);
  assert.deepEqual(pdu.serverCertChain, [cert.der]);
  assert.match(pdu.serverAddr ?? '', /^127\.0\.0\.1:\d+$/);
  // The server's own confirm (selects TLS) is what the client gets.
  assert.equal(pdu.x224ConnectionPdu?.[11], 0x02);
  assert.equal(pdu.x224ConnectionPdu?.readUInt32LE(15), 1);
  const conv = standard.conversations[before];
  await waitFor(() => conv.steps.length === 2, 'the server side of the TLS handshake');
  assert.deepEqual(conv.steps, ['x224', 'tls']);
  assert.deepEqual(conv.x224, x224Request(0x0b));
  const check = checks.at(-1)!;
  assert.equal(check.endpoint, g.destination);
  assert.deepEqual(check.certificate, cert.der);
  const payload = randomBytes(256 * 1024);
  assert.deepEqual(await roundTrip(tls, payload), payload);
  tls.destroy();
  await closeWs(ws);
  await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed status');
  assert.deepEqual(
    statusOf(g.sessionId).map((s) => s.state),
    ['connecting', 'connected', 'closed'],
  );
});

test('a server that dies mid-session ends it as lost (the page reconnects); the client closing ends it as closed by the app', async () => {
  const dying = await startRdpDouble({
    order: 'standard',
    cert,
    // Echo the first record, then drop the connection: a hypervisor restarting under a live session.
    onSecure: (tls) => tls.once('data', (d: Buffer) => tls.write(d, () => setTimeout(() => tls.destroy(), 20))),
  });
  try {
    const { g, ws, tls } = await goodSession(dying.port);
    const payload = randomBytes(1024);
    assert.deepEqual(await roundTrip(tls, payload), payload);
    await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed status');
    const end = statusOf(g.sessionId).at(-1)!;
    assert.match(end.reason!, /closed the session$/);
    assert.equal(end.cause, 'lost');
    await closeWs(ws);

    const live = await goodSession();
    live.tls.destroy();
    await closeWs(live.ws);
    await waitFor(() => statusOf(live.g.sessionId).some((s) => s.state === 'closed'), 'closed status');
    assert.equal(statusOf(live.g.sessionId).at(-1)!.cause, 'closed-by-app');
  } finally {
    await dying.close();
  }
});

test('a request split into one-byte WebSocket messages is framed by its DER length', async () => {
  const g = gateway.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false });
  const ws = await openWs(g.gatewayUrl);
  const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }), 10_000);
  assert.equal(answer.pdu?.error, undefined);
  assert.ok(answer.pdu?.serverCertChain);
  await closeWs(ws);
});

test('a forged token, a reused token, a wrong destination or blob are refused with 403 and reach no server', async () => {
  const count = () => standard.conversations.length + vmconnect.conversations.length;
  const before = count();
  const refusedWith403 = async (fields: Parameters<typeof requestPdu>[0]) => {
    const ws = await openWs(url);
    const answer = await sendRaw(ws, requestPdu(fields));
    assert.equal(answer.pdu?.error?.errorCode, 1);
    assert.equal(answer.pdu?.error?.httpStatus, 403);
    await closeWs(ws);
  };
  const g = gateway.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false });
  await refusedWith403({ destination: g.destination, proxyAuth: 'forged-' + g.token.slice(7) });
  await refusedWith403({ destination: g.destination });
  // The page points the gateway at another address with a valid token: refused, and the token is burnt.
  await refusedWith403({ destination: `127.0.0.1:${vmconnect.port}`, proxyAuth: g.token });
  await refusedWith403({ destination: g.destination, proxyAuth: g.token });
  const h = gateway.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false, preConnectionBlob: 'vm-1' });
  await refusedWith403({ destination: h.destination, proxyAuth: h.token, preconnectionBlob: 'vm-2' });
  const i = gateway.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false, preConnectionBlob: 'vm-1' });
  await refusedWith403({ destination: i.destination, proxyAuth: i.token });
  // Used once successfully, a token cannot open a second session.
  const { g: used, ws, tls } = await goodSession();
  tls.destroy();
  await closeWs(ws);
  await refusedWith403({ destination: used.destination, proxyAuth: used.token });
  assert.equal(count(), before + 1, 'only the legitimate session reached a server');
  // A revoked grant is refused too.
  const r = gateway.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false });
  gateway.revoke(r.sessionId);
  await refusedWith403({ destination: r.destination, proxyAuth: r.token });
});

test('an expired grant is refused', async () => {
  const short = new RdpGateway({ verifyCertificate: async () => true, grantTtlMs: 20 });
  const shortUrl = await short.listen();
  try {
    const g = short.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false });
    await new Promise((r) => setTimeout(r, 60));
    const ws = await openWs(shortUrl);
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    assert.equal(answer.pdu?.error?.httpStatus, 403);
    await closeWs(ws);
  } finally {
    await short.close();
  }
});

test('a negotiation failure is passed on as error code 2 with the server confirm, and named', async () => {
  const g = gateway.grant({ host: '127.0.0.1', port: nla.port, vmconnect: false });
  const ws = await openWs(url);
  const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token, x224ConnectionPdu: x224Request(0x01) }));
  assert.equal(answer.pdu?.error?.errorCode, 2);
  assert.equal(answer.pdu?.x224ConnectionPdu?.[11], 0x03);
  assert.equal(answer.pdu?.x224ConnectionPdu?.readUInt32LE(15), 5);
  await closeWs(ws);
  await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed status');
  assert.match(statusOf(g.sessionId).at(-1)!.reason!, /requires Network Level Authentication/);
});

test('network failures name their cause: refused port, unknown host, server closing early', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const early = await startRdpDouble({ order: 'standard', cert, closeAfterRequest: true });
  try {
    const cases: Array<{ host: string; port: number; wsa?: number; reason: RegExp }> = [
      { host: '127.0.0.1', port: closedPort, wsa: 10061, reason: new RegExp(`connection refused by 127\\.0\\.0\\.1:${closedPort}`) },
      { host: 'no-such-host.invalid', port: 3389, wsa: 11001, reason: /DNS lookup failed for no-such-host\.invalid/ },
      { host: '127.0.0.1', port: early.port, reason: /closed the connection during the RDP negotiation/ },
    ];
    for (const c of cases) {
      const g = gateway.grant({ host: c.host, port: c.port, vmconnect: false });
      const ws = await openWs(url);
      const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
      assert.equal(answer.pdu?.error?.errorCode, 1, c.host);
      if (c.wsa) assert.equal(answer.pdu?.error?.wsaLastError, c.wsa);
      await closeWs(ws);
      await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed status');
      assert.match(statusOf(g.sessionId).at(-1)!.reason!, c.reason);
      // Out of reach: not a reason to start reconnecting, but one more failed try while the page reconnects.
      assert.equal(statusOf(g.sessionId).at(-1)!.cause, 'unreachable', c.host);
    }
  } finally {
    await early.close();
  }
});

test('a certificate the trust hook rejects stops the session before the client is answered', async () => {
  trustAnswer = false;
  try {
    const g = gateway.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false });
    const ws = await openWs(url);
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    assert.equal(answer.pdu?.error?.errorCode, 1);
    assert.equal(answer.pdu?.error?.tlsAlert, 42);
    assert.equal(answer.pdu?.serverCertChain, undefined);
    await closeWs(ws);
    await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed status');
    assert.match(statusOf(g.sessionId).at(-1)!.reason!, /certificate of 127\.0\.0\.1:\d+ is not trusted/);
    assert.equal(statusOf(g.sessionId).at(-1)!.cause, 'certificate', 'never retried by itself');
  } finally {
    trustAnswer = true;
  }
});

test('standard order with a pre-connection blob: the PDU V2 reaches the server before X.224', async () => {
  const before = standard.conversations.length;
  const g = gateway.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false, preConnectionBlob: 'abcd-1234' });
  const ws = await openWs(url);
  const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token, preconnectionBlob: 'abcd-1234' }));
  assert.equal(answer.pdu?.error, undefined);
  const conv = standard.conversations[before];
  assert.deepEqual(conv.steps.slice(0, 2), ['pcb', 'x224']);
  assert.deepEqual(conv.pcb, captured('xfreerdp-2.11-pcb-abcd-1234.bin'));
  await closeWs(ws);
});

test('VMConnect order with CredSSP: PCB, TLS, CredSSP relayed, X.224 injected inside TLS, server confirm swallowed', async () => {
  const before = vmconnect.conversations.length;
  const vmId = '5f3f8a2e-4b5c-4d1e-9a6b-1c2d3e4f5a6b';
  const g = gateway.grant({ host: '127.0.0.1', port: vmconnect.port, vmconnect: true, preConnectionBlob: vmId });
  const ws = await openWs(url);
  const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token, preconnectionBlob: vmId }));
  const pdu = answer.pdu!;
  assert.equal(pdu.error, undefined);
  assert.deepEqual(pdu.serverCertChain, [cert.der]);
  // Synthesized confirm: HYBRID (2) for a client asking SSL|HYBRID|HYBRID_EX.
  assert.equal(pdu.x224ConnectionPdu?.[5], 0xd0);
  assert.equal(pdu.x224ConnectionPdu?.[11], 0x02);
  assert.equal(pdu.x224ConnectionPdu?.readUInt32LE(15), 2);
  const tls = streamOverWs(ws);
  // A CredSSP message split in two writes; the server's DER answer comes back unchanged.
  const credssp = Buffer.from([0x30, 0x05, 0x02, 0x01, 0x06, 0x04, 0x00]);
  tls.write(credssp.subarray(0, 3));
  const back = await roundTrip(tls, credssp.subarray(3), 5);
  assert.deepEqual(back, Buffer.from([0x30, 0x03, 0x02, 0x01, 0x06]));
  // First TPKT (MCS Connect-Initial stand-in): the gateway sends X.224 first; we get our TPKT echoed, no confirm.
  const mcs = Buffer.from([0x03, 0x00, 0x00, 0x0c, 0x02, 0xf0, 0x80, 0x7f, 0x65, 0x01, 0x02, 0x03]);
  assert.deepEqual(await roundTrip(tls, mcs), mcs);
  const conv = vmconnect.conversations[before];
  assert.deepEqual(conv.steps, ['pcb', 'tls', 'credssp', 'x224-in-tls', 'tpkt']);
  assert.equal(conv.pcb!.subarray(18).toString('utf16le').replace(/\0+$/, ''), vmId);
  // Requested protocols rewritten to SSL|HYBRID as FreeRDP's /vmconnect sends; the cookie is kept.
  assert.equal(conv.x224!.readUInt32LE(conv.x224!.length - 4), 3);
  assert.ok(conv.x224!.includes(Buffer.from('Cookie: mstshash=x')));
  tls.destroy();
  await closeWs(ws);
});

test('VMConnect order with TLS only: no X.224 at all after TLS, MCS relayed directly', async () => {
  const before = vmconnect.conversations.length;
  const g = gateway.grant({ host: '127.0.0.1', port: vmconnect.port, vmconnect: true, preConnectionBlob: 'vm-tls' });
  const ws = await openWs(url);
  const answer = await sendRaw(
    ws,
    requestPdu({ destination: g.destination, proxyAuth: g.token, preconnectionBlob: 'vm-tls', x224ConnectionPdu: x224Request(0x01) }),
  );
  assert.equal(answer.pdu?.x224ConnectionPdu?.readUInt32LE(15), 1);
  const tls = streamOverWs(ws);
  const mcs = Buffer.from([0x03, 0x00, 0x00, 0x08, 0x02, 0xf0, 0x80, 0x7f]);
  assert.deepEqual(await roundTrip(tls, mcs), mcs);
  assert.deepEqual(vmconnect.conversations[before].steps, ['pcb', 'tls', 'tpkt']);
  tls.destroy();
  await closeWs(ws);
});

test('shares an HTTP server: serves its own path only', async () => {
  const http = createHttpServer((_q, s) => s.end('page'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const shared = new RdpGateway({ verifyCertificate: async () => true });
  shared.attach(http);
  const other = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (req.url === '/api') other.handleUpgrade(req, socket, head, (ws) => ws.send('api'));
  });
  try {
    const g = shared.grant({ host: '127.0.0.1', port: standard.port, vmconnect: false });
    assert.equal(g.gatewayUrl, `ws://127.0.0.1:${(http.address() as AddressInfo).port}/rdcleanpath`);
    const ws = await openWs(g.gatewayUrl);
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    assert.ok(answer.pdu?.serverCertChain);
    await closeWs(ws);
    const api = new WebSocket(g.gatewayUrl.replace('/rdcleanpath', '/api'));
    const first = await new Promise<string>((r) => api.once('message', (d: Buffer) => r(d.toString())));
    assert.equal(first, 'api');
    await closeWs(api);
  } finally {
    await shared.close();
    other.close();
    await new Promise<void>((r) => http.close(() => r()));
  }
});

test('fuzz: malformed PDUs, truncated frames, huge lengths and text end only their own session', async () => {
  // A session that must survive everything below.
  const survivor = await goodSession();
  const rnd = prng(20261127);
  const seed = captured('ironrdp-0.7.0-rdcleanpath-request.der');
  const inputs: Array<{ bytes: Buffer | string; closeEarly?: boolean }> = [
    { bytes: Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]) },
    { bytes: Buffer.from([0x30, 0x80, 0x00, 0x00]) },
    { bytes: Buffer.from([0x04, 0x02, 0x00, 0x00]) },
    { bytes: Buffer.concat([Buffer.from([0x30, 0x82, 0x3f, 0xff]), Buffer.alloc(20_000)]) },
    { bytes: 'hello' },
    { bytes: seed.subarray(0, 30), closeEarly: true },
    { bytes: encodeVersion(7) },
  ];
  for (let i = 0; i < 60; i++) {
    const b = Buffer.from(seed);
    for (let f = 0; f < 1 + Math.floor(rnd() * 3); f++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    inputs.push({ bytes: b });
  }
  for (let i = 0; i < 20; i++) inputs.push({ bytes: randomBytes(1 + Math.floor(rnd() * 200)) });
  for (const input of inputs) {
    const ws = await openWs(url);
    if (input.closeEarly) {
      ws.send(input.bytes);
      await closeWs(ws);
      continue;
    }
    const answer = await new Promise<{ pdu?: Buffer; closed: boolean }>((resolve) => {
      const t = setTimeout(() => resolve({ closed: false }), 2000);
      ws.once('message', (d: Buffer) => {
        clearTimeout(t);
        resolve({ pdu: d, closed: false });
      });
      ws.once('close', () => {
        clearTimeout(t);
        resolve({ closed: true });
      });
      ws.send(input.bytes);
    });
    // Either an RDCleanPath error, a close, or (for a mutated but still well-formed request) a refusal.
    if (answer.pdu) {
      const { decodeRdCleanPath } = await import('../../../electron/rdp/rdcleanpath.ts');
      const pdu = decodeRdCleanPath(answer.pdu);
      assert.ok(pdu.error, 'the gateway answered a malformed request without an error');
    } else if (!answer.closed) {
      // A mutation that left a longer announced length waits for more bytes: the request timer ends it later.
      assert.ok(input.bytes.length > 0);
    }
    await closeWs(ws);
  }
  // The survivor still relays, and a fresh session still works.
  const payload = randomBytes(4096);
  assert.deepEqual(await roundTrip(survivor.tls, payload), payload);
  const fresh = await goodSession();
  assert.deepEqual(await roundTrip(fresh.tls, payload), payload);
  for (const s of [survivor, fresh]) {
    s.tls.destroy();
    await closeWs(s.ws);
  }
});

test('a large server→client stream arrives intact through the backpressure path', async () => {
  const { ws, tls } = await goodSession();
  const payload = randomBytes(6 * 1024 * 1024);
  assert.deepEqual(await roundTrip(tls, payload), payload);
  tls.destroy();
  await closeWs(ws);
});

function encodeVersion(version: number): Buffer {
  // A well-formed PDU with an unsupported version: SEQUENCE { [0] INTEGER version }
  return Buffer.from([0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, version]);
}

test('a server that never answers and one that does not speak TLS are named as such', async () => {
  const silent = await startRdpDouble({ order: 'standard', cert, silentAfterRequest: true });
  const noTls = await startRdpDouble({ order: 'standard', cert, garbageInsteadOfTls: Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n') });
  const seen: SessionStatus[] = [];
  const quick = new RdpGateway({ verifyCertificate: async () => true, timeouts: { handshakeMs: 300 }, onStatus: (s) => seen.push(s) });
  const quickUrl = await quick.listen();
  try {
    for (const c of [
      { port: silent.port, wsa: 10060, reason: /timed out waiting for 127\.0\.0\.1:\d+ to answer the RDP negotiation/ },
      { port: noTls.port, tls: 40, reason: /TLS handshake with 127\.0\.0\.1:\d+ failed/ },
    ]) {
      const g = quick.grant({ host: '127.0.0.1', port: c.port, vmconnect: false });
      const ws = await openWs(quickUrl);
      const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
      if (c.wsa) assert.equal(answer.pdu?.error?.wsaLastError, c.wsa);
      if (c.tls) assert.equal(answer.pdu?.error?.tlsAlert, c.tls);
      await closeWs(ws);
      await waitFor(() => seen.some((s) => s.sessionId === g.sessionId && s.state === 'closed'), 'closed status');
      assert.match(seen.filter((s) => s.sessionId === g.sessionId).at(-1)!.reason!, c.reason);
    }
  } finally {
    await quick.close();
    await silent.close();
    await noTls.close();
  }
});

test('backpressure: while the page does not read, the gateway stops reading the server; nothing is lost', async () => {
  const total = 48 * 1024 * 1024;
  const chunk = randomBytes(64 * 1024);
  let written = 0;
  let stalledAt = -1;
  let serverTls: import('node:tls').TLSSocket | undefined;
  const flooding = await startRdpDouble({
    order: 'standard',
    cert,
    onSecure: (tls) => {
      serverTls = tls;
      tls.once('data', () => {
        // Write until the kernel and TLS buffers refuse more, and note how much got out by then.
        const pump = () => {
          while (written < total) {
            written += chunk.length;
            if (!tls.write(chunk)) {
              tls.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
    },
  });
  const g = gateway.grant({ host: '127.0.0.1', port: flooding.port, vmconnect: false });
  const ws = await openWs(g.gatewayUrl);
  try {
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    assert.equal(answer.pdu?.error, undefined);
    // The page stops reading (its socket is paused), then asks for data.
    ws.pause();
    ws.send(Buffer.from([0x03, 0, 0, 5, 0]));
    // Bounded wait until the server's writes stop being drained.
    let last = -1;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const out = written - (serverTls?.writableLength ?? 0);
      if (out === last && written > 0) {
        stalledAt = out;
        break;
      }
      last = out;
    }
    assert.ok(stalledAt > 0, 'the server never stalled: the gateway kept buffering');
    assert.ok(stalledAt < 24 * 1024 * 1024, `the server got ${stalledAt} bytes out while the page read nothing`);
    // The page reads again: every byte arrives, in order.
    const arrived = expectRepeated(ws, 'message', chunk, total);
    ws.resume();
    await arrived;
  } finally {
    await closeWs(ws);
    await flooding.close();
  }
});

test('a server that hangs up while the user decides about its certificate ends the session with that reason', async () => {
  const impatient = await startRdpDouble({ order: 'standard', cert, onSecure: (tls) => void setTimeout(() => tls.end(), 50) });
  const seen: SessionStatus[] = [];
  const slow = new RdpGateway({
    // The "user" answers only after the server has gone.
    verifyCertificate: () => new Promise((r) => setTimeout(() => r(true), 200)),
    onStatus: (s) => seen.push(s),
  });
  const slowUrl = await slow.listen();
  try {
    const g = slow.grant({ host: '127.0.0.1', port: impatient.port, vmconnect: false });
    const ws = await openWs(slowUrl);
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    assert.equal(answer.pdu?.error?.wsaLastError, 10054);
    await closeWs(ws);
    await waitFor(() => seen.some((s) => s.state === 'closed'), 'closed status');
    assert.match(seen.at(-1)!.reason!, /closed the connection while the certificate was being checked/);
  } finally {
    await slow.close();
    await impatient.close();
  }
});

test('VMConnect: bytes that are neither CredSSP nor TPKT during authentication end only that session', async () => {
  for (const junk of [Buffer.from([0x99, 1, 2, 3]), Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff])]) {
    const g = gateway.grant({ host: '127.0.0.1', port: vmconnect.port, vmconnect: true, preConnectionBlob: 'vm-junk' });
    const ws = await openWs(url);
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token, preconnectionBlob: 'vm-junk' }));
    assert.equal(answer.pdu?.error, undefined);
    const closedWith = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(junk);
    assert.equal(await closedWith, 1002);
    await waitFor(() => statusOf(g.sessionId).some((s) => s.state === 'closed'), 'closed status');
    assert.match(statusOf(g.sessionId).at(-1)!.reason!, /unexpected data during authentication/);
  }
  const { ws, tls } = await goodSession();
  const payload = randomBytes(1000);
  assert.deepEqual(await roundTrip(tls, payload), payload);
  tls.destroy();
  await closeWs(ws);
});

test('an Origin the app does not allow is refused at the upgrade; a silent client is timed out', async () => {
  const strict = new RdpGateway({ verifyCertificate: async () => true, allowOrigin: (o) => o === 'http://127.0.0.1:1', requestTimeoutMs: 100 });
  const strictUrl = await strict.listen();
  try {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(strictUrl, { origin: 'http://evil.example' });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => {});
    });
    assert.equal(status, 403);
    const ws = new WebSocket(strictUrl, { origin: 'http://127.0.0.1:1' });
    const answer = await new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
    const { decodeRdCleanPath } = await import('../../../electron/rdp/rdcleanpath.ts');
    assert.equal(decodeRdCleanPath(answer).error?.httpStatus, 408);
    await closeWs(ws);
  } finally {
    await strict.close();
  }
});

test('standard order with HYBRID_EX: the server filter starts at RDP proper, not inside a CredSSP message split over reads', async () => {
  // A TSRequest-shaped DER message the server sends in two TLS records, then HYBRID_EX's 4-byte Early User
  // Authorization Result; RDP starts when the client sends its first TPKT (the MCS Connect-Initial).
  const tsRequest = Buffer.concat([Buffer.from([0x30, 0x81, 0x90]), randomBytes(0x90)]);
  const earlyAuth = Buffer.from([0, 0, 0, 0]);
  const mcsResponse = Buffer.concat([Buffer.from([0x03, 0, 0, 40, 2, 0xf0, 0x80]), randomBytes(33)]);
  let sendRest: () => void = () => {};
  const serverSaw: Buffer[] = [];
  const double = await startRdpDouble({
    order: 'standard',
    cert,
    selectProtocol: 8,
    onSecure: (tls) => {
      tls.write(tsRequest.subarray(0, 50));
      sendRest = () => tls.write(Buffer.concat([tsRequest.subarray(50), earlyAuth]));
      tls.on('data', (d: Buffer) => {
        serverSaw.push(d);
        if (d[0] === 0x03) tls.write(mcsResponse);
      });
    },
  });
  const filtered: Buffer[] = [];
  const gw = new RdpGateway({
    verifyCertificate: async () => true,
    onStatus: () => {},
    serverFilter: () => (chunk) => {
      filtered.push(Buffer.from(chunk));
      return [chunk];
    },
  });
  await gw.listen();
  const g = gw.grant({ host: '127.0.0.1', port: double.port, vmconnect: false });
  const ws = await openWs(g.gatewayUrl);
  try {
    const received: Buffer[] = [];
    const size = () => received.reduce((n, b) => n + b.length, 0);
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    assert.equal(answer.pdu?.error, undefined);
    ws.on('message', (d: Buffer) => received.push(d));
    await waitFor(() => size() >= 50, 'the first part of the CredSSP message');
    sendRest();
    await waitFor(() => size() >= tsRequest.length + 4, 'the rest of the CredSSP message and the early authorization result');
    const mcsRequest = Buffer.concat([Buffer.from([0x03, 0, 0, 12, 2, 0xf0, 0x80]), randomBytes(5)]);
    ws.send(mcsRequest);
    await waitFor(() => size() >= tsRequest.length + 4 + mcsResponse.length, 'the MCS response');
    assert.deepEqual(Buffer.concat(received), Buffer.concat([tsRequest, earlyAuth, mcsResponse]));
    assert.deepEqual(Buffer.concat(serverSaw), mcsRequest);
    // The filter saw the RDP bytes and nothing of the authentication.
    assert.deepEqual(Buffer.concat(filtered), mcsResponse);
  } finally {
    await closeWs(ws);
    await gw.close();
    await double.close();
  }
});

test('backpressure toward the server: while the server does not read, the gateway stops reading the page; nothing is lost', async () => {
  const total = 48 * 1024 * 1024;
  const chunk = randomBytes(64 * 1024);
  let serverTls: import('node:tls').TLSSocket | undefined;
  const slow = await startRdpDouble({
    order: 'standard',
    cert,
    // The server reads nothing until the test lets it.
    onSecure: (tls) => {
      serverTls = tls;
      tls.pause();
    },
  });
  const g = gateway.grant({ host: '127.0.0.1', port: slow.port, vmconnect: false });
  const ws = await openWs(g.gatewayUrl);
  try {
    const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    assert.equal(answer.pdu?.error, undefined);
    await waitFor(() => serverTls !== undefined, 'the server side of TLS');
    // The page sends 48 MiB as whole messages, the next one when the socket took the previous one (a page that
    // respects its own socket's backpressure), so `left` counts what really left the page.
    let left = 0;
    let queued = 0;
    const pump = () => {
      if (queued >= total) return;
      queued += chunk.length;
      ws.send(chunk, { binary: true }, (err) => {
        if (err) return;
        left += chunk.length;
        pump();
      });
    };
    pump();
    let stalledAt = -1;
    let last = -1;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (left === last) {
        stalledAt = left;
        break;
      }
      last = left;
    }
    assert.ok(stalledAt >= 0, 'the page never stalled');
    // Kernel socket buffers on two loopback hops hold some; without backpressure the gateway would take it all.
    assert.ok(stalledAt < 24 * 1024 * 1024, `${stalledAt} bytes left the page while the server read nothing`);
    // The server reads again: every byte arrives, in order.
    const arrived = expectRepeated(serverTls!, 'data', chunk, total);
    serverTls!.resume();
    await arrived;
  } finally {
    await closeWs(ws);
    await slow.close();
  }
});
