// The demo's nova-novncproxy as a client meets it: console URLs from the demo cloud lead through it to the VM's
// VNC server; the token comes from the query or a cookie; `binary` is chosen when offered; bad, expired or
// foreign tokens and a failed Origin check open the socket and then drop it (1006); text frames close with 1003;
// and the RFB security proxy offers the client None only, whatever the VM's server offers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { request } from 'node:http';
import { WebSocket, createWebSocketStream } from 'ws';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { startVncHosts, type VncHosts } from '../../../../electron/demo/vnc-desktop/vnc-hosts.ts';
import { startNovncProxy, type NovncProxy, type NovncTokenInfo } from '../../../../electron/demo/novnc-proxy/proxy.ts';
import { login, raw } from '../cloud/support.ts';
import { MiniVncClient, Reader, expectedPicture } from '../vnc-desktop/mini-vnc-client.ts';

const UBUNTU = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01';
const WEB01 = '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a01'; // a Hyper-V server: its console is RDP

let clock = 1_700_000_000_000;
let cloud: DemoCloud;
let vnc: VncHosts;
let proxy: NovncProxy;
let member: string;
/** Tokens the tests point at servers of their own (servers the demo cloud knows nothing of). */
const extraTokens = new Map<string, NovncTokenInfo>();
const logs: string[] = [];

before(async () => {
  let late: DemoCloud | undefined;
  proxy = await startNovncProxy({ port: 0, lookupToken: (t) => extraTokens.get(t) ?? late?.lookupConsoleToken(t), log: (l) => logs.push(l) });
  vnc = startVncHosts({ vms: [{ id: UBUNTU, name: 'ubuntu-24-04-web', status: 'ACTIVE', domainName: 'instance-0000000e' }], fps: 0, log: () => {} });
  cloud = late = await startDemoCloud({ now: () => clock, tokenTtlSeconds: 600, novncProxyBaseUrl: proxy.baseUrl, vncEndpoint: (s) => vnc.endpoint(s.id) });
  const d = cloud.info.users.find((u) => u.username === 'demo')!;
  member = await login(cloud.authUrl, d.username, d.password, d.project_name);
});
after(async () => {
  await proxy.close();
  await vnc.close();
  await cloud.close();
});

async function consoleUrl(serverId: string, protocol = 'vnc', type = 'novnc'): Promise<string> {
  const compute = cloud.authUrl.replace('/identity/v3', '/compute/v2.1');
  const res = await raw(`${compute}/servers/${serverId}/remote-consoles`, {
    method: 'POST',
    headers: { 'X-Auth-Token': member, 'Content-Type': 'application/json', 'OpenStack-API-Version': 'compute 2.6' },
    body: JSON.stringify({ remote_console: { protocol, type } }),
  });
  assert.equal(res.status, 200, res.text);
  return res.json.remote_console.url as string;
}

/** The WebSocket address a noVNC console URL means: the proxy's host and "/" + the decoded `path` value. */
function webSocketAddress(url: string): string {
  const u = new URL(url);
  return `ws://${u.host}/${u.searchParams.get('path') ?? ''}`;
}

function tokenOf(url: string): string {
  return new URLSearchParams(new URL(url).searchParams.get('path')!.slice(1)).get('token')!;
}

interface Opened {
  ws: WebSocket;
  opened: Promise<boolean>;
  closed: Promise<{ code: number; reason: string }>;
  received: Buffer[];
}

function openSocket(address: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Opened {
  const ws = new WebSocket(address, opts.protocols ?? [], { headers: opts.headers });
  const received: Buffer[] = [];
  ws.on('message', (d: Buffer) => received.push(d));
  ws.on('error', () => {});
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('unexpected-response', (_req, res) => {
      resolve(false);
      res.resume();
    });
    ws.once('error', () => resolve(false));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, opened, closed, received };
}

/** A VNC session through the proxy: the socket as a stream, then the RFB handshake. */
async function vncThrough(o: Opened): Promise<MiniVncClient> {
  assert.equal(await o.opened, true);
  return MiniVncClient.start(createWebSocketStream(o.ws));
}

