import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { IDS, login, raw } from './support.ts';

let cloud: DemoCloud;
let compute: string;
let admin: string;
let member: string;

before(async () => {
  cloud = await startDemoCloud({ extraServers: 30 });
  compute = cloud.authUrl.replace(/\/identity\/v3$/, '/compute/v2.1');
  const a = cloud.info.users.find((u) => u.username === 'admin')!;
  const d = cloud.info.users.find((u) => u.username === 'demo')!;
  admin = await login(cloud.authUrl, a.username, a.password, a.project_name);
  member = await login(cloud.authUrl, d.username, d.password, d.project_name);
});
after(() => cloud.close());

const get = (path: string, token: string, headers: Record<string, string> = {}) =>
  raw(`${compute}${path}`, { headers: { 'X-Auth-Token': token, ...headers } });

test('the demo data: a dozen servers in varied states, fixed ids, plus generated scale servers', () => {
  const servers = cloud.info.servers;
  const fixed = servers.filter((s) => !s.name.startsWith('scale-'));
  assert.ok(fixed.length >= 12);
  const statuses = new Set(fixed.map((s) => s.status));
  for (const st of ['ACTIVE', 'BUILD', 'SHUTOFF', 'ERROR', 'PAUSED']) assert.ok(statuses.has(st), st);
  assert.ok(fixed.some((s) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(s.name) && /\p{Extended_Pictographic}/u.test(s.name) && s.name.length > 60));
  assert.equal(servers.find((s) => s.id === IDS.web01)?.name, 'win2022-web-01');
  const scale = servers.filter((s) => s.name.startsWith('scale-'));
  assert.equal(scale.length, 30);
  assert.equal(scale[0].name, 'scale-00001');
  assert.equal(scale[0].id, '5ca1e000-0000-4000-8000-000000000001');
  assert.equal(new Set(servers.map((s) => s.vm_id)).size, servers.length);
  // A Hyper-V VM id is the hypervisor's own GUID; a libvirt domain's UUID is the server id.
  for (const s of servers.filter((x) => x.hypervisor_type === 'hyperv')) assert.notEqual(s.vm_id.toLowerCase(), s.id);
  for (const s of servers.filter((x) => x.hypervisor_type === 'QEMU')) assert.equal(s.vm_id, s.id);
  assert.deepEqual(
    fixed.filter((s) => s.hypervisor_type === 'QEMU').map((s) => s.name).sort(),
    ['debian-12-db', 'fedora-40-dev', 'rocky-9-monitor', 'ubuntu-24-04-web'],
  );
});

test('missing or unknown token is 401 with WWW-Authenticate: Keystone uri', async () => {
  for (const headers of [{}, { 'X-Auth-Token': 'gAAAAABnot-a-token' }] as Array<Record<string, string>>) {
    const res = await raw(`${compute}/servers`, { headers });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
    assert.match(String(res.headers['www-authenticate']), /^Keystone uri="http:\/\/127\.0\.0\.1:\d+\/identity"$/);
  }
});

