// The console relay against real servers from Debian: TigerVNC's Xvnc and QEMU's VNC server (the one Nova's libvirt
// driver uses), websockify with a token file in front of them (plain and TLS), QEMU's monitor and Python's
// http.server as servers that are not VNC, and a Nova-style proxy double that checks the Origin as Nova does.
// Each server is started and stopped here; every wait is bounded; nothing is asserted on time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConsoleRelay, RelayCloseCode, type RelayStatus } from '../../../electron/relay/relay.ts';
import { CertificateTrust, TrustStore } from '../../../electron/rdp/trust-store.ts';
import type { TrustPrompt } from '../../../electron/common/contract.ts';
import { openPage, requestFrame, rfbHandshake, type CloseInfo, type PageSocket } from './page-client.ts';
import { startNovaProxyDouble, type NovaProxyDouble } from './nova-proxy-double.ts';
import {
  makeCertificates,
  startHttpServer,
  startQemu,
  startWebsockify,
  startXvnc,
  vncServersMissing,
  type Qemu,
  type Websockify,
  type Xvnc,
} from '../../support/vnc-servers.ts';

const missing = vncServersMissing();

let xvnc: Xvnc;
let qemu: Qemu;
let websockify: Websockify;
let nova: NovaProxyDouble;
let relay: ConsoleRelay;
const statuses: RelayStatus[] = [];
const logs: string[] = [];
const closeReasons: string[] = [];
/** Grants and console tokens: none may appear in a reason or a log line. */
const secrets: string[] = [];

before(async () => {
  if (missing) return;
  xvnc = await startXvnc({ width: 800, height: 600 });
  qemu = await startQemu();
  websockify = await startWebsockify();
  nova = await startNovaProxyDouble();
  relay = new ConsoleRelay({ verifyCertificate: async () => false, onStatus: (s) => statuses.push(s), log: (l) => logs.push(l) });
  await relay.listen();
});

after(async () => {
  if (missing) return;
  await relay?.close();
  await Promise.all([xvnc?.stop(), qemu?.stop(), websockify?.stop(), nova?.close()]);
  for (const secret of secrets) {
    for (const text of [...statuses.map((s) => s.reason ?? ''), ...logs, ...closeReasons]) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
  }
});

