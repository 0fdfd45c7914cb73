import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { createOpenStackConsoles } from '../../../electron/openstack/console-service.ts';
import type { CloudConfig } from '../../../electron/openstack/clouds-config.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import { startFakeCloud, type FakeCloud, type FakeOptions } from './fake-openstack.ts';

const started: FakeCloud[] = [];
const services: Array<{ close(): void }> = [];
after(async () => {
  for (const s of services) s.close();
  await Promise.all(started.map((f) => f.close()));
});

async function fake(opts: FakeOptions = {}): Promise<FakeCloud> {
  const f = await startFakeCloud(opts);
  started.push(f);
  return f;
}

function cloud(name: string, authUrl: string, user = 'admin', password = user + '-pw', project = user === 'admin' ? 'admin' : 'demo'): CloudConfig {
  return { name, authType: 'password', auth: { auth_url: authUrl, username: user, password, project_name: project } };
}

function service(clouds: CloudConfig[], now?: () => number) {
  const s = createOpenStackConsoles({ clouds, now, timeoutMs: 3000 });
  services.push(s);
  return s;
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp, forbidden: string[] = []): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, `an AppError, got ${inspect(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    for (const s of forbidden) assert.ok(!err.message.includes(s), `message must not contain ${s}: ${err.message}`);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

test('console URL by name and by id, with remote-consoles at the newest microversion', async () => {
  const f = await fake();
  const s = service([cloud('c', f.authUrl, 'alice')]);
  const byName = await s.consoleUrl('c', 'web-1', 'rdp');
  assert.equal(byName.serverId, '11111111-1111-4111-8111-111111111111');
  assert.equal(byName.protocol, 'rdp');
  assert.match(byName.url, /^http:\/\/127\.0\.0\.1:6083\/\?token=[0-9a-f-]{36}$/);
  const byId = await s.consoleUrl('c', '22222222-2222-4222-8222-222222222222', 'rdp');
  assert.equal(byId.serverId, '22222222-2222-4222-8222-222222222222');
  const consoleReq = f.requests.find((r) => r.path.endsWith('/remote-consoles'))!;
  assert.equal(consoleReq.headers['openstack-api-version'], 'compute 2.95');
  assert.deepEqual(JSON.parse(consoleReq.body), { remote_console: { protocol: 'rdp', type: 'rdp-html5' } });
  // One Keystone authentication served all of it (the token is cached).
  assert.equal(f.issued.length, 1);
  // A name that is a regular expression to Nova still matches only itself.
  assert.equal((await s.consoleUrl('c', 'db (primary)', 'rdp')).serverId, '66666666-6666-4666-8666-666666666666');
});

test('given an id, the console request goes out while the server is looked up; refusals still name the server', async () => {
  const lookup = '/servers/22222222-2222-4222-8222-222222222222';
  let consoleAsked!: () => void;
  const asked = new Promise<void>((resolve) => (consoleAsked = resolve));
  let lookupHeld = false;
  let askedDuringLookup = false;
  const f = await fake({
    // The server's lookup is held until its console request arrives (or, were the two sent one after the other,
    // for a second, so the test ends rather than hangs).
    hold: (method, path) => {
      if (method === 'POST' && path.endsWith(`${lookup}/remote-consoles`)) {
        askedDuringLookup ||= lookupHeld;
        consoleAsked();
      }
      if (method !== 'GET' || !path.endsWith(lookup)) return undefined;
      lookupHeld = true;
      return Promise.race([asked, new Promise<void>((r) => setTimeout(r, 1000))]).then(() => void (lookupHeld = false));
    },
  });
  const s = service([cloud('c', f.authUrl, 'alice')]);
  const got = await s.consoleUrl('c', '22222222-2222-4222-8222-222222222222', 'rdp');
  assert.equal(got.name, 'web-2');
  assert.match(got.url, /token=/);
  assert.ok(askedDuringLookup, 'the console request arrived while the lookup was still unanswered');
  assert.equal(f.requests.filter((r) => r.path.endsWith('/remote-consoles')).length, 1, 'one console request, not two');

  // Refusals read with the server's name and status, as when the lookup went first.
  await rejectsWith(s.consoleUrl('c', '33333333-3333-4333-8333-333333333333'), 'not-ready', /^Server builder is still building \(Nova: /);
  // No server with that id: that is the error, whatever the console request answered.
  await rejectsWith(s.consoleUrl('c', '99999999-9999-4999-8999-999999999999', 'rdp'), 'not-found', /^Cloud 'c' has no server with the id or name '9999/);
  // An automatic pick whose first type (VNC, sent early) is refused goes on to the next: this cloud offers RDP only.
  const before = f.requests.length;
  const picked = await service([cloud('c', f.authUrl, 'alice')]).consoleUrl('c', '11111111-1111-4111-8111-111111111111');
  assert.equal(picked.protocol, 'rdp');
  const types = f.requests.slice(before).filter((r) => r.path.endsWith('/remote-consoles')).map((r) => JSON.parse(r.body).remote_console.protocol);
  assert.deepEqual(types, ['vnc', 'rdp']);
});

test('old clouds: microversion capped by the server, os-getRDPConsole below 2.6, no header without microversions', async () => {
  const old = await fake({ maxVersion: '2.5' });
  const s1 = service([cloud('old', old.authUrl, 'alice')]);
  assert.match((await s1.consoleUrl('old', 'web-1', 'rdp')).url, /token=/);
  const action = old.requests.find((r) => r.path.endsWith('/action'))!;
  assert.equal(action.headers['openstack-api-version'], 'compute 2.5');
  assert.deepEqual(JSON.parse(action.body), { 'os-getRDPConsole': { type: 'rdp-html5' } });

  const v2 = await fake({ maxVersion: null });
  const s2 = service([cloud('v2', v2.authUrl, 'alice')]);
  assert.match((await s2.consoleUrl('v2', 'web-2', 'rdp')).url, /token=/);
  const v2action = v2.requests.find((r) => r.path.endsWith('/action'))!;
  assert.equal(v2action.headers['openstack-api-version'], undefined);
});

test('ambiguous and unknown names, a building server, a member looking up tokens', async () => {
  const f = await fake();
  const s = service([cloud('c', f.authUrl, 'alice')]);
  const amb = await rejectsWith(s.consoleUrl('c', 'twin'), 'ambiguous', /2 servers in cloud 'c' are named 'twin'/);
  assert.match(amb.message, /44444444-4444-4444-8444-444444444444/);
  await rejectsWith(s.consoleUrl('c', 'nope'), 'not-found', /no server with the id or name 'nope'/);
  await rejectsWith(s.consoleUrl('c', '99999999-9999-4999-8999-999999999999'), 'not-found', /no server/);
  await rejectsWith(s.consoleUrl('c', 'builder'), 'not-ready', /^Server builder is still building \(Nova: Instance 3333.* is not ready\)$/);
  const { url } = await s.consoleUrl('c', 'web-1');
  await rejectsWith(s.resolve(url), 'forbidden', /needs an admin/, [url.split('token=')[1]]);
  await rejectsWith(s.consoleUrl('nowhere', 'web-1'), 'not-found', /No cloud named 'nowhere' \(configured: c\)/);
});

test('admin resolves a token; an expired one is reported as such (clock injected)', async () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => clock;
  const f = await fake({ now, tokenTtlSeconds: 3600 });
  const s = service([cloud('c', f.authUrl, 'alice'), cloud('adm', f.authUrl, 'admin')], now);
  const { url } = await s.consoleUrl('c', 'web-1');
  const info = await s.resolve(`  ${url}&title=web-1(11111111-1111-4111-8111-111111111111) `, 'adm');
  assert.deepEqual(info, {
    cloud: 'adm',
    instanceUuid: '11111111-1111-4111-8111-111111111111',
    host: '10.0.0.5',
    port: 2179,
    internalAccessPath: '11111111-1111-4111-8111-111111111111'.toUpperCase(),
  });
  const lookup = f.requests.find((r) => r.path.includes('/os-console-auth-tokens/'))!;
  assert.equal(lookup.method, 'GET');
  assert.equal(lookup.headers['openstack-api-version'], 'compute 2.31');
  // Without --cloud every cloud is asked: the member's 403 does not hide the admin's answer.
  assert.equal((await s.resolve(url)).cloud, 'adm');

  clock += 601_000; // console tokens live 600 s
  const token = url.split('token=')[1];
  await rejectsWith(s.resolve(url), 'token-expired', /expired or unknown.*'adm'/, [token]);
  await rejectsWith(s.resolve(url, 'adm'), 'token-expired', /expired or unknown to cloud 'adm' \(Nova: Token not found\)/, [token]);
});

test("falls back to the seed's draft action when the GET route is absent, in JSON and XML", async () => {
  for (const lookup of ['legacy-json', 'legacy-xml'] as const) {
    const f = await fake({ lookup });
    const s = service([cloud('adm', f.authUrl, 'admin')]);
    const token = 'b48316c5-71e8-45e4-9884-6c78055b9b13';
    f.addConsoleToken(token, { instance_uuid: 'b48316c5-71e8-45e4-9884-6c78055b9b13', host: 'localhost', port: 3389, internal_access_path: '51af38c3-555e-4884-a314-6c8cdde37444' });
    const info = await s.resolve(`http://127.0.0.1:6083/?token=${token}`);
    assert.equal(info.port, 3389, lookup);
    assert.equal(info.host, 'localhost');
    assert.equal(info.internalAccessPath, '51af38c3-555e-4884-a314-6c8cdde37444');
    const action = f.requests.find((r) => r.path.endsWith('/action'))!;
    assert.equal(action.method, 'POST');
    assert.deepEqual(JSON.parse(action.body), { 'os-getConsoleConnectInfo': null });
    // An unknown token through the fallback is still "expired or unknown", not "unsupported".
    await rejectsWith(s.resolve('http://127.0.0.1:6083/?token=00000000-0000-4000-8000-000000000000'), 'token-expired', /expired or unknown/);
  }
});