describe('noVNC proxy: reaching the console', () => {
  it('leads a console URL (token inside its path) to the VM, choosing the binary subprotocol', async () => {
    const url = await consoleUrl(UBUNTU);
    assert.match(url, new RegExp(`^${proxy.baseUrl.replace(/\./g, '\\.')}\\?path=%3Ftoken%3D[0-9a-f-]{36}$`));
    const o = openSocket(webSocketAddress(url), { protocols: ['binary'] });
    const client = await vncThrough(o);
    try {
      assert.equal(o.ws.protocol, 'binary');
      assert.equal(client.name, 'QEMU (instance-0000000e)');
      assert.deepEqual(client.info.securityTypes, [1]);
      client.requestUpdate(false);
      await client.waitFor(() => client.updates >= 1);
      const desktop = vnc.desktops.get(UBUNTU)!;
      const view = desktop.attach(1024, 768);
      const expected = expectedPicture(view.fb.data, 1024, 768);
      desktop.detach(view);
      let differing = 0;
      for (let i = 0; i < expected.length; i++) if (client.picture[i] !== expected[i]) differing++;
      assert.ok(differing < 2000, `${differing} pixels differ (the clock may tick)`);
      client.typeKeysyms('via proxy');
      client.cutText('pasted via proxy');
      for (let i = 0; i < 200 && desktop.pasted !== 'pasted via proxy'; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(desktop.typed.endsWith('via proxy'), true, desktop.typed);
      assert.equal(desktop.pasted, 'pasted via proxy');
    } finally {
      client.close();
    }
  });

  it('takes the token from a cookie on any path when the query has none; no subprotocol when none is offered', async () => {
    const token = tokenOf(await consoleUrl(UBUNTU));
    const o = openSocket(`ws://127.0.0.1:${proxy.port}/websockify`, { headers: { Cookie: `other=1; token=${token}` } });
    const client = await vncThrough(o);
    assert.equal(o.ws.protocol, '');
    assert.equal(client.name, 'QEMU (instance-0000000e)');
    client.close();
    // The query wins over the cookie, and an empty query token falls back to the cookie.
    const both = await vncThrough(openSocket(`ws://127.0.0.1:${proxy.port}/?token=${token}`, { headers: { Cookie: 'token=nonsense' } }));
    both.close();
    const empty = await vncThrough(openSocket(`ws://127.0.0.1:${proxy.port}/?token=`, { headers: { Cookie: `token="${token}"` } }));
    empty.close();
  });

  it('lets a token be used again until it expires', async () => {
    const url = await consoleUrl(UBUNTU);
    for (let i = 0; i < 2; i++) (await vncThrough(openSocket(webSocketAddress(url)))).close();
  });

  it('refuses offered subprotocols without binary before the upgrade (HTTP 400)', async () => {
    const o = openSocket(webSocketAddress(await consoleUrl(UBUNTU)), { protocols: ['base64'] });
    assert.equal(await o.opened, false);
  });
});

describe('noVNC proxy: refusals after the 101', () => {
  /** The socket opens, then ends without a close frame: ws reports 1006. No RFB byte arrives. */
  async function refusedAfterOpen(o: Opened, what: string): Promise<void> {
    assert.equal(await o.opened, true, `${what}: the upgrade succeeds`);
    const { code } = await o.closed;
    assert.equal(code, 1006, `${what}: abnormal close`);
    assert.equal(o.received.length, 0, `${what}: nothing relayed`);
  }

  it('drops unknown, malformed and RDP tokens, and no token at all', async () => {
    const rdp = await consoleUrl(WEB01, 'rdp', 'rdp-html5');
    const rdpToken = new URL(rdp).searchParams.get('token')!;
    for (const [what, path] of [
      ['unknown token', '/?token=6a1e2f9c-3b4d-4e5f-8a9b-0c1d2e3f4a5b'],
      ['malformed token', '/?token=garbage'],
      ['an RDP token', `/?token=${rdpToken}`],
      ['no token', '/'],
    ]) {
      await refusedAfterOpen(openSocket(`ws://127.0.0.1:${proxy.port}${path}`), what);
    }
  });

  it('drops an expired token', async () => {
    const url = await consoleUrl(UBUNTU);
    clock += 600_000;
    try {
      await refusedAfterOpen(openSocket(webSocketAddress(url)), 'expired token');
    } finally {
      clock -= 600_000;
    }
  });

  it("checks Origin as Nova does: absent or this host over http passes; another host or scheme is dropped", async () => {
    const url = await consoleUrl(UBUNTU);
    const ok = await vncThrough(openSocket(webSocketAddress(url), { headers: { Origin: `http://127.0.0.1:${proxy.port}` } }));
    ok.close();
    // Nova compares host names only; the port may differ.
    (await vncThrough(openSocket(webSocketAddress(url), { headers: { Origin: 'http://127.0.0.1:1' } }))).close();
    for (const [what, headers] of [
      ['another host', { Origin: `http://localhost:${proxy.port}` }],
      ['an https page for an http console URL', { Origin: `https://127.0.0.1:${proxy.port}` }],
      ['an opaque origin', { Origin: 'null' }],
      ['an Electron file page', { Origin: 'file://' }],
      ['X-Forwarded-Proto over the Origin scheme', { Origin: `http://127.0.0.1:${proxy.port}`, 'X-Forwarded-Proto': 'https' }],
    ] as Array<[string, Record<string, string>]>) {
      await refusedAfterOpen(openSocket(webSocketAddress(url), { headers }), what);
    }
    assert.ok(logs.some((l) => l.includes('Origin header does not match this host.')), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes('Origin header protocol does not match this host.')), logs.join('\n'));
  });

  it('drops the connection when the VM cannot be reached', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    extraTokens.set('unreachable', { instanceUuid: 'x', consoleType: 'novnc', host: '127.0.0.1', port: closed, accessUrlBase: proxy.baseUrl });
    await refusedAfterOpen(openSocket(`ws://127.0.0.1:${proxy.port}/?token=unreachable`), 'unreachable VM');
  });

  it('closes with 1003 on a text frame', async () => {
    const o = openSocket(webSocketAddress(await consoleUrl(UBUNTU)));
    assert.equal(await o.opened, true);
    o.ws.send('RFB 003.008\n');
    const { code, reason } = await o.closed;
    assert.equal(code, 1003);
    assert.equal(reason, 'Unsupported: Text frames are not supported');
  });
});

