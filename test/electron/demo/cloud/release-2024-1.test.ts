// The demo cloud as a 2024.1 (Nova 29) cloud: the Hyper-V driver is gone, so only the libvirt servers exist, and
// RDP is refused the way Nova 29 refuses it (os-getRDPConsole: a bare 400; remote-consoles: rdp is no longer in
// the schema; token lookups below 2.31: a bare 400). VNC works as in the mixed cloud; the maximum microversion is
// 2.96.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { IDS, login, raw } from './support.ts';

const UBUNTU = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01';
// webob's default explanation: Nova 29 raises HTTPBadRequest() without one.
const BARE_400 = { badRequest: { code: 400, message: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' } };

let cloud: DemoCloud;
let compute: string;
let admin: string;
let member: string;

before(async () => {
  cloud = await startDemoCloud({ release: '2024.1', extraServers: 5 });
  compute = cloud.authUrl.replace(/\/identity\/v3$/, '/compute/v2.1');
  const a = cloud.info.users.find((u) => u.username === 'admin')!;
  const d = cloud.info.users.find((u) => u.username === 'demo')!;
  admin = await login(cloud.authUrl, a.username, a.password, a.project_name);
  member = await login(cloud.authUrl, d.username, d.password, d.project_name);
});
after(() => cloud.close());

function post(path: string, body: unknown, version?: string) {
  return raw(`${compute}${path}`, {
    method: 'POST',
    headers: { 'X-Auth-Token': member, 'Content-Type': 'application/json', ...(version ? { 'OpenStack-API-Version': `compute ${version}` } : {}) },
    body: JSON.stringify(body),
  });
}

test('no Hyper-V server is listed or found; generated servers run on the libvirt hosts', async () => {
  assert.equal(cloud.info.release, '2024.1');
  assert.equal(cloud.info.console_host, undefined);
  assert.ok(cloud.info.servers.every((s) => s.hypervisor_type === 'QEMU'));
  assert.deepEqual(
    cloud.info.servers.filter((s) => !s.name.startsWith('scale-')).map((s) => s.name).sort(),
    ['debian-12-db', 'fedora-40-dev', 'rocky-9-monitor', 'ubuntu-24-04-web'],
  );
  const all = await raw(`${compute}/servers/detail?all_tenants=1`, { headers: { 'X-Auth-Token': admin } });
  assert.equal(all.json.servers.length, cloud.info.servers.length);
  assert.ok(all.json.servers.every((s: Record<string, string>) => s['OS-EXT-SRV-ATTR:host'] === null || s['OS-EXT-SRV-ATTR:host'].startsWith('compute-kvm-')));
  const gone = await raw(`${compute}/servers/${IDS.web01}`, { headers: { 'X-Auth-Token': member } });
  assert.equal(gone.status, 404);
});

test('os-getRDPConsole is a bare 400 (wsgi.removed), whatever the server or body', async () => {
  for (const [id, body] of [[UBUNTU, { 'os-getRDPConsole': { type: 'rdp-html5' } }], ['00000000-0000-4000-8000-000000000000', { 'os-getRDPConsole': { type: 'novnc' } }]] as const) {
    const res = await post(`/servers/${id}/action`, body);
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, BARE_400);
  }
  // From 2.6 the action does not exist at all.
  assert.equal((await post(`/servers/${UBUNTU}/action`, { 'os-getRDPConsole': { type: 'rdp-html5' } }, '2.6')).status, 404);
});

test('remote-consoles with rdp fails schema validation (rdp left the enum in Nova 29)', async () => {
  const at26 = await post(`/servers/${UBUNTU}/remote-consoles`, { remote_console: { protocol: 'rdp', type: 'rdp-html5' } }, '2.6');
  assert.equal(at26.status, 400);
  assert.deepEqual(at26.json, { badRequest: { code: 400, message: "Invalid input for field/attribute protocol. Value: rdp. 'rdp' is not one of ['vnc', 'spice', 'serial']" } });
  const at28 = await post(`/servers/${UBUNTU}/remote-consoles`, { remote_console: { protocol: 'rdp', type: 'rdp-html5' } }, '2.8');
  assert.equal(at28.json.badRequest.message, "Invalid input for field/attribute protocol. Value: rdp. 'rdp' is not one of ['vnc', 'spice', 'serial', 'mks']");
  const type = await post(`/servers/${UBUNTU}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'rdp-html5' } }, '2.6');
  assert.equal(type.json.badRequest.message, "Invalid input for field/attribute type. Value: rdp-html5. 'rdp-html5' is not one of ['novnc', 'xvpvnc', 'spice-html5', 'serial']");
});

test('VNC consoles work as before; token lookups need 2.31 (a bare 400 below)', async () => {
  const res = await post(`/servers/${UBUNTU}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.96');
  assert.equal(res.status, 200, res.text);
  const token = decodeURIComponent(new URL(res.json.remote_console.url).searchParams.get('path')!).replace('?token=', '');
  const headers = (v: string) => ({ 'X-Auth-Token': admin, 'OpenStack-API-Version': `compute ${v}` });
  const found = await raw(`${compute}/os-console-auth-tokens/${token}`, { headers: headers('2.31') });
  assert.equal(found.json.console.instance_uuid, UBUNTU);
  assert.equal(found.json.console.internal_access_path, null);
  for (const v of ['2.1', '2.30']) {
    const old = await raw(`${compute}/os-console-auth-tokens/${token}`, { headers: headers(v) });
    assert.equal(old.status, 400, v);
    assert.deepEqual(old.json, BARE_400);
  }
});

test('the maximum microversion is 2.96, which adds pinned_availability_zone', async () => {
  const versions = await raw(cloud.authUrl.replace(/\/identity\/v3$/, '/compute/'));
  assert.equal(versions.json.versions.find((v: { id: string }) => v.id === 'v2.1').version, '2.96');
  const show = await raw(`${compute}/servers/${UBUNTU}`, { headers: { 'X-Auth-Token': member, 'OpenStack-API-Version': 'compute latest' } });
  assert.equal(show.headers['openstack-api-version'], 'compute 2.96');
  assert.equal(show.json.server.pinned_availability_zone, null);
  const beyond = await raw(`${compute}/servers`, { headers: { 'X-Auth-Token': member, 'OpenStack-API-Version': 'compute 2.97' } });
  assert.equal(beyond.status, 406);
});