test('a revoked Keystone token is replaced once; wrong credentials are named without the password', async () => {
  const f = await fake();
  const s = service([cloud('c', f.authUrl, 'alice'), cloud('bad', f.authUrl, 'alice', 'wrong-secret-pw')]);
  await s.listServers({ cloud: 'c' });
  f.revokeAll();
  const page = await s.listServers({ cloud: 'c' });
  assert.ok(page.servers.length > 0);
  assert.equal(f.issued.length, 2);
  await rejectsWith(
    s.listServers({ cloud: 'bad' }),
    'auth-failed',
    new RegExp(`^Keystone at ${f.authUrl.replace(/[.]/g, '\\.')} rejected the password for user 'alice' \\(401\\)$`),
    ['wrong-secret-pw'],
  );
});

test('application credentials authenticate without a scope', async () => {
  const f = await fake({ appCreds: [{ id: 'ac-1', secret: 'ac-secret', project: 'demo', roles: ['member'] }] });
  const good: CloudConfig = { name: 'ac', authType: 'v3applicationcredential', auth: { auth_url: f.authUrl, application_credential_id: 'ac-1', application_credential_secret: 'ac-secret' } };
  const bad: CloudConfig = { ...good, name: 'ac-bad', auth: { ...good.auth, application_credential_secret: 'nope-secret' } };
  const s = service([good, bad]);
  assert.ok((await s.listServers({ cloud: 'ac' })).servers.length > 0);
  await rejectsWith(s.listServers({ cloud: 'ac-bad' }), 'auth-failed', /rejected application credential 'ac-1' \(401\)/, ['nope-secret']);
});