test('a member lists only the demo project; all_tenants is refused by policy', async () => {
  const res = await get('/servers/detail', member);
  assert.equal(res.status, 200);
  const names = res.json.servers.map((s: { name: string }) => s.name);
  assert.ok(names.includes('win2022-web-01'));
  assert.ok(!names.includes('ad-dc-01'));
  assert.equal(res.json.servers_links, undefined);
  for (const s of res.json.servers) assert.equal(s['OS-EXT-SRV-ATTR:host'], undefined);
  const all = await get('/servers/detail?all_tenants=1', member);
  assert.equal(all.status, 403);
  assert.deepEqual(all.json, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed." } });
  const idx = await get('/servers?all_tenants', member);
  assert.equal(idx.json.forbidden.message, "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.");
});

test('an admin sees its own project, or every project with all_tenants, and the host field', async () => {
  const own = await get('/servers/detail', admin);
  assert.ok(own.json.servers.every((s: { tenant_id: string }) => s.tenant_id === own.json.servers[0].tenant_id));
  const all = await get('/servers/detail?all_tenants=1', admin);
  assert.equal(all.json.servers.length, cloud.info.servers.length);
  const web = all.json.servers.find((s: { id: string }) => s.id === IDS.web01);
  assert.equal(web['OS-EXT-SRV-ATTR:host'], 'hv-node-01');
  const build = all.json.servers.find((s: { id: string }) => s.id === IDS.build);
  assert.equal(build.status, 'BUILD');
  assert.equal(build['OS-EXT-STS:task_state'], 'spawning');
  assert.equal(build['OS-EXT-SRV-ATTR:host'], null);
  const kiosk = all.json.servers.find((s: { id: string }) => s.id === IDS.kiosk);
  assert.equal(kiosk.status, 'SHUTOFF');
  assert.equal(kiosk['OS-EXT-STS:power_state'], 4);
  const bad = await get('/servers?all_tenants=maybe', admin);
  assert.equal(bad.status, 400);
});

test('paging with limit and marker walks every server once, newest first, with rel=next links', async () => {
  const seen: string[] = [];
  let url = '/servers/detail?limit=7';
  let pages = 0;
  for (;;) {
    const res = await get(url, member);
    assert.equal(res.status, 200);
    seen.push(...res.json.servers.map((s: { id: string }) => s.id));
    pages += 1;
    assert.ok(pages < 20);
    const next = res.json.servers_links?.find((l: { rel: string }) => l.rel === 'next');
    if (!next) break;
    assert.ok(next.href.startsWith(`${compute}/servers/detail?`));
    assert.equal(new URL(next.href).searchParams.get('limit'), '7');
    assert.equal(new URL(next.href).searchParams.get('marker'), seen[seen.length - 1]);
    url = next.href.slice(compute.length);
  }
  const memberCount = cloud.info.servers.length - 6; // six servers live in the admin project (five Hyper-V, one libvirt)
  assert.equal(seen.length, memberCount);
  assert.equal(new Set(seen).size, memberCount);
  const created = await get('/servers/detail?limit=1000', member);
  const dates = created.json.servers.map((s: { created: string }) => s.created);
  assert.deepEqual(dates, [...dates].sort().reverse());
});

test('a full last page still carries a next link, whose page is empty (as Nova does)', async () => {
  const memberCount = cloud.info.servers.length - 6;
  const res = await get(`/servers?limit=${memberCount}`, member);
  assert.equal(res.json.servers.length, memberCount);
  const next = res.json.servers_links[0].href as string;
  const after = await get(next.slice(compute.length), member);
  assert.deepEqual(after.json.servers, []);
  assert.equal(after.json.servers_links, undefined);
});

test('bad paging parameters', async () => {
  const marker = await get('/servers?marker=00000000-0000-4000-8000-000000000000', member);
  assert.equal(marker.status, 400);
  assert.equal(marker.json.badRequest.message, 'marker [00000000-0000-4000-8000-000000000000] not found');
  const limit = await get('/servers?limit=abc', member);
  assert.equal(limit.status, 400);
  assert.match(limit.json.badRequest.message, /limit/);
  // Another project's server is not a valid marker for a member.
  const foreign = await get(`/servers?marker=${IDS.adDc}`, member);
  assert.equal(foreign.status, 400);
});

test('name is a regular expression, status a case-insensitive filter, ip a regex on IPv4 addresses', async () => {
  const names = async (q: string, token = member) =>
    (await get(`/servers?${q}`, token)).json.servers.map((s: { name: string }) => s.name).sort();
  assert.deepEqual(await names('name=^win2022-web'), ['win2022-web-01', 'win2022-web-02']);
  assert.deepEqual(await names('name=WIN2019'), ['win2019-paused', 'win2019-sql-01']);
  assert.deepEqual(await names(`name=${encodeURIComponent('東京')}`), [cloud.info.servers.find((s) => s.id === IDS.unicode)!.name]);
  assert.deepEqual(await names('name=no-such-server'), []);
  assert.deepEqual(await names('name=(unclosed'), []);
  const shutoff = await names('status=shutoff&name=^(?!scale)');
  assert.deepEqual(shutoff, ['fedora-40-dev', 'win11-kiosk']);
  const two = await names('status=PAUSED&status=ERROR');
  assert.deepEqual(two, ['legacy-2012r2', 'win2019-paused']);
  assert.deepEqual(await names('ip=^10\\.0\\.0\\.1[12]$'), ['win2022-web-01', 'win2022-web-02']);
  assert.deepEqual(await names('ip=172.24.4.20&all_tenants=1', admin), ['jump-host']);
  // An unknown status: an empty list before 2.38, a 400 from 2.38 on.
  assert.deepEqual(await names('status=SLEEPY'), []);
  const strict = await get('/servers?status=SLEEPY', member, { 'OpenStack-API-Version': 'compute 2.38' });
  assert.equal(strict.status, 400);
  assert.equal(strict.json.badRequest.message, 'Invalid status value');
});

test('GET /servers/{id}: details, 404 for unknown or foreign servers', async () => {
  const res = await get(`/servers/${IDS.unicode}`, member);
  assert.equal(res.status, 200);
  const s = res.json.server;
  assert.equal(s.id, IDS.unicode);
  assert.match(s.name, /東京/);
  assert.equal(s.status, 'ACTIVE');
  assert.equal(s['OS-EXT-STS:power_state'], 1);
  assert.equal(s.addresses['réseau-privé'][0].addr, '10.0.1.7');
  assert.equal(s.image.id.length, 36);
  assert.equal(s.flavor.id, '3');
  assert.match(s.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(s.links[0].href, `${compute}/servers/${IDS.unicode}`);
  assert.equal(s['OS-EXT-SRV-ATTR:host'], undefined);
  for (const id of ['4f6b1e2a-0000-4000-8000-000000000000', 'not-a-uuid', IDS.adDc]) {
    const miss = await get(`/servers/${id}`, member);
    assert.equal(miss.status, 404);
    assert.deepEqual(miss.json, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
  }
  const asAdmin = await get(`/servers/${IDS.unicode}`, admin);
  assert.equal(asAdmin.json.server['OS-EXT-SRV-ATTR:host'], 'hv-node-02');
  const err = await get(`/servers/${IDS.legacyError}`, member);
  assert.equal(err.json.server.status, 'ERROR');
  assert.equal(err.json.server.fault.code, 500);
  assert.equal(err.json.server.fault.details, undefined);
});

test('the project id may appear in the path, and must be the caller\'s', async () => {
  const tokenInfo = await raw(`${cloud.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': member, 'X-Subject-Token': member } });
  const projectId = tokenInfo.json.token.project.id as string;
  const ok = await get(`/${projectId}/servers/${IDS.web01}`, member);
  assert.equal(ok.status, 200);
  assert.equal(ok.json.server.links[0].href, `${compute}/${projectId}/servers/${IDS.web01}`);
  const wrong = await get(`/${'0'.repeat(32)}/servers`, member);
  assert.equal(wrong.status, 400);
  assert.match(wrong.json.badRequest.message, /^Malformed request URL: URL's project_id '0{32}' doesn't match Context's project_id/);
});

test('unknown routes are 404 itemNotFound', async () => {
  const res = await get('/os-hypervisors-nope', member);
  assert.equal(res.status, 404);
  assert.deepEqual(res.json, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
});

test('limit is capped at 1000 (Nova\'s [api] max_limit), and scale servers page through', async () => {
  const big = await startDemoCloud({ extraServers: 1200 });
  try {
    const d = big.info.users.find((u) => u.username === 'demo')!;
    const token = await login(big.authUrl, d.username, d.password, d.project_name);
    const c = big.authUrl.replace(/\/identity\/v3$/, '/compute/v2.1');
    const first = await raw(`${c}/servers?limit=5000`, { headers: { 'X-Auth-Token': token } });
    assert.equal(first.json.servers.length, 1000);
    const next = new URL(first.json.servers_links[0].href);
    assert.equal(next.searchParams.get('limit'), '5000');
    const second = await raw(next.href, { headers: { 'X-Auth-Token': token } });
    assert.equal(second.json.servers.length, 1200 + 11 - 1000); // eleven hand-made servers in the demo project
    assert.equal(second.json.servers_links, undefined);
    const noLimit = await raw(`${c}/servers`, { headers: { 'X-Auth-Token': token } });
    assert.equal(noLimit.json.servers.length, 1000);
    const scale = await raw(`${c}/servers?name=^scale-0120&status=BUILD`, { headers: { 'X-Auth-Token': token } });
    assert.deepEqual(scale.json.servers.map((s: { name: string }) => s.name), ['scale-01200']);
  } finally {
    await big.close();
  }
});