const token = () => {
  const t = randomBytes(18).toString('hex');
  secrets.push(t);
  return t;
};
function remember(relayUrl: string): string {
  secrets.push(new URL(relayUrl).searchParams.get('grant')!);
  return relayUrl;
}
const tcp = (port: number, r = relay) => remember(r.grant({ kind: 'tcp', host: '127.0.0.1', port }).relayUrl);
const viaWebsockify = (w: Websockify, host: string, port: number, r = relay, scheme = 'ws') => {
  const t = token();
  w.addToken(t, host, port);
  return { url: remember(r.grant({ kind: 'websocket', url: `${scheme}://127.0.0.1:${w.port}/?token=${t}` }).relayUrl), token: t };
};
async function closedWith(page: PageSocket): Promise<CloseInfo> {
  const c = await page.closed;
  closeReasons.push(c.reason);
  return c;
}
async function waitFor(cond: () => boolean, what: string) {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('Xvnc through a tcp grant: its RFB 3.8 greeting, the handshake to ServerInit, a framebuffer update', { skip: missing }, async (t) => {
  const page = await openPage(tcp(xvnc.port));
  const init = await rfbHandshake(page);
  t.diagnostic(`Xvnc ServerInit: ${init.width}x${init.height}, ${init.bitsPerPixel} bpp, name ${JSON.stringify(init.name)}`);
  assert.equal(init.version, 'RFB 003.008\n');
  assert.deepEqual(init.securityTypes, [1]);
  assert.equal(init.width, 800);
  assert.equal(init.height, 600);
  assert.equal(init.bitsPerPixel, 32);
  assert.ok(init.name.length > 0, 'Xvnc names its desktop');
  const update = await requestFrame(page, init);
  assert.equal(update.messageType, 0, 'FramebufferUpdate');
  assert.ok(update.rectangles >= 1);
  assert.ok(page.allBinary());
  await page.close();
});

test('websockify in front of Xvnc and of QEMU, through websocket grants: the same handshake, binary frames only', { skip: missing }, async (t) => {
  const x = await openPage(viaWebsockify(websockify, '127.0.0.1', xvnc.port).url);
  const xi = await rfbHandshake(x);
  assert.equal(xi.version, 'RFB 003.008\n');
  assert.deepEqual([xi.width, xi.height], [800, 600]);
  await x.close();

  const q = await openPage(viaWebsockify(websockify, '127.0.0.1', qemu.vncPort).url);
  const qi = await rfbHandshake(q);
  t.diagnostic(`QEMU ServerInit through websockify: ${qi.width}x${qi.height}, ${qi.bitsPerPixel} bpp, name ${JSON.stringify(qi.name)}`);
  assert.equal(qi.version, 'RFB 003.008\n');
  assert.deepEqual(qi.securityTypes, [1]);
  assert.equal(qi.name, 'QEMU');
  assert.ok(qi.width > 0 && qi.height > 0);
  const update = await requestFrame(q, qi);
  assert.equal(update.messageType, 0);
  assert.ok(q.allBinary());
  await q.close();
});

test('a proxy that checks the Origin as Nova does, in front of QEMU: the relay passes it (it sends no Origin)', { skip: missing }, async () => {
  const t = token();
  nova.addToken(t, '127.0.0.1', qemu.vncPort);
  const g = relay.grant({ kind: 'websocket', url: nova.url(t) });
  const page = await openPage(remember(g.relayUrl));
  const init = await rfbHandshake(page);
  assert.equal(init.name, 'QEMU');
  const req = nova.requests.at(-1)!;
  assert.equal(req.origin, undefined);
  assert.equal(req.protocols, 'binary');
  assert.equal(req.refused, undefined);
  await page.close();
  await waitFor(() => statuses.some((s) => s.sessionId === g.sessionId && s.state === 'closed'), 'closed');
  assert.deepEqual(
    statuses.filter((s) => s.sessionId === g.sessionId).map((s) => s.state),
    ['connecting', 'connected', 'closed'],
  );
});

test("websockify's refusals: an unknown token (it hangs up before the upgrade), a target it cannot reach (it closes at once)", { skip: missing }, async () => {
  const unknown = relay.grant({ kind: 'websocket', url: `ws://127.0.0.1:${websockify.port}/?token=${token()}` });
  let c = await closedWith(await openPage(remember(unknown.relayUrl)));
  assert.equal(c.code, RelayCloseCode.upgradeRefused);
  assert.equal(c.reason, 'the console proxy hung up without answering the WebSocket upgrade: the console token was probably refused');

  const gone = await startXvnc();
  const port = gone.port;
  await gone.stop();
  const page = await openPage(viaWebsockify(websockify, '127.0.0.1', port).url);
  c = await closedWith(page);
  assert.equal(c.code, RelayCloseCode.closedAtOnce);
  assert.equal(c.reason, 'the console proxy closed the connection at once, before the console started (1011 Failed to connect to downstream server)');
  assert.equal(page.received(), 0);
});

test("not a VNC server: QEMU's monitor (it speaks first) directly and through websockify, and an HTTP server (it waits)", { skip: missing }, async () => {
  let c = await closedWith(await openPage(tcp(qemu.monitorPort)));
  assert.equal(c.code, RelayCloseCode.notVnc);
  assert.match(c.reason, /^not a VNC server: its first bytes were "QEMU \d/);
  c = await closedWith(await openPage(viaWebsockify(websockify, '127.0.0.1', qemu.monitorPort).url));
  assert.equal(c.code, RelayCloseCode.notVnc);
  assert.match(c.reason, /^not a VNC server through the console proxy: its first bytes were "QEMU \d/);

  const http = await startHttpServer();
  const patient = new ConsoleRelay({ verifyCertificate: async () => false, timeouts: { greetingMs: 1000 } });
  await patient.listen();
  try {
    const page = await openPage(tcp(http.port, patient));
    c = await closedWith(page);
    assert.equal(c.code, RelayCloseCode.notVnc);
    assert.equal(c.reason, 'not a VNC server: no RFB greeting came within 1 s');
    assert.equal(page.received(), 0);
  } finally {
    await patient.close();
    await http.stop();
  }
});

test('a server that vanishes mid-session: Xvnc under a tcp grant, QEMU behind websockify', { skip: missing }, async (t) => {
  const x = await startXvnc();
  const q = await startQemu();
  try {
    const direct = await openPage(tcp(x.port));
    await rfbHandshake(direct);
    const proxied = await openPage(viaWebsockify(websockify, '127.0.0.1', q.vncPort).url);
    await rfbHandshake(proxied);
    x.proc.child.kill('SIGKILL');
    q.proc.child.kill('SIGKILL');
    const c1 = await closedWith(direct);
    t.diagnostic(`Xvnc killed: ${c1.code} ${c1.reason}`);
    assert.ok(c1.code === RelayCloseCode.serverClosed || c1.code === RelayCloseCode.connectionLost, String(c1.code));
    assert.match(c1.reason, /^the VNC server closed the session$|^the connection to the VNC server was lost \(ECONNRESET\)$/);
    const c2 = await closedWith(proxied);
    assert.equal(c2.code, RelayCloseCode.serverClosed);
    assert.equal(c2.reason, 'the console proxy closed the session (1000 Target closed)');
  } finally {
    await x.stop();
    await q.stop();
  }
});

test('wss websockify with a self-signed certificate: the trust question comes before any byte (the token included) leaves; pinned, changed, rejected', { skip: missing }, async () => {
  const certs = makeCertificates();
  const wss = await startWebsockify({ cert: certs.selfSigned });
  const store = new TrustStore();
  const prompts: TrustPrompt[] = [];
  const trust = new CertificateTrust(store, (p) => prompts.push(p));
  const own: RelayStatus[] = [];
  const tlsRelay = new ConsoleRelay({ verifyCertificate: trust.verify, onStatus: (s) => own.push(s), log: (l) => logs.push(l) });
  await tlsRelay.listen();
  const endpoint = `127.0.0.1:${wss.port}`;
  try {
    // First use: the session waits for the user.
    const first = viaWebsockify(wss, '127.0.0.1', xvnc.port, tlsRelay, 'wss');
    // The grant starts its way out at once (electron/relay/early-upstream.ts), but it stops at this certificate: no
    // question before the page comes, and no token.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(prompts.length, 0, 'no question before the page presents the grant');
    assert.ok(!wss.output().includes(first.token), 'the console token has not been sent');
    const page = await openPage(first.url);
    await waitFor(() => prompts.length === 1, 'the trust question');
    const [p1] = prompts;
    assert.equal(p1.reason, 'first-use');
    assert.equal(p1.certificate.endpoint, endpoint);
    assert.match(p1.certificate.subject, /CN=proxy-a/);
    assert.ok(!wss.output().includes(first.token), 'the console token has not been sent');
    assert.equal(page.received(), 0);
    assert.deepEqual(
      own.map((s) => s.state),
      ['connecting'],
    );
    await trust.decide(p1.promptId, 'trust-always');
    const init = await rfbHandshake(page);
    assert.equal(init.version, 'RFB 003.008\n');
    await page.close();
    assert.deepEqual(
      store.list().map((c) => c.endpoint),
      [endpoint],
    );

    // Pinned: no question.
    const second = await openPage(viaWebsockify(wss, '127.0.0.1', xvnc.port, tlsRelay, 'wss').url);
    await rfbHandshake(second);
    await second.close();
    assert.equal(prompts.length, 1);

    // Another certificate was pinned for this endpoint: the question says "changed", and a rejection stops the session.
    store.pin(endpoint, certs.otherSelfSigned.der);
    const third = viaWebsockify(wss, '127.0.0.1', xvnc.port, tlsRelay, 'wss');
    const page3 = await openPage(third.url);
    await waitFor(() => prompts.length === 2, 'the second question');
    const p2 = prompts[1];
    assert.equal(p2.reason, 'changed');
    assert.match(p2.previous?.subject ?? '', /CN=proxy-b/);
    await trust.decide(p2.promptId, 'reject');
    const c = await closedWith(page3);
    assert.equal(c.code, RelayCloseCode.certificateNotTrusted);
    assert.equal(c.reason, "the console proxy's certificate is not trusted (self-signed): rejected, or not the pinned one");
    assert.equal(page3.received(), 0);
    assert.ok(!wss.output().includes(third.token), 'a rejected proxy never saw the token');

    // The page leaves while the question waits: the question is withdrawn, nothing is sent.
    const fourth = viaWebsockify(wss, '127.0.0.1', xvnc.port, tlsRelay, 'wss');
    const page4 = await openPage(fourth.url);
    await waitFor(() => prompts.length === 3, 'the third question');
    await page4.close();
    await waitFor(() => trust.pendingPrompts().length === 0, 'the question to be withdrawn');
    assert.ok(!wss.output().includes(fourth.token));
  } finally {
    await tlsRelay.close();
    await wss.stop();
  }
});

test('wss websockify with a certificate of a CA the relay trusts: verified, no question; without that CA it asks', { skip: missing }, async () => {
  const certs = makeCertificates();
  const wss = await startWebsockify({ cert: certs.caSigned });
  let asked = 0;
  const withCa = new ConsoleRelay({
    verifyCertificate: async () => {
      asked++;
      return false;
    },
    extraCa: [certs.ca],
  });
  const withoutCa = new ConsoleRelay({
    verifyCertificate: async () => {
      asked++;
      return false;
    },
  });
  await withCa.listen();
  await withoutCa.listen();
  try {
    const page = await openPage(viaWebsockify(wss, '127.0.0.1', qemu.vncPort, withCa, 'wss').url);
    const init = await rfbHandshake(page);
    assert.equal(init.name, 'QEMU');
    await page.close();
    assert.equal(asked, 0);
    const refused = await openPage(viaWebsockify(wss, '127.0.0.1', qemu.vncPort, withoutCa, 'wss').url);
    const c = await closedWith(refused);
    assert.equal(asked, 1);
    assert.equal(c.code, RelayCloseCode.certificateNotTrusted);
    assert.equal(c.reason, "the console proxy's certificate is not trusted (not signed by a trusted authority): rejected, or not the pinned one");
  } finally {
    await withCa.close();
    await withoutCa.close();
    await wss.stop();
  }
});
