// Grants: the RDP gateway and the console relay connect only where a grant the main process issued allows, once,
// and before it expires. (A VNC grant starts its way out when it is minted, see electron/relay/early-upstream.ts: a
// refused page adds nothing to that, no byte of a page reaches the server, and an unused grant's connection closes.) Every relay kind (a vnc:// address over TCP, VNC through a Nova-style noVNC proxy, a serial
// console through a Nova-style serial proxy) and the gateway meet every refusal: a token never issued here (random,
// or issued by another endpoint for the same destination), a token already used (while its session still runs, and
// after it ended) and an expired one, judged by the clock (before the table's cleanup timer ran) and after that timer
// ran. Each refusal is checked against a twin that connects, so a broken setup cannot pass for a refusal. Then the
// same through the app as browser mode wires it: grants from the session service for the demo cloud's RDP, VNC and
// serial consoles, on the page's own port, where the page's Origin is required as well and every door of that port
// (page files, API socket, gateway, relay) refuses a missing or wrong secret, a foreign Host and a foreign Origin.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ConsoleRelay, RelayCloseCode, type RelayDestination, type RelayStatus } from '../../electron/relay/relay.ts';
import { RdpGateway } from '../../electron/rdp/gateway.ts';
import { startBrowserHost, type BrowserHost } from '../../electron/browser-host.ts';
import { ConsoleBroker } from '../../electron/demo/cloud/consoles.ts';
import type { ConsoleTarget, RdpGrant, RelayGrant, SessionGrant } from '../../electron/common/contract.ts';
import { openPage, type PageSocket } from '../electron/relay/page-client.ts';
import { startNovaProxyDouble, type NovaProxyDouble } from '../electron/relay/nova-proxy-double.ts';
import { makeCert, startRdpDouble, type RdpDouble } from '../electron/rdp/rdp-double.ts';
import { requestPdu, roundTrip, sendRaw, streamOverWs } from '../electron/rdp/gateway-client.ts';
import { rdpGrant } from '../support/grants.ts';
import { watchCalls } from '../support/watch-calls.ts';

const GREETING = Buffer.from('RFB 003.008\n', 'latin1');
/** Longer than any grant lives (the gateway's 5 minutes, the relay's 60 s): a jump of the clock past both. */
const PAST_EVERY_GRANT_MS = 10 * 60_000;

interface CountingServer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections still open. */
  readonly open: number;
  /** Bytes received, over all connections. */
  received: number;
  close(): Promise<void>;
}

/**
 * A TCP server that counts connections and echoes what it gets; with `greeting` it first greets as an RFB 3.8 server
 * does (a VNC server), without it stays silent until bytes come, as a serial port does.
 */
async function startEchoServer(greeting?: Buffer): Promise<CountingServer> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((s) => {
    double.connections++;
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    s.on('data', (d) => {
      double.received += d.length;
      s.write(d);
    });
    if (greeting) s.write(greeting);
  });
  const double: CountingServer = {
    port: 0,
    connections: 0,
    get open() {
      return sockets.size;
    },
    received: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  double.port = (server.address() as AddressInfo).port;
  return double;
}

async function waitFor(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/** Random bytes through the session and back: the session relays (both doubles echo). */
async function echoes(page: PageSocket) {
  const bytes = randomBytes(64);
  page.send(bytes);
  assert.deepEqual(await page.read(bytes.length), bytes);
}

/** `promise`, or a failure saying `what` did not happen: a relay that honours a grant keeps the socket open. */
async function within<T>(promise: Promise<T>, what: () => string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what())), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The relay's answer to a grant it does not honour: the upgrade succeeds, then 4001 with a reason, and no byte. */
async function refusedByRelay(url: string, what: string, origin?: string) {
  const page = await openPage(url, origin ? { origin } : {});
  const c = await within(page.closed, () => `${what}: the relay accepted it (the page got ${page.received()} bytes)`).finally(() => page.ws.terminate());
  assert.equal(c.code, RelayCloseCode.grantRefused, `${what}: close code`);
  assert.match(c.reason, /grant is unknown, used or expired/, what);
  assert.equal(page.received(), 0, `${what}: no byte reached the page`);
}

