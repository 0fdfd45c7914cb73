// A pinned certificate that changes blocks the session, on the TLS path of the console relay: a wss console proxy
// for VNC (noVNC proxy) and for serial consoles (serial proxy). The endpoint stays the same while the TLS front in
// front of the proxy is switched to another certificate, as a reinstalled proxy or someone in the middle would
// present. The question names it as changed (both fingerprints), nothing leaves before the answer (the upgrade
// request carries the console token), a rejection ends the session with a reason saying why, and the pin stays the
// old one. First against the relay alone, then in the app (browser mode, Chromium) where the tab says why. RDP's
// changed certificate is covered by test/electron/rdp/trust-store.test.ts and test/e2e/app/errors.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ConsoleRelay, RelayCloseCode, type RelayStatus } from '../../electron/relay/relay.ts';
import { CertificateTrust, TrustStore } from '../../electron/rdp/trust-store.ts';
import type { TrustPrompt } from '../../electron/common/contract.ts';
import { openPage, type PageSocket } from '../electron/relay/page-client.ts';
import { startNovaProxyDouble, type NovaProxyDouble } from '../electron/relay/nova-proxy-double.ts';
import { makeCert, type TestCert } from '../electron/rdp/rdp-double.ts';
import { chromiumMissing, startAppUnderTest, type AppUnderTest } from '../e2e/app/harness.ts';
import { tabPage } from '../e2e/app/tab-page.ts';

const GREETING = Buffer.from('RFB 003.008\n', 'latin1');
const fingerprintOf = (cert: TestCert) => new X509Certificate(cert.cert).fingerprint256;

interface TlsFront {
  port: number;
  /** The certificate new connections get from now on; the endpoint (127.0.0.1:port) stays the same. */
  present(cert: TestCert): void;
  /** Per TLS connection, in order: the plaintext bytes the client sent (the WebSocket upgrade carries the token). */
  sent: number[];
  close(): Promise<void>;
}

