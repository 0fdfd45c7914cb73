// VNC consoles in the mixed (2023.1) demo cloud, with the status codes and bodies Nova answers: a libvirt server
// gets a noVNC URL (token inside its `path` parameter) from remote-consoles and from the pre-2.6 os-getVNCConsole
// action; its token lookup (2.31+) names the VM's VNC server and no path; RDP on a libvirt server and VNC on a
// Hyper-V server are "Unavailable console type" 400s; a wrong type is "Invalid console type".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { IDS, UUID4, login, raw } from './support.ts';

const LIBVIRT = {
  ubuntu: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01',
  debian: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e02',
  fedoraShutoff: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e03',
  rockyAdmin: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e11',
};
const PROXY = 'http://127.0.0.1:6080/vnc_auto.html';

let cloud: DemoCloud;
let compute: string;
let admin: string;
let member: string;

before(async () => {
  cloud = await startDemoCloud();
  compute = cloud.authUrl.replace(/\/identity\/v3$/, '/compute/v2.1');
  const a = cloud.info.users.find((u) => u.username === 'admin')!;
  const d = cloud.info.users.find((u) => u.username === 'demo')!;
  admin = await login(cloud.authUrl, a.username, a.password, a.project_name);
  member = await login(cloud.authUrl, d.username, d.password, d.project_name);
});
after(() => cloud.close());

function post(path: string, body: unknown, version?: string, token = member) {
  return raw(`${compute}${path}`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', ...(version ? { 'OpenStack-API-Version': `compute ${version}` } : {}) },
    body: JSON.stringify(body),
  });
}
const remote = (id: string, protocol: string, type: string, version = '2.6', token = member) => post(`/servers/${id}/remote-consoles`, { remote_console: { protocol, type } }, version, token);
const lookup = (token: string, version: string) =>
  raw(`${compute}/os-console-auth-tokens/${token}`, { headers: { 'X-Auth-Token': admin, 'OpenStack-API-Version': `compute ${version}` } });

/** The token inside a noVNC URL: http://proxy/vnc_auto.html?path=%3Ftoken%3D<uuid>. */
function novncToken(url: string): string {
  const m = new RegExp(`^${PROXY.replace(/\./g, '\\.')}\\?path=%3Ftoken%3D([0-9a-f-]+)$`).exec(url);
  assert.ok(m, `a noVNC URL with the token in its path: ${url}`);
  assert.match(m[1], UUID4);
  return m[1];
}

test('the info lists each server with its hypervisor type; the libvirt ones are Linux VMs on compute-kvm hosts', async () => {
  const byId = new Map(cloud.info.servers.map((s) => [s.id, s]));
  for (const id of Object.values(LIBVIRT)) assert.equal(byId.get(id)?.hypervisor_type, 'QEMU');
  assert.equal(byId.get(IDS.web01)?.hypervisor_type, 'hyperv');
  assert.equal(cloud.info.release, '2023.1');
  const res = await raw(`${compute}/servers/${LIBVIRT.ubuntu}`, { headers: { 'X-Auth-Token': admin, 'OpenStack-API-Version': 'compute 2.3' } });
  assert.equal(res.json.server['OS-EXT-SRV-ATTR:host'], 'compute-kvm-01');
  assert.equal(res.json.server['OS-EXT-SRV-ATTR:root_device_name'], '/dev/vda');
});

test('remote-consoles vnc/novnc on a libvirt server: a noVNC URL; its token leads to the VM\'s VNC server (2.31+)', async () => {
  const res = await remote(LIBVIRT.ubuntu, 'vnc', 'novnc');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json.remote_console), ['protocol', 'type', 'url']);
  assert.equal(res.json.remote_console.protocol, 'vnc');
  assert.equal(res.json.remote_console.type, 'novnc');
  const token = novncToken(res.json.remote_console.url);
  const found = await lookup(token, '2.31');
  assert.equal(found.status, 200);
  // Without VNC servers of its own (startDemoCloud alone), libvirt's numbering: 5900 + the VM's display number.
  assert.deepEqual(found.json, { console: { instance_uuid: LIBVIRT.ubuntu, host: '127.0.0.1', port: 5900, internal_access_path: null } });
  // Before 2.31 only RDP tokens could be looked up.
  const old = await lookup(token, '2.30');
  assert.equal(old.status, 401);
  assert.deepEqual(old.json, { unauthorized: { code: 401, message: 'The requested console type details are not accessible' } });
});

test('os-getVNCConsole (below 2.6) answers {console:{type,url}}; 404 from 2.6 on', async () => {
  const res = await post(`/servers/${LIBVIRT.debian}/action`, { 'os-getVNCConsole': { type: 'novnc' } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json.console), ['type', 'url']);
  assert.equal(res.json.console.type, 'novnc');
  novncToken(res.json.console.url);
  assert.equal((await post(`/servers/${LIBVIRT.debian}/action`, { 'os-getVNCConsole': { type: 'novnc' } }, '2.6')).status, 404);
});