const grantOf = (relayUrl: string) => new URL(relayUrl).searchParams.get('grant')!;
const forgedGrant = () => randomBytes(32).toString('base64url');

describe('the relay and the gateway on their own ports', () => {
  let relay: ConsoleRelay;
  let other: ConsoleRelay;
  let vnc: CountingServer;
  let serial: CountingServer;
  let proxy: NovaProxyDouble;
  let gateway: RdpGateway;
  let otherGateway: RdpGateway;
  let rdp: RdpDouble;
  const statuses: RelayStatus[] = [];

  before(async () => {
    vnc = await startEchoServer(GREETING);
    serial = await startEchoServer();
    proxy = await startNovaProxyDouble();
    relay = new ConsoleRelay({ verifyCertificate: async () => false, onStatus: (s) => statuses.push(s), timeouts: { serialSettleMs: 100 } });
    other = new ConsoleRelay({ verifyCertificate: async () => false, timeouts: { serialSettleMs: 100 } });
    await relay.listen();
    await other.listen();
    rdp = await startRdpDouble({ order: 'standard', cert: makeCert('grants') });
    gateway = new RdpGateway({ verifyCertificate: async () => true });
    otherGateway = new RdpGateway({ verifyCertificate: async () => true });
    await gateway.listen();
    await otherGateway.listen();
  });

  after(async () => {
    await Promise.all([relay?.close(), other?.close(), gateway?.close(), otherGateway?.close()]);
    await Promise.all([vnc?.close(), serial?.close(), proxy?.close(), rdp?.close()]);
  });

  /** Everything the relay could have reached: a connection to either server, or an upgrade request at the proxy. */
  const contacts = () => vnc.connections + serial.connections + proxy.requests.length;
  const statesOf = (sessionId: string) => statuses.filter((s) => s.sessionId === sessionId).map((s) => s.state);

  /** A console token the proxy knows, leading to `target` (a fresh one per grant, as Nova hands out). */
  function proxied(target: CountingServer, console?: 'serial'): RelayDestination {
    const token = randomBytes(18).toString('hex');
    proxy.addToken(token, '127.0.0.1', target.port);
    return { kind: 'websocket', url: proxy.url(token), ...(console ? { console } : {}) };
  }

  /** `contacts`: what one working session adds to contacts() (a proxied one: the upgrade, then the proxy's connection). */
  /** `early`: what minting its grant reaches by itself (a VNC grant's way out; nothing for a serial proxy). */
  const KINDS: Array<{ name: string; destination: () => RelayDestination; start: (page: PageSocket) => Promise<void>; contacts: number; early: number }> = [
    {
      name: 'vnc:// over TCP',
      destination: () => ({ kind: 'tcp', host: '127.0.0.1', port: vnc.port }),
      start: async (page) => assert.deepEqual(await page.read(GREETING.length), GREETING),
      contacts: 1,
      early: 1,
    },
    {
      name: 'VNC through the noVNC proxy',
      destination: () => proxied(vnc),
      start: async (page) => assert.deepEqual(await page.read(GREETING.length), GREETING),
      contacts: 2,
      early: 2,
    },
    {
      name: 'serial through the serial proxy',
      destination: () => proxied(serial, 'serial'),
      // A serial port says nothing first: the echo below is the proof.
      start: async () => {},
      contacts: 2,
      early: 0,
    },
  ];

  /** Mints a grant on `r` and waits for what minting reaches by itself (`early`), so a count taken next is settled. */
  async function minted(r: ConsoleRelay, kind: (typeof KINDS)[number]) {
    const before = contacts();
    const g = r.grant(kind.destination());
    await waitFor(() => contacts() === before + kind.early, "the grant's own connection");
    return g;
  }

  /** Opens a grant that must work and shows it does. */
  async function working(relayUrl: string, kind: (typeof KINDS)[number]): Promise<PageSocket> {
    const page = await openPage(relayUrl);
    await kind.start(page);
    await echoes(page);
    return page;
  }

  for (const kind of KINDS) {
    test(`${kind.name}: a grant never issued by this relay is refused, a random one or one another relay issued for the same destination`, async () => {
      const elsewhere = await minted(other, kind);
      const before = contacts();
      await refusedByRelay(`${relay.url}?grant=${forgedGrant()}`, 'a random grant');
      await refusedByRelay(`${relay.url}?grant=${grantOf(elsewhere.relayUrl)}`, "another relay's grant");
      assert.equal(contacts(), before, 'no server and no proxy saw a connection');
      // The twin: that grant was a real one, good on the relay that issued it.
      const page = await working(elsewhere.relayUrl, kind);
      await page.close();
    });

    test(`${kind.name}: a used grant is refused while its session runs and after it ended; the running session is untouched`, async () => {
      const g = relay.grant(kind.destination());
      const first = await working(g.relayUrl, kind);
      const afterFirst = contacts();
      await refusedByRelay(g.relayUrl, 'the same grant while its session runs');
      assert.equal(contacts(), afterFirst, 'the second use reached nothing');
      await echoes(first);
      await first.close();
      await waitFor(() => statesOf(g.sessionId).includes('closed'), 'the first session to close');
      await refusedByRelay(g.relayUrl, 'the same grant after its session ended');
      assert.equal(contacts(), afterFirst, 'the third use reached nothing');
      assert.equal(statesOf(g.sessionId).filter((s) => s === 'connecting').length, 1, 'one session was ever started for the grant');
    });

    test(`${kind.name}: one grant presented by two pages at once opens one session`, async () => {
      const g = await minted(relay, kind);
      const before = contacts() - kind.early;
      const pages = await Promise.all([openPage(g.relayUrl), openPage(g.relayUrl)]);
      // The loser is closed at once with 4001; the winner stays open. Which one wins is not known in advance.
      const loser = await within(
        Promise.race(pages.map((p, i) => p.closed.then((c) => ({ i, c })))),
        () => 'both pages were accepted',
      ).catch((err: unknown) => {
        for (const p of pages) p.ws.terminate();
        throw err;
      });
      assert.equal(loser.c.code, RelayCloseCode.grantRefused);
      assert.equal(pages[loser.i].received(), 0);
      const winner = pages[1 - loser.i];
      await kind.start(winner);
      await echoes(winner);
      assert.equal(contacts() - before, kind.contacts, 'one session reached the far side');
      await winner.close();
    });

    test(`${kind.name}: an expired grant is refused by the clock before its cleanup timer ran; its twin used a moment earlier connects`, async (t: TestContext) => {
      const ttl = 60_000;
      const timed = new ConsoleRelay({ verifyCertificate: async () => false, grantTtlMs: ttl, onStatus: (s) => statuses.push(s), timeouts: { serialSettleMs: 100 } });
      await timed.listen();
      let early: PageSocket | undefined;
      try {
        const before = contacts();
        // Only Date is mocked, from before the grants are issued (so their lifetimes start on the mocked clock): the
        // sockets keep their real timers, and the grant table's cleanup timer (ttl, real) cannot have fired, so only
        // the table's own reading of the clock can refuse the late grant.
        t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
        const twin = await minted(timed, kind);
        const late = await minted(timed, kind);
        t.mock.timers.tick(ttl - 1);
        early = await openPage(twin.relayUrl);
        t.mock.timers.tick(2);
        await refusedByRelay(late.relayUrl, 'a grant 1 ms past its lifetime');
        t.mock.timers.reset();
        assert.equal(statesOf(late.sessionId).length, 0, 'no session started for the expired grant');
        await kind.start(early);
        await echoes(early);
        // The late grant's own connection (vnc://) is the only other contact: refused, it closed unused.
        assert.equal(contacts() - before, kind.contacts + kind.early, 'only the twin reached the far side');
      } finally {
        t.mock.timers.reset();
        await early?.close();
        await timed.close();
      }
    });

    test(`${kind.name}: an expired grant whose cleanup timer already ran is refused`, async () => {
      const short = new ConsoleRelay({ verifyCertificate: async () => false, grantTtlMs: 30 });
      await short.listen();
      try {
        const g = short.grant(kind.destination());
        await new Promise((r) => setTimeout(r, 100));
        const before = contacts();
        await refusedByRelay(g.relayUrl, 'a grant after its lifetime');
        assert.equal(contacts(), before);
      } finally {
        await short.close();
      }
    });
  }

  /** An RDCleanPath request for a gateway grant on `url`; the answer PDU. */
  async function presentToGateway(url: string, destination: string, token: string) {
    const ws = await openGatewaySocket(url);
    const answer = await sendRaw(ws, requestPdu({ destination, proxyAuth: token }));
    return { ws, pdu: answer.pdu };
  }

  test('RDP: a token another gateway issued for the same destination is refused with 403 and reaches no server', async () => {
    const elsewhere = otherGateway.grant({ host: '127.0.0.1', port: rdp.port, vmconnect: false });
    const before = rdp.conversations.length;
    const refused = await presentToGateway(gateway.url, elsewhere.destination, elsewhere.token);
    assert.equal(refused.pdu?.error?.httpStatus, 403);
    refused.ws.close();
    assert.equal(rdp.conversations.length, before);
    const twin = await presentToGateway(elsewhere.gatewayUrl, elsewhere.destination, elsewhere.token);
    assert.equal(twin.pdu?.error, undefined, 'the token is good on the gateway that issued it');
    twin.ws.close();
  });

  test('RDP: a used token is refused while its session runs; the running session is untouched', async () => {
    const g = gateway.grant({ host: '127.0.0.1', port: rdp.port, vmconnect: false });
    const first = await presentToGateway(g.gatewayUrl, g.destination, g.token);
    assert.equal(first.pdu?.error, undefined);
    const tls = streamOverWs(first.ws);
    const before = rdp.conversations.length;
    const again = await presentToGateway(g.gatewayUrl, g.destination, g.token);
    assert.equal(again.pdu?.error?.httpStatus, 403);
    assert.equal(again.pdu?.serverCertChain, undefined);
    again.ws.close();
    assert.equal(rdp.conversations.length, before, 'the second use reached no server');
    const payload = randomBytes(1024);
    assert.deepEqual(await roundTrip(tls, payload), payload);
    tls.destroy();
  });

  test('RDP: an expired token is refused by the clock before its cleanup timer ran; its twin presented a moment earlier connects', async (t: TestContext) => {
    const ttl = 60_000;
    const timed = new RdpGateway({ verifyCertificate: async () => true, grantTtlMs: ttl });
    await timed.listen();
    try {
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      const twin = timed.grant({ host: '127.0.0.1', port: rdp.port, vmconnect: false });
      const late = timed.grant({ host: '127.0.0.1', port: rdp.port, vmconnect: false });
      t.mock.timers.tick(ttl - 1);
      const ok = await presentToGateway(twin.gatewayUrl, twin.destination, twin.token);
      t.mock.timers.tick(2);
      const before = rdp.conversations.length;
      const refused = await presentToGateway(late.gatewayUrl, late.destination, late.token);
      t.mock.timers.reset();
      assert.equal(ok.pdu?.error, undefined, 'the twin, 1 ms before its end, connects');
      assert.ok(ok.pdu?.serverCertChain);
      assert.equal(refused.pdu?.error?.httpStatus, 403, 'the token 1 ms past its end is refused');
      assert.equal(rdp.conversations.length, before);
      ok.ws.close();
      refused.ws.close();
    } finally {
      t.mock.timers.reset();
      await timed.close();
    }
  });
});