test('paging follows servers_links; filters and all projects reach Nova', async () => {
  const f = await fake();
  const s = service([cloud('adm', f.authUrl, 'admin'), cloud('c', f.authUrl, 'alice')]);
  const seen: string[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 10; i++) {
    const page = await s.listServers({ cloud: 'c', limit: 2, marker });
    assert.ok(page.servers.length <= 2);
    seen.push(...page.servers.map((x) => x.id));
    marker = page.nextMarker;
    if (!marker) break;
  }
  assert.equal(seen.length, 6);
  assert.equal(new Set(seen).size, 6);
  // The search text is literal: "(" is not a regular expression error, "b" matches as a substring.
  assert.deepEqual((await s.listServers({ cloud: 'c', name: 'db (' })).servers.map((x) => x.name), ['db (primary)']);
  assert.equal((await s.listServers({ cloud: 'c', name: 'web' })).servers.length, 2);
  const building = await s.listServers({ cloud: 'c', status: 'BUILD' });
  assert.deepEqual(building.servers.map((x) => x.name), ['builder']);
  assert.equal(building.servers[0].taskState, 'spawning');
  assert.match(building.servers[0].addresses[0], /^10\.1\.0\./);
  const all = await s.listServers({ cloud: 'adm', allProjects: true });
  assert.equal(all.servers.length, 7);
  assert.ok(f.requests.some((r) => r.path.includes('all_tenants=1')));
  await rejectsWith(s.listServers({ cloud: 'c', limit: 0 }), 'bad-request', /limit/);
});