test('a stopped libvirt VM gets a console URL too; one that never got a host is 409', async () => {
  const res = await remote(LIBVIRT.fedoraShutoff, 'vnc', 'novnc');
  assert.equal(res.status, 200, res.text);
  const building = await remote(IDS.build, 'vnc', 'novnc');
  assert.deepEqual(building.json, { conflictingRequest: { code: 409, message: `Instance ${IDS.build} is not ready` } });
});

test('each host enables its consoles: RDP and SPICE on libvirt and VNC on Hyper-V are unavailable; wrong types invalid', async () => {
  const cases: Array<[string, string, string, string, string?]> = [
    [LIBVIRT.ubuntu, 'rdp', 'rdp-html5', 'Unavailable console type rdp-html5.'],
    [LIBVIRT.ubuntu, 'spice', 'spice-html5', 'Unavailable console type spice-html5.'],
    [LIBVIRT.ubuntu, 'mks', 'webmks', 'Unavailable console type webmks.', '2.8'],
    [LIBVIRT.ubuntu, 'vnc', 'xvpvnc', 'Invalid console type xvpvnc'],
    [LIBVIRT.ubuntu, 'vnc', 'rdp-html5', 'Invalid console type rdp-html5'],
    // The protocol's check comes first: RDP is off on this host whatever the type.
    [LIBVIRT.ubuntu, 'rdp', 'novnc', 'Unavailable console type novnc.'],
    [IDS.web01, 'vnc', 'novnc', 'Unavailable console type novnc.'],
    [IDS.web01, 'vnc', 'xvpvnc', 'Unavailable console type xvpvnc.'],
  ];
  for (const [id, protocol, type, message, version] of cases) {
    const res = await remote(id, protocol, type, version);
    assert.equal(res.status, 400, `${protocol}/${type}`);
    assert.deepEqual(res.json, { badRequest: { code: 400, message } }, `${protocol}/${type}`);
  }
  const rdpAction = await post(`/servers/${LIBVIRT.ubuntu}/action`, { 'os-getRDPConsole': { type: 'rdp-html5' } });
  assert.deepEqual(rdpAction.json, { badRequest: { code: 400, message: 'Unavailable console type rdp-html5.' } });
  const vncAction = await post(`/servers/${IDS.web01}/action`, { 'os-getVNCConsole': { type: 'novnc' } });
  assert.deepEqual(vncAction.json, { badRequest: { code: 400, message: 'Unavailable console type novnc.' } });
});

test("os-getVNCConsole with xvpvnc on libvirt: Nova's action does not expect ConsoleTypeInvalid and answers 500", async () => {
  const res = await post(`/servers/${LIBVIRT.ubuntu}/action`, { 'os-getVNCConsole': { type: 'xvpvnc' } });
  assert.equal(res.status, 500);
  assert.deepEqual(res.json, {
    computeFault: {
      code: 500,
      message: "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class 'nova.exception.ConsoleTypeInvalid'>",
    },
  });
});

test("a member reaches only its project's libvirt servers; an admin reaches them all", async () => {
  const foreign = await remote(LIBVIRT.rockyAdmin, 'vnc', 'novnc');
  assert.deepEqual(foreign.json, { itemNotFound: { code: 404, message: `Instance ${LIBVIRT.rockyAdmin} could not be found.` } });
  assert.equal((await remote(LIBVIRT.rockyAdmin, 'vnc', 'novnc', '2.6', admin)).status, 200);
});

test('the catalog has image and network services, which answer what the OpenStack CLI asks', async () => {
  const auth = await raw(`${cloud.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': member, 'X-Subject-Token': member } });
  const types = auth.json.token.catalog.map((s: { type: string }) => s.type).sort();
  assert.deepEqual(types, ['compute', 'identity', 'image', 'network']);
  const base = cloud.authUrl.replace(/\/identity\/v3$/, '');
  const versions = await raw(`${base}/image`);
  assert.equal(versions.status, 300);
  assert.equal(versions.json.versions[0].links[0].href, `${base}/image/v2/`);
  const images = await raw(`${base}/image/v2/images`, { headers: { 'X-Auth-Token': member } });
  assert.ok(images.json.images.some((i: { name: string }) => i.name === 'ubuntu-24.04'));
  const server = await raw(`${compute}/servers/${LIBVIRT.ubuntu}`, { headers: { 'X-Auth-Token': member } });
  const image = await raw(`${base}/image/v2/images/${server.json.server.image.id}`, { headers: { 'X-Auth-Token': member } });
  assert.equal(image.json.name, 'ubuntu-24.04');
  assert.equal((await raw(`${base}/image/v2/images`)).status, 401);
  const nets = await raw(`${base}/networking/v2.0/networks?name=private`, { headers: { 'X-Auth-Token': member } });
  assert.deepEqual(nets.json.networks.map((n: { name: string }) => n.name), ['private']);
  const flavor = await raw(`${compute}/flavors/2`, { headers: { 'X-Auth-Token': member } });
  assert.equal(flavor.json.flavor.name, 'm1.small');
  const flavors = await raw(`${compute}/flavors/detail`, { headers: { 'X-Auth-Token': member } });
  assert.deepEqual(flavors.json.flavors.map((f: { name: string }) => f.name), ['m1.small', 'm1.medium', 'm1.large']);
});
