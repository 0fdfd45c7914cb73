import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { IDS, UUID4, login, raw } from './support.ts';

let cloud: DemoCloud;
let compute: string;
let base: string;
let admin: string;
let member: string;
let clock = 1_700_000_000_000;

before(async () => {
  cloud = await startDemoCloud({ now: () => clock, tokenTtlSeconds: 600, consoleHost: { host: '10.20.30.40', port: 2179 } });
  base = cloud.authUrl.replace(/\/identity\/v3$/, '');
  compute = `${base}/compute/v2.1`;
  const a = cloud.info.users.find((u) => u.username === 'admin')!;
  const d = cloud.info.users.find((u) => u.username === 'demo')!;
  admin = await login(cloud.authUrl, a.username, a.password, a.project_name);
  member = await login(cloud.authUrl, d.username, d.password, d.project_name);
});
after(() => cloud.close());

function post(path: string, token: string, body: unknown, version?: string, contentType = 'application/json') {
  return raw(`${compute}${path}`, {
    method: 'POST',
    headers: {
      'X-Auth-Token': token,
      'Content-Type': contentType,
      ...(version ? { 'OpenStack-API-Version': `compute ${version}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const rdpAction = (id: string, token = member, version?: string) =>
  post(`/servers/${id}/action`, token, { 'os-getRDPConsole': { type: 'rdp-html5' } }, version);
const remote = (id: string, token = member, body: unknown = { remote_console: { protocol: 'rdp', type: 'rdp-html5' } }, version = '2.6') =>
  post(`/servers/${id}/remote-consoles`, token, body, version);
const lookup = (token: string, as = admin, version = '2.31') =>
  raw(`${compute}/os-console-auth-tokens/${encodeURIComponent(token)}`, {
    headers: { 'X-Auth-Token': as, 'OpenStack-API-Version': `compute ${version}` },
  });

function tokenOf(url: string): string {
  const u = new URL(url);
  assert.equal(`${u.origin}${u.pathname}`, `${base}/rdp/`);
  const t = u.searchParams.get('token')!;
  assert.match(t, UUID4);
  return t;
}

test('os-getRDPConsole (2.1) answers {console:{type,url}} with a fresh UUID4 token each time', async () => {
  const res = await rdpAction(IDS.web01);
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.json.console), ['type', 'url']);
  assert.equal(res.json.console.type, 'rdp-html5');
  const first = tokenOf(res.json.console.url);
  const again = tokenOf((await rdpAction(IDS.web01)).json.console.url);
  assert.notEqual(first, again);
});

test('remote-consoles (2.6+) answers {remote_console:{protocol,type,url}}', async () => {
  const res = await remote(IDS.web01);
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.remote_console.protocol, 'rdp');
  assert.deepEqual(res.json.remote_console.type, 'rdp-html5');
  tokenOf(res.json.remote_console.url);
  assert.equal(res.headers['openstack-api-version'], 'compute 2.6');
});

test('token lookup as admin returns the console host and the Hyper-V VM id; reusable until expiry', async () => {
  const t = tokenOf((await remote(IDS.web01)).json.remote_console.url);
  const vmId = cloud.info.servers.find((s) => s.id === IDS.web01)!.vm_id;
  for (const version of ['2.1', '2.31', 'latest', '2.31']) {
    const res = await lookup(t, admin, version);
    assert.equal(res.status, 200, version);
    assert.deepEqual(res.json, { console: { instance_uuid: IDS.web01, host: '10.20.30.40', port: 2179, internal_access_path: vmId } });
  }
  clock += 599_000;
  assert.equal((await lookup(t)).status, 200);
  clock += 1_000; // 600 s after issue: expired
  const expired = await lookup(t);
  assert.equal(expired.status, 404);
  assert.deepEqual(expired.json, { itemNotFound: { code: 404, message: 'Token not found' } });
  const page = await raw(`${base}/rdp/?token=${t}`);
  assert.equal(page.status, 404);
  assert.match(page.text, /expired/);
});

test('token lookup: 403 for a member, 404 for unknown, non-UUID and re-cased tokens', async () => {
  const t = tokenOf((await rdpAction(IDS.unicode)).json.console.url);
  const asMember = await lookup(t, member);
  assert.equal(asMember.status, 403);
  assert.deepEqual(asMember.json, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed." } });
  for (const bad of ['6a1e2f9c-3b4d-4e5f-8a9b-0c1d2e3f4a5b', 'not-a-token', t.toUpperCase(), "'; drop table"]) {
    const res = await lookup(bad);
    assert.equal(res.status, 404, bad);
    assert.equal(res.json.itemNotFound.message, 'Token not found');
  }
  const noAuth = await raw(`${compute}/os-console-auth-tokens/${t}`);
  assert.equal(noAuth.status, 401);
});

test('a server still building, or that never got a host, is 409 not ready', async () => {
  for (const [id, token] of [[IDS.build, member], [IDS.legacyError, member], [IDS.scheduling, admin]] as const) {
    const a = await rdpAction(id, token);
    assert.equal(a.status, 409, id);
    assert.deepEqual(a.json, { conflictingRequest: { code: 409, message: `Instance ${id} is not ready` } });
    const r = await remote(id, token);
    assert.equal(r.status, 409);
    // A not-ready server is refused before the console type is looked at, as in Nova's compute API.
    const vnc = await remote(id, token, { remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.equal(vnc.status, 409);
  }
});

test('stopped, paused and errored-with-host servers still get an RDP console (Hyper-V answers for any power state)', async () => {
  for (const [id, token] of [[IDS.kiosk, member], [IDS.paused, member], [IDS.adminError, admin]] as const) {
    const res = await remote(id, token);
    assert.equal(res.status, 200, id);
    const t = tokenOf(res.json.remote_console.url);
    assert.equal((await lookup(t)).json.console.instance_uuid, id);
  }
});

test('404 for unknown servers and for another project\'s server; admins reach every project', async () => {
  for (const id of ['00000000-0000-4000-8000-000000000000', IDS.adDc]) {
    const res = await remote(id, member);
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    assert.equal((await rdpAction(id, member)).status, 404);
  }
  assert.equal((await remote(IDS.web01, admin)).status, 200);
});

test('other protocols and types are 400 with Nova\'s messages', async () => {
  const cases: Array<[unknown, string, string?]> = [
    [{ remote_console: { protocol: 'vnc', type: 'novnc' } }, 'Unavailable console type novnc.'],
    [{ remote_console: { protocol: 'spice', type: 'spice-html5' } }, 'Unavailable console type spice-html5.'],
    [{ remote_console: { protocol: 'serial', type: 'serial' } }, 'Unavailable console type serial.'],
    [{ remote_console: { protocol: 'rdp', type: 'novnc' } }, 'Invalid console type novnc'],
    [{ remote_console: { protocol: 'mks', type: 'webmks' } }, 'Unavailable console type webmks.', '2.8'],
    [
      { remote_console: { protocol: 'mks', type: 'webmks' } },
      "Invalid input for field/attribute protocol. Value: mks. 'mks' is not one of ['vnc', 'spice', 'rdp', 'serial']",
    ],
    [
      { remote_console: { protocol: 'rdp', type: 'rdp' } },
      "Invalid input for field/attribute type. Value: rdp. 'rdp' is not one of ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial']",
    ],
    [
      { remote_console: { protocol: 'rdp' } },
      "Invalid input for field/attribute remote_console. Value: {'protocol': 'rdp'}. 'type' is a required property",
    ],
    [
      { remote_console: { protocol: 'rdp', type: 'rdp-html5', extra: 1 } },
      "Invalid input for field/attribute remote_console. Value: {'protocol': 'rdp', 'type': 'rdp-html5', 'extra': 1}. Additional properties are not allowed ('extra' was unexpected)",
    ],
    [{}, "'remote_console' is a required property"],
    [{ remote_console: 'rdp' }, "Invalid input for field/attribute remote_console. Value: rdp. 'rdp' is not of type 'object'"],
  ];
  for (const [body, message, version] of cases) {
    const res = await remote(IDS.web01, member, body, version);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.deepEqual(res.json, { badRequest: { code: 400, message } });
  }
  const legacy = await post(`/servers/${IDS.web01}/action`, member, { 'os-getRDPConsole': { type: 'novnc' } });
  assert.equal(legacy.json.badRequest.message, "Invalid input for field/attribute type. Value: novnc. 'novnc' is not one of ['rdp-html5']");
  const vnc = await post(`/servers/${IDS.web01}/action`, member, { 'os-getVNCConsole': { type: 'novnc' } });
  assert.equal(vnc.json.badRequest.message, 'Unavailable console type novnc.');
  const noType = await post(`/servers/${IDS.web01}/action`, member, { 'os-getRDPConsole': {} });
  assert.equal(noType.json.badRequest.message, "Invalid input for field/attribute os-getRDPConsole. Value: {}. 'type' is a required property");
});

test('bad bodies: malformed JSON, unknown action, wrong content type', async () => {
  const broken = await post(`/servers/${IDS.web01}/action`, member, '{"os-getRDPConsole": {');
  assert.equal(broken.status, 400);
  assert.deepEqual(broken.json, { badRequest: { code: 400, message: 'Malformed request body' } });
  const brokenRemote = await post(`/servers/${IDS.web01}/remote-consoles`, member, 'nope', '2.6');
  assert.deepEqual(brokenRemote.json, { badRequest: { code: 400, message: 'Malformed request body' } });
  const two = await post(`/servers/${IDS.web01}/action`, member, { 'os-getRDPConsole': { type: 'rdp-html5' }, reboot: {} });
  assert.equal(two.json.badRequest.message, 'Malformed request body');
  const unknown = await post(`/servers/${IDS.web01}/action`, member, { 'os-getMagicConsole': {} });
  assert.deepEqual(unknown.json, { badRequest: { code: 400, message: 'There is no such action: os-getMagicConsole' } });
  const xml = await post(`/servers/${IDS.web01}/action`, member, '<os-getRDPConsole type="rdp-html5"/>', undefined, 'application/xml');
  assert.equal(xml.status, 415);
  assert.deepEqual(xml.json, { badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
});

test('the console URL opens a page that says what it is', async () => {
  const url = (await remote(IDS.web01)).json.remote_console.url as string;
  const page = await raw(url);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.text, /Demo cloud RDP console/);
  assert.match(page.text, new RegExp(`valid for instance ${IDS.web01}`));
  const bare = await raw(`${base}/rdp/`);
  assert.equal(bare.status, 200);
  assert.match(bare.text, /needs a console token/);
});

test('the token TTL and console host are configurable; default console host is 127.0.0.1:2179', async () => {
  let t0 = 0;
  const other = await startDemoCloud({ now: () => t0, tokenTtlSeconds: 5 });
  try {
    assert.deepEqual(other.info.console_host, { host: '127.0.0.1', port: 2179 });
    const a = other.info.users.find((u) => u.username === 'admin')!;
    const tok = await login(other.authUrl, a.username, a.password);
    const c = `${other.authUrl.replace(/\/identity\/v3$/, '')}/compute/v2.1`;
    const res = await raw(`${c}/servers/${IDS.adDc}/action`, {
      method: 'POST',
      headers: { 'X-Auth-Token': tok, 'Content-Type': 'application/json' },
      body: JSON.stringify({ 'os-getRDPConsole': { type: 'rdp-html5' } }),
    });
    const token = new URL(res.json.console.url).searchParams.get('token')!;
    const look = () => raw(`${c}/os-console-auth-tokens/${token}`, { headers: { 'X-Auth-Token': tok } });
    assert.deepEqual((await look()).json.console.host, '127.0.0.1');
    t0 += 5_000;
    assert.equal((await look()).status, 404);
  } finally {
    await other.close();
  }
});