test('a Nova answering 500 or garbage gives bad-response with an excerpt', async () => {
  let mode: 'fault' | 'garbage' | 'html' = 'fault';
  const f = await fake({
    override: (req, path) => {
      if (!path.endsWith('/servers/detail')) return undefined;
      if (mode === 'fault') return { status: 500, body: { computeFault: { code: 500, message: 'Unexpected API Error. Please report this.' } } };
      if (mode === 'garbage') return { status: 200, body: '\u0000\u0001garbage{{{', headers: { 'Content-Type': 'application/json' } };
      return { status: 502, body: '<html><body>Bad Gateway</body></html>', headers: { 'Content-Type': 'text/html' } };
    },
  });
  const s = service([cloud('c', f.authUrl, 'alice')]);
  await rejectsWith(s.listServers({ cloud: 'c' }), 'bad-response', /Nova of cloud 'c' failed to list servers \(500 at .*\): Unexpected API Error/);
  mode = 'garbage';
  await rejectsWith(s.listServers({ cloud: 'c' }), 'bad-response', /answered 200 with something that is not JSON: "garbage\{\{\{"/);
  mode = 'html';
  await rejectsWith(s.listServers({ cloud: 'c' }), 'bad-response', /\(502 at .*\): "<html><body>Bad Gateway/);
});

test('unreachable auth_url (a closed port) and a missing Keystone are named', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const f = await fake();
  const s = service([cloud('down', `http://127.0.0.1:${port}/identity/v3`), cloud('wrongpath', f.base + '/nothing-here')]);
  await rejectsWith(s.listServers({ cloud: 'down' }), 'unreachable', new RegExp(`^Cloud 'down' is unreachable: connection refused at http://127\\.0\\.0\\.1:${port}/identity/v3/auth/tokens$`));
  await rejectsWith(s.listServers({ cloud: 'wrongpath' }), 'config', /No Keystone v3 API at .*\/nothing-here\/v3 \(404\)/);
  // resolve across clouds reports each one's reason; the down cloud does not hide the token verdict.
  const s2 = service([cloud('down', `http://127.0.0.1:${port}/identity/v3`), cloud('adm', f.authUrl, 'admin')]);
  await rejectsWith(
    s2.resolve('http://127.0.0.1:6083/?token=00000000-0000-4000-8000-000000000000'),
    'token-expired',
    /expired or unknown \(asked 'adm'\); also Cloud 'down' is unreachable: connection refused/,
  );
});

test('the catalog endpoint is chosen by interface and region', async () => {
  const f = await fake({
    catalog: (base) => [
      { interface: 'internal', region: 'RegionOne', url: 'http://192.0.2.1:1/compute/v2.1' },
      { interface: 'public', region: 'RegionTwo', url: 'http://192.0.2.2:1/compute/v2.1' },
      { interface: 'public', region: 'RegionOne', url: base + '/compute/v2.1' },
    ],
  });
  const s = service([
    { ...cloud('r1', f.authUrl, 'alice'), regionName: 'RegionOne' },
    { ...cloud('r3', f.authUrl, 'alice'), regionName: 'RegionThree' },
  ]);
  assert.ok((await s.listServers({ cloud: 'r1' })).servers.length > 0);
  await rejectsWith(s.listServers({ cloud: 'r3' }), 'config', /no compute endpoint for interface public in region RegionThree \(offered: internal\/RegionOne, public\/RegionTwo, public\/RegionOne\)/);
});