/** A WebSocket to the gateway, with an Origin when given; binary as the WASM client uses it. */
function openGatewaySocket(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** The HTTP status an upgrade gets (101 when it opens). */
function upgradeStatus(url: string, opts: { origin?: string; headers?: Record<string, string> } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary'], { ...(opts.origin ? { origin: opts.origin } : {}), headers: opts.headers ?? {} });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function httpStatus(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("browser mode: grants from the session service, on the page's port", () => {
  let dir: string;
  let host: BrowserHost;
  let vnc: CountingServer;
  const logs: string[] = [];
  /** Console tokens the demo's proxies looked up: a refused grant must never get that far. */
  const lookups: string[] = [];
  let unwatch: (() => void) | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nova-grants-'));
    const rendererDir = join(dir, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>grants</title><div id="root"></div>');
    unwatch = watchCalls(ConsoleBroker.prototype, 'lookup', (_broker, token) => lookups.push(token));
    vnc = await startEchoServer(GREETING);
    host = await startBrowserHost({
      rendererDir,
      dataDir: join(dir, 'data'),
      log: (line) => logs.push(line),
      // No clouds.yaml of this machine, and any free port for the demo's console host.
      compose: { cloudSources: { cwd: dir, home: dir, siteDir: join(dir, 'etc'), env: {} }, demo: { consolePort: 0 } },
    });
  });

  after(async () => {
    unwatch?.();
    await host?.close();
    await vnc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const serverId = (name: string) => {
    const s = host.app.demo!.demoCloud.info.servers.find((x) => x.name === name);
    assert.ok(s, `the demo has a server ${name}`);
    return s.id;
  };
  /** Every grant token the session service handed out here: none may reach the log. */
  const issued: string[] = [];
  const open = async (target: ConsoleTarget): Promise<SessionGrant> => {
    const g = await host.app.services.sessions!.open(target);
    issued.push(g.protocol === 'rdp' ? g.token : grantOf(g.relayUrl));
    return g;
  };
  const relayGrant = (g: SessionGrant): RelayGrant => {
    if (g.protocol === 'rdp') throw new Error('expected a relay grant, got an RDP grant');
    return g;
  };

  /** The relay kinds as the app grants them, each with the proof that a session of it works. */
  /** `earlyLookups`: token lookups a grant makes by being minted (a VNC grant starts its way out at once). */
  const RELAYED: Array<{ name: string; target: () => ConsoleTarget; start: (page: PageSocket) => Promise<void>; earlyLookups: number }> = [
    {
      name: 'VNC of a demo server (noVNC proxy)',
      target: () => ({ kind: 'server', cloud: 'demo', server: serverId('debian-12-db'), protocol: 'vnc' }),
      earlyLookups: 1,
      start: async (page) => assert.match((await page.read(12)).toString('latin1'), /^RFB \d{3}\.\d{3}\n$/),
    },
    {
      name: 'serial console of a demo server (serial proxy)',
      target: () => ({ kind: 'server', cloud: 'demo', server: serverId('debian-12-db'), protocol: 'serial' }),
      earlyLookups: 0,
      // The guest answers a key with its login prompt.
      start: async (page) => {
        page.send(Buffer.from('\r'));
        assert.ok((await page.read(1)).length === 1);
      },
    },
    {
      name: 'a vnc:// address',
      target: () => ({ kind: 'address', protocol: 'vnc', host: '127.0.0.1', port: vnc.port }),
      earlyLookups: 0,
      start: async (page) => assert.deepEqual(await page.read(GREETING.length), GREETING),
    },
  ];

  for (const kind of RELAYED) {
    test(`${kind.name}: never issued, used or expired grants are refused on the page's port; a fresh one works`, async (t: TestContext) => {
      const origin = host.origin;
      // A proxied VNC grant reaches its proxy when minted (its token is looked up then): wait for that, so the
      // counts below see only what the pages cause.
      const mint = async () => {
        const n = lookups.length;
        const minted = relayGrant(await open(kind.target()));
        await waitFor(() => lookups.length === n + kind.earlyLookups, "the grant's own token lookup");
        return minted;
      };
      const relayBase = (await mint()).relayUrl.split('?')[0];
      assert.equal(new URL(relayBase).port, String(host.port), 'the relay shares the page port');
      const lookupsBefore = lookups.length;
      await refusedByRelay(`${relayBase}?grant=${forgedGrant()}`, 'a random grant', origin);
      await refusedByRelay(relayBase, 'no grant at all', origin);

      const g = await mint();
      const first = await openPage(g.relayUrl, { origin });
      await kind.start(first);
      const lookupsAfterFirst = lookups.length;
      await refusedByRelay(g.relayUrl, 'the same grant while its session runs', origin);
      await first.close();
      await refusedByRelay(g.relayUrl, 'the same grant after its session ended', origin);

      const expiring = await mint();
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      try {
        t.mock.timers.tick(PAST_EVERY_GRANT_MS);
        await refusedByRelay(expiring.relayUrl, 'a grant past its lifetime', origin);
      } finally {
        t.mock.timers.reset();
      }
      // Token lookups at the demo's proxies: the working grant made one (a vnc:// address makes none), from its
      // session or, for VNC, from its minting; the refused ones made none beyond their minting's.
      const proxiedKind = kind.target().kind === 'server';
      assert.equal(lookupsAfterFirst - lookupsBefore, proxiedKind ? 1 : 0, 'the working grant reached the proxy once');
      assert.equal(lookups.length, lookupsAfterFirst + kind.earlyLookups, 'no refused grant reached a proxy');
    });
  }

  test("RDP of a demo server: never issued, used or expired tokens are refused on the page's port; a fresh one works", async (t: TestContext) => {
    const origin = host.origin;
    const target: ConsoleTarget = { kind: 'server', cloud: 'demo', server: serverId('win2022-web-01'), protocol: 'rdp' };
    const present = async (g: RdpGrant, token: string) => {
      const ws = await openGatewaySocket(g.gatewayUrl, origin);
      const answer = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: token, preconnectionBlob: g.preConnectionBlob }));
      return { ws, pdu: answer.pdu };
    };
    const g = rdpGrant(await open(target));
    assert.equal(new URL(g.gatewayUrl).port, String(host.port), 'the gateway shares the page port');
    const forged = await present(g, forgedGrant());
    assert.equal(forged.pdu?.error?.httpStatus, 403, 'a random token');
    forged.ws.close();

    const first = await present(g, g.token);
    assert.equal(first.pdu?.error, undefined, 'the fresh token reaches the demo console host');
    assert.ok(first.pdu?.serverCertChain?.length);
    const again = await present(g, g.token);
    assert.equal(again.pdu?.error?.httpStatus, 403, 'the same token while its session runs');
    again.ws.close();
    first.ws.close();

    const expiring = rdpGrant(await open(target));
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      t.mock.timers.tick(PAST_EVERY_GRANT_MS);
      const late = await present(expiring, expiring.token);
      assert.equal(late.pdu?.error?.httpStatus, 403, 'a token past its lifetime');
      late.ws.close();
    } finally {
      t.mock.timers.reset();
    }
  });

  test("a grant presented from another origin, or from none, is refused at the upgrade of the relay and the gateway", async () => {
    const foreign = ['http://evil.example', `http://localhost:${host.port}`, `http://127.0.0.1:${host.port + 1}`, 'null'];
    const vncTarget: ConsoleTarget = { kind: 'address', protocol: 'vnc', host: '127.0.0.1', port: vnc.port };
    const before = vnc.connections;
    const receivedBefore = vnc.received;
    const openBefore = vnc.open;
    let grants = 0;
    for (const origin of [...foreign, undefined]) {
      const g = relayGrant(await open(vncTarget));
      grants++;
      await waitFor(() => vnc.connections === before + grants, "the grant's own connection");
      assert.equal(await upgradeStatus(g.relayUrl, { origin }), 403, `relay, Origin ${origin ?? '(none)'}`);
      // The grant was shown to a page that is not the app's: it is burnt, the app's own page cannot use it now.
      await refusedByRelay(g.relayUrl, `relay grant after Origin ${origin ?? '(none)'}`, host.origin);
    }
    // Each grant's own connection (opened when minted) closed unused: nothing more reached the VNC server.
    assert.equal(vnc.connections, before + grants, 'one connection per grant, from its minting');
    await waitFor(() => vnc.open <= openBefore, "the burnt grants' connections to close");
    assert.equal(vnc.received, receivedBefore, 'no byte reached the VNC server');
    const rdp = rdpGrant(await open({ kind: 'server', cloud: 'demo', server: serverId('win2022-web-01'), protocol: 'rdp' }));
    for (const origin of [...foreign, undefined]) {
      assert.equal(await upgradeStatus(rdp.gatewayUrl, { origin }), 403, `gateway, Origin ${origin ?? '(none)'}`);
    }
  });

  test("the page's files and API socket: a missing or wrong secret (query or cookie), a foreign Host or Origin are refused", async () => {
    const { port, secret, origin } = host;
    const own = `127.0.0.1:${port}`;
    const cookie = (value: string) => `nova_console_${port}=${value}`;
    assert.equal(await httpStatus(port, `/?secret=${secret}`, { Host: own }), 200, 'the twin: the right secret');
    assert.equal(await httpStatus(port, '/', { Host: own, Cookie: cookie(secret) }), 200, 'the twin: the right cookie');
    assert.equal(await httpStatus(port, '/', { Host: own }), 401, 'no secret');
    assert.equal(await httpStatus(port, '/', { Host: own, Cookie: cookie(secret.slice(0, -1)) }), 401, 'a wrong cookie');
    assert.equal(await httpStatus(port, '/?secret=', { Host: own, Cookie: cookie(secret) }), 401, 'an empty secret in the query outweighs the cookie');
    assert.equal(await httpStatus(port, '/', { Host: `nova.evil.example:${port}`, Cookie: cookie(secret) }), 421, 'DNS rebinding: a foreign Host');
    assert.equal(await httpStatus(port, '/', { Host: own, Cookie: cookie(secret), Origin: 'http://evil.example' }), 403, 'a foreign Origin');

    const api = `ws://${own}/api`;
    assert.equal(await upgradeStatus(`${api}?secret=${encodeURIComponent(secret)}`, { origin }), 101, 'the twin: the page');
    assert.equal(await upgradeStatus(api, { origin }), 401, 'no secret');
    assert.equal(await upgradeStatus(`${api}?secret=${encodeURIComponent(secret)}x`, { origin }), 401, 'a wrong secret');
    assert.equal(await upgradeStatus(api, { origin, headers: { Cookie: cookie(secret) } }), 401, 'the cookie does not open the API socket');
    assert.equal(await upgradeStatus(`${api}?secret=${encodeURIComponent(secret)}`, { origin, headers: { Host: `nova.evil.example:${port}` } }), 421, 'a foreign Host');
    for (const foreign of ['http://evil.example', `http://localhost:${port}`, 'null']) {
      assert.equal(await upgradeStatus(`${api}?secret=${encodeURIComponent(secret)}`, { origin: foreign }), 403, `Origin ${foreign}`);
    }
  });

  test('no grant token or page secret reached the log', () => {
    // The refusals above are logged ("refused a relay connection: …"): the log has lines to search.
    assert.ok(logs.some((l) => /refused a (relay|gateway) connection/.test(l)), `the refusals were logged:\n${logs.join('\n')}`);
    assert.ok(issued.length >= 10, 'grants were issued');
    for (const line of logs) {
      assert.ok(!line.includes(host.secret), `the page secret is not in: ${line.replaceAll(host.secret, '«secret»')}`);
      for (const token of issued) assert.ok(!line.includes(token), `a grant token is not in: ${line.replaceAll(token, '«grant»')}`);
    }
  });
});