/** TLS in front of a plain server on loopback: decrypts and forwards both ways, counting what each client sent. */
async function startTlsFront(targetPort: number, first: TestCert): Promise<TlsFront> {
  const sockets = new Set<Socket>();
  const sent: number[] = [];
  const server: TlsServer = createTlsServer({ cert: first.cert, key: first.key }, (clear: TLSSocket) => {
    const index = sent.push(0) - 1;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(clear).add(upstream);
    const drop = () => {
      clear.destroy();
      upstream.destroy();
      sockets.delete(clear);
      sockets.delete(upstream);
    };
    clear.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    clear.on('data', (d: Buffer) => {
      sent[index] += d.length;
      upstream.write(d);
    });
    upstream.pipe(clear);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    present: (cert) => server.setSecureContext({ cert: cert.cert, key: cert.key }),
    sent,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A TCP server that echoes; with `greeting` it first greets as an RFB 3.8 server does, else it is a silent serial port. */
async function startEchoServer(greeting?: Buffer): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    s.on('data', (d) => s.write(d));
    if (greeting) s.write(greeting);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function waitFor(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

let certA: TestCert;
let certB: TestCert;
let dir: string;

before(() => {
  certA = makeCert('console-proxy-a');
  certB = makeCert('console-proxy-b');
  assert.notEqual(fingerprintOf(certA), fingerprintOf(certB));
  dir = mkdtempSync(join(tmpdir(), 'nova-changed-cert-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the relay toward a wss console proxy', () => {
  let proxy: NovaProxyDouble;
  let vnc: { port: number; close(): Promise<void> };
  let serial: { port: number; close(): Promise<void> };

  before(async () => {
    proxy = await startNovaProxyDouble({ accessScheme: 'https' });
    vnc = await startEchoServer(GREETING);
    serial = await startEchoServer();
  });

  after(async () => {
    await Promise.all([proxy?.close(), vnc?.close(), serial?.close()]);
  });

  const KINDS = [
    {
      name: 'VNC',
      console: 'vnc' as const,
      target: () => vnc.port,
      start: async (page: PageSocket) => assert.deepEqual(await page.read(GREETING.length), GREETING),
      subject: 'the console proxy',
    },
    {
      name: 'serial',
      console: 'serial' as const,
      target: () => serial.port,
      // A serial port says nothing first: the echo is the proof.
      start: async () => {},
      subject: 'the serial console proxy',
    },
  ];

  for (const kind of KINDS) {
    test(`${kind.name}: a changed certificate is asked about as changed, nothing leaves until the answer, a rejection ends the session saying why`, async () => {
      const file = join(dir, `relay-${kind.name}.json`);
      const prompts: TrustPrompt[] = [];
      let answer: ((p: TrustPrompt) => void) | undefined;
      const trust = new CertificateTrust(new TrustStore(file), (p) => {
        prompts.push(p);
        answer?.(p);
      });
      const statuses: RelayStatus[] = [];
      const logs: string[] = [];
      const relay = new ConsoleRelay({ verifyCertificate: trust.verify, onStatus: (s) => statuses.push(s), log: (l) => logs.push(l), timeouts: { serialSettleMs: 100 } });
      await relay.listen();
      const front = await startTlsFront(proxy.port, certA);
      const endpoint = `127.0.0.1:${front.port}`;
      const tokens: string[] = [];
      const grant = () => {
        const token = randomBytes(18).toString('hex');
        tokens.push(token);
        proxy.addToken(token, '127.0.0.1', kind.target());
        return relay.grant({ kind: 'websocket', url: `wss://${endpoint}/?token=${token}`, console: kind.console });
      };
      const statesOf = (id: string) => statuses.filter((s) => s.sessionId === id).map((s) => s.state);
      const works = async (page: PageSocket) => {
        await kind.start(page);
        const bytes = randomBytes(32);
        page.send(bytes);
        assert.deepEqual(await page.read(bytes.length), bytes);
      };
      try {
        // First use: asked, trusted always, pinned, connected.
        answer = (p) => void trust.decide(p.promptId, 'trust-always');
        const first = await openPage(grant().relayUrl);
        await works(first);
        await first.close();
        assert.equal(prompts.length, 1);
        assert.equal(prompts[0].reason, 'first-use');
        assert.equal(prompts[0].certificate.fingerprint, fingerprintOf(certA));

        // The proxy now presents another certificate at the same endpoint; the user has not answered yet.
        front.present(certB);
        answer = undefined;
        const requestsBefore = proxy.requests.length;
        const g = grant();
        const page = await openPage(g.relayUrl);
        await waitFor(() => prompts.length === 2, 'the question about the changed certificate');
        const changed = prompts[1];
        assert.equal(changed.reason, 'changed');
        assert.equal(changed.sessionId, g.sessionId);
        assert.equal(changed.certificate.endpoint, endpoint);
        assert.equal(changed.certificate.fingerprint, fingerprintOf(certB), 'the question shows the new certificate');
        assert.equal(changed.previous?.fingerprint, fingerprintOf(certA), 'and the pinned one');
        // While the question waits the session has not started: TLS is up, but not one byte of the upgrade (and
        // so of the console token) went through it, and the page got nothing.
        // (The front counts a connection once its side of the handshake ends, which may be after the relay's.)
        await waitFor(() => front.sent.length === 2, 'the relay to open TLS to the changed proxy');
        assert.equal(front.sent[1], 0, 'nothing was sent over TLS before the answer');
        assert.equal(proxy.requests.length, requestsBefore);
        assert.equal(page.received(), 0);
        assert.deepEqual(statesOf(g.sessionId), ['connecting']);

        await trust.decide(changed.promptId, 'reject');
        const closed = await page.closed;
        assert.equal(closed.code, RelayCloseCode.certificateNotTrusted);
        assert.equal(closed.reason, `${kind.subject}'s certificate is not trusted (self-signed): rejected, or not the pinned one`);
        await waitFor(() => statesOf(g.sessionId).includes('closed'), 'the closed status');
        const end = statuses.find((s) => s.sessionId === g.sessionId && s.state === 'closed');
        assert.equal(end?.reason, closed.reason, 'the tab is told the same reason');
        assert.equal(end?.cause, 'certificate', 'a final end: the page does not retry by itself');
        assert.ok(!statesOf(g.sessionId).includes('connected'));
        assert.equal(front.sent[1], 0, 'the rejected proxy never got the upgrade request');
        assert.equal(proxy.requests.length, requestsBefore, 'the proxy saw no request');
        assert.equal(page.received(), 0);
        assert.ok(logs.some((l) => l.includes(g.sessionId) && l.includes('not trusted')), 'the log says why too');

        // Rejecting kept the old pin, on disk: a relay started later with the old certificate back asks nothing.
        assert.equal(new TrustStore(file).lookup(endpoint, certA.der).state, 'pinned');
        assert.equal(new TrustStore(file).lookup(endpoint, certB.der).state, 'changed');
        front.present(certA);
        const again = await openPage(grant().relayUrl);
        await works(again);
        await again.close();
        assert.equal(prompts.length, 2, 'the pinned certificate is not asked about');
        for (const t of tokens) for (const l of logs) assert.ok(!l.includes(t), 'no log line carries a console token');
      } finally {
        await relay.close();
        await front.close();
      }
    });
  }
});

describe('in the app: the tab of a pasted wss console says why', () => {
  let app: AppUnderTest | undefined;
  let page: Page;
  const fronts: TlsFront[] = [];

  before(async () => {
    if (chromiumMissing) return;
    app = await startAppUnderTest();
    page = app.page;
    await page.goto(app.host.url);
    await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
  });

  after(async () => {
    await app?.stop();
    for (const f of fronts) await f.close();
  });

  const tab = (name: string) => tabPage(page).tab(name);
  const statusText = (name: string) => tabPage(page).status(name);
  const waitStatus = (name: string, re: RegExp) => tabPage(page).waitStatus(name, re, 20);
  const paste = (url: string) => tabPage(page).paste(url);

  /** A fresh console URL of a libvirt server of the demo cloud (a noVNC page, or the serial proxy's ws:// URL). */
  async function consoleUrl(protocol: 'vnc' | 'serial'): Promise<URL> {
    const server = app!.host.app.demo!.demoCloud.info.servers.find((s) => s.name === 'debian-12-db')!;
    return new URL((await app!.host.app.services.consoles.consoleUrl('demo', server.id, protocol)).url);
  }

  /** The same console URL moved onto the TLS front of its proxy: same path and token, https (noVNC) or wss (serial). */
  async function consoleUrlThroughFront(protocol: 'vnc' | 'serial', front: TlsFront): Promise<string> {
    const u = await consoleUrl(protocol);
    u.protocol = protocol === 'vnc' ? 'https:' : 'wss:';
    u.port = String(front.port);
    return u.href;
  }

  for (const protocol of ['vnc', 'serial'] as const) {
    test(`${protocol}: trusted always, then changed: the dialog shows both fingerprints; Reject leaves the tab disconnected saying why`, { skip: chromiumMissing }, async () => {
      // The demo's plain proxy, as its console URLs name it, behind a TLS front of this test.
      const front = await startTlsFront(Number((await consoleUrl(protocol)).port), certA);
      fronts.push(front);
      const endpoint = `127.0.0.1:${front.port}`;

      await paste(await consoleUrlThroughFront(protocol, front));
      await tab(endpoint).waitFor();
      const firstUse = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
      await firstUse.waitFor({ timeout: 20_000 });
      assert.ok((await firstUse.innerText()).includes(fingerprintOf(certA)));
      await firstUse.getByRole('button', { name: 'Trust always' }).click();
      await waitStatus(endpoint, /^Connected$/);
      await page.getByRole('button', { name: `Close ${endpoint}`, exact: true }).click();
      await tab(endpoint).waitFor({ state: 'detached' });

      // The proxy presents another certificate at the same address.
      front.present(certB);
      const connectionsBefore = front.sent.length;
      await paste(await consoleUrlThroughFront(protocol, front));
      await tab(endpoint).waitFor();
      const changed = page.getByRole('alertdialog', { name: 'The server certificate has changed' });
      await changed.waitFor({ timeout: 20_000 });
      const shown = await changed.innerText();
      assert.ok(shown.includes(fingerprintOf(certB)), `the new fingerprint is shown: ${shown}`);
      assert.ok(shown.includes(fingerprintOf(certA)), `the pinned fingerprint is shown: ${shown}`);
      assert.doesNotMatch(await statusText(endpoint), /^Connected/, 'the session waits for the answer');
      await changed.getByRole('button', { name: 'Reject' }).click();
      const text = await waitStatus(endpoint, /^Disconnected: /);
      assert.match(text, /certificate is not trusted/, text);
      assert.match(text, /not the pinned one/, text);
      // Nothing went through the changed front (the upgrade request carries the console token).
      assert.ok(front.sent.length > connectionsBefore, 'the relay reached the front');
      assert.deepEqual(front.sent.slice(connectionsBefore), front.sent.slice(connectionsBefore).map(() => 0));
      // The reason stays (a certificate end is final: no reconnect by itself), and the pin is still the old one.
      await page.waitForTimeout(500);
      assert.equal(await statusText(endpoint), text);
      const pinned = await app!.host.app.services.trust!.list();
      assert.equal(pinned.find((c) => c.endpoint === endpoint)?.fingerprint, fingerprintOf(certA));
      await page.getByRole('button', { name: `Close ${endpoint}`, exact: true }).click();
    });
  }
});