test('the Keystone token is reused until shortly before it expires, then renewed without a 401', async () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => clock;
  const f = await fake({ now, tokenTtlSeconds: 100 });
  const s = service([cloud('c', f.authUrl, 'alice')], now);
  await s.listServers({ cloud: 'c' });
  clock += 50_000;
  await s.listServers({ cloud: 'c' });
  assert.equal(f.issued.length, 1, 'still within its lifetime');
  clock += 30_000; // 80 s of 100: inside the safety margin
  await s.listServers({ cloud: 'c' });
  assert.equal(f.issued.length, 2);
  const novaAnswers = f.requests.filter((r) => r.path.includes('/servers/detail')).length;
  assert.equal(novaAnswers, 3, 'no request was refused and retried');
});

test('an admin finds a server of another project by name', async () => {
  const f = await fake();
  const s = service([cloud('adm', f.authUrl, 'admin')]);
  assert.equal((await s.consoleUrl('adm', 'web-1')).serverId, '11111111-1111-4111-8111-111111111111');
  assert.ok(f.requests.some((r) => r.path.includes('all_tenants=1')));
});

test('a server that accepts but never answers times out with the URL named', async () => {
  const sockets: import('node:net').Socket[] = [];
  const silent = createServer((sock) => {
    sockets.push(sock); // accept and stay silent
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  const s = createOpenStackConsoles({ clouds: [cloud('mute', `http://127.0.0.1:${port}/identity/v3`)], timeoutMs: 300 });
  try {
    await rejectsWith(s.listServers({ cloud: 'mute' }), 'unreachable', new RegExp(`^Cloud 'mute' is unreachable: no answer within 300 ms from http://127\\.0\\.0\\.1:${port}/identity/v3/auth/tokens$`));
  } finally {
    s.close();
    await new Promise<void>((r) => {
      silent.close(() => r());
      for (const c of sockets) c.destroy();
    });
  }
});

test('RDP disabled or unsupported by the hypervisor, and a policy refusal, are named', async () => {
  let reply: { status: number; body: unknown } = { status: 400, body: { badRequest: { code: 400, message: 'Unavailable console type rdp-html5.' } } };
  const f = await fake({ override: (req, path) => (path.endsWith('/remote-consoles') ? reply : undefined) });
  const s = service([cloud('c', f.authUrl, 'alice')]);
  await rejectsWith(s.consoleUrl('c', 'web-1', 'rdp'), 'unavailable', /^Cloud 'c' offers no RDP console for server web-1 \(Nova: Unavailable console type rdp-html5\.\)$/);
  reply = { status: 501, body: { notImplemented: { code: 501, message: 'Unable to get rdp console, functionality not implemented' } } };
  await rejectsWith(s.consoleUrl('c', 'web-1', 'rdp'), 'unavailable', /^The hypervisor of server web-1 offers no RDP console \(Nova: Unable to get rdp console, functionality not implemented\)$/);
  reply = { status: 403, body: { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-remote-consoles to be performed." } } };
  await rejectsWith(s.consoleUrl('c', 'web-1', 'rdp'), 'forbidden', /^Cloud 'c' does not allow this user to get an RDP console for server web-1 \(403: Policy/);
  // A policy refusal is the answer for every type: the automatic pick stops at the first one.
  const before = f.requests.length;
  await rejectsWith(s.consoleUrl('c', 'web-1'), 'forbidden', /^Cloud 'c' does not allow this user to get a VNC console for server web-1 \(403: Policy/);
  assert.equal(f.requests.filter((r, i) => i >= before && r.path.endsWith('/remote-consoles')).length, 1);
});