describe('noVNC proxy: the RFB security proxy', () => {
  /** A raw RFB conversation over the proxy's WebSocket. */
  async function rawRfb(address: string) {
    const o = openSocket(address);
    assert.equal(await o.opened, true);
    const stream = createWebSocketStream(o.ws);
    stream.on('error', () => {});
    return { o, stream, reader: new Reader(stream) };
  }

  it('offers the client exactly security type None, then relays the server\'s SecurityResult', async () => {
    const { stream, reader } = await rawRfb(webSocketAddress(await consoleUrl(UBUNTU)));
    assert.equal((await reader.read(12)).toString(), 'RFB 003.008\n');
    stream.write('RFB 003.008\n');
    assert.deepEqual([...(await reader.read(2))], [1, 1]);
    stream.write(Buffer.from([1]));
    assert.equal((await reader.read(4)).readUInt32BE(), 0);
    stream.destroy();
  });

  it('tells a client that picks another type why, and closes', async () => {
    const { o, stream, reader } = await rawRfb(webSocketAddress(await consoleUrl(UBUNTU)));
    await reader.read(12);
    stream.write('RFB 003.008\n');
    await reader.read(2);
    stream.write(Buffer.from([2]));
    assert.equal((await reader.read(4)).readUInt32BE(), 1, 'SecurityResult failed');
    assert.equal((await reader.read((await reader.read(4)).readUInt32BE())).toString(), 'Only the security type 1 (NONE) is supported');
    assert.equal((await o.closed).code, 1000);
  });

  it('refuses clients older than RFB 3.8 (the security proxy requires it)', async () => {
    const { o, stream, reader } = await rawRfb(webSocketAddress(await consoleUrl(UBUNTU)));
    await reader.read(12);
    stream.write('RFB 003.003\n');
    assert.equal((await o.closed).code, 1000);
    assert.ok(logs.some((l) => l.includes('but tenant asked for RFB 003.003')), logs.join('\n'));
  });

  describe('against VNC servers that are not the demo\'s', () => {
    const fakes: Server[] = [];
    const received: Buffer[] = [];
    after(() => Promise.all(fakes.map((s) => new Promise((r) => s.close(r)))));

    async function fakeServer(name: string, greeting: Buffer): Promise<void> {
      const server = createServer((socket) => {
        socket.on('data', (d: Buffer) => received.push(d));
        socket.on('error', () => {});
        socket.write(greeting);
      });
      fakes.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      extraTokens.set(name, { instanceUuid: name, consoleType: 'novnc', host: '127.0.0.1', port, accessUrlBase: proxy.baseUrl });
    }

    it('a server offering VNC authentication only: the client is offered None, then told the server cannot be negotiated', async () => {
      await fakeServer('vnc-auth-only', Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 2])]));
      const { o, stream, reader } = await rawRfb(`ws://127.0.0.1:${proxy.port}/?token=vnc-auth-only`);
      await reader.read(12);
      stream.write('RFB 003.008\n');
      assert.deepEqual([...(await reader.read(2))], [1, 1]);
      stream.write(Buffer.from([1]));
      assert.equal((await reader.read(4)).readUInt32BE(), 1);
      assert.equal((await reader.read((await reader.read(4)).readUInt32BE())).toString(), 'Unable to negotiate security with server');
      assert.equal((await o.closed).code, 1000);
      // The server got the version echoed back, then the "invalid" security type 0.
      assert.deepEqual(Buffer.concat(received), Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([0])]));
    });

    it('a server speaking RFB 3.3: nothing reaches the client', async () => {
      await fakeServer('rfb-3.3', Buffer.from('RFB 003.003\n'));
      const { o } = await rawRfb(`ws://127.0.0.1:${proxy.port}/?token=rfb-3.3`);
      assert.equal((await o.closed).code, 1000);
      assert.equal(o.received.length, 0);
      assert.ok(logs.some((l) => l.includes('requires RFB protocol version 3.8, but server sent RFB 003.003')), logs.join('\n'));
    });
  });
});

describe('noVNC proxy: plain HTTP', () => {
  function get(path: string, method = 'GET'): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path, method }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers the console URL with a page that says whether its token is valid; other methods 405, other files 404', async () => {
    const url = new URL(await consoleUrl(UBUNTU));
    const page = await get(`${url.pathname}${url.search}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Demo cloud VNC console/);
    assert.match(page.text, /The token is valid/);
    assert.match((await get('/vnc_lite.html?path=%3Ftoken%3Dnope')).text, /unknown or has expired/);
    assert.equal((await get('/vnc_auto.html', 'POST')).status, 405);
    assert.equal((await get('/core/rfb.js')).status, 404);
  });
});
