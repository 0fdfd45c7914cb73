import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { IDS, login, raw } from './support.ts';

let cloud: DemoCloud;
let compute: string;
let token: string;

before(async () => {
  cloud = await startDemoCloud();
  compute = cloud.authUrl.replace(/\/identity\/v3$/, '/compute');
  const a = cloud.info.users.find((u) => u.username === 'admin')!;
  token = await login(cloud.authUrl, a.username, a.password, a.project_name);
});
after(() => cloud.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  raw(`${compute}/v2.1${path}`, { headers: { 'X-Auth-Token': token, ...headers } });

test('the compute root lists v2.0 and v2.1 (2.1 to 2.95) without a token', async () => {
  for (const path of ['', '/']) {
    const res = await raw(`${compute}${path}`);
    assert.equal(res.status, 200);
    const [v20, v21] = res.json.versions;
    assert.deepEqual([v20.id, v20.status, v20.version, v20.min_version], ['v2.0', 'SUPPORTED', '', '']);
    assert.deepEqual([v21.id, v21.status, v21.version, v21.min_version], ['v2.1', 'CURRENT', '2.95', '2.1']);
    assert.equal(v21.links[0].href, `${compute}/v2.1/`);
  }
  const doc = await raw(`${compute}/v2.1/`);
  assert.equal(doc.status, 200);
  assert.equal(doc.json.version.version, '2.95');
  assert.equal(doc.json.version.min_version, '2.1');
});

test('no version header means 2.1, echoed with Vary', async () => {
  const res = await get('/servers');
  assert.equal(res.status, 200);
  assert.equal(res.headers['openstack-api-version'], 'compute 2.1');
  assert.equal(res.headers['x-openstack-nova-api-version'], '2.1');
  assert.equal(res.headers['vary'], 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  assert.match(String(res.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
});

test('latest is 2.95; either header works; other services in the header are ignored', async () => {
  assert.equal((await get('/servers', { 'OpenStack-API-Version': 'compute latest' })).headers['openstack-api-version'], 'compute 2.95');
  assert.equal((await get('/servers', { 'X-OpenStack-Nova-API-Version': '2.47' })).headers['openstack-api-version'], 'compute 2.47');
  const mixed = await get('/servers', { 'OpenStack-API-Version': 'placement 1.10, compute 2.60' });
  assert.equal(mixed.headers['x-openstack-nova-api-version'], '2.60');
  const other = await get('/servers', { 'OpenStack-API-Version': 'placement 1.10', 'X-OpenStack-Nova-API-Version': '2.10' });
  assert.equal(other.headers['openstack-api-version'], 'compute 2.10');
});

test('a malformed version is 400 badRequest without version headers', async () => {
  for (const bad of ['2', '2.x', 'v2.6', '02.6', '2.06', 'compute']) {
    const res = await get('/servers', { 'OpenStack-API-Version': `compute ${bad}` });
    assert.equal(res.status, 400, bad);
    assert.deepEqual(res.json, {
      badRequest: { code: 400, message: `API Version String ${bad} is of invalid format. Must be of format MajorNum.MinorNum.` },
    });
    assert.equal(res.headers['openstack-api-version'], undefined);
  }
});

test('a version out of range is 406 computeFault', async () => {
  for (const [asked, shown] of [['3.0', '3.0'], ['2.96', '2.96'], ['2.0', '2.0'], ['1.1', '1.1']]) {
    const res = await get('/servers', { 'X-OpenStack-Nova-API-Version': asked });
    assert.equal(res.status, 406, asked);
    assert.deepEqual(res.json, {
      computeFault: { code: 406, message: `Version ${shown} is not supported by the API. Minimum is 2.1 and maximum is 2.95.` },
    });
  }
});

test('2.5 has os-getRDPConsole and no remote-consoles; 2.6 the other way round', async () => {
  const action = (v: string) =>
    raw(`${compute}/v2.1/servers/${IDS.web01}/action`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'OpenStack-API-Version': `compute ${v}` },
      body: JSON.stringify({ 'os-getRDPConsole': { type: 'rdp-html5' } }),
    });
  const remote = (v: string) =>
    raw(`${compute}/v2.1/servers/${IDS.web01}/remote-consoles`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'OpenStack-API-Version': `compute ${v}` },
      body: JSON.stringify({ remote_console: { protocol: 'rdp', type: 'rdp-html5' } }),
    });
  assert.equal((await action('2.5')).status, 200);
  const r25 = await remote('2.5');
  assert.equal(r25.status, 404);
  assert.deepEqual(r25.json, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  assert.equal(r25.headers['openstack-api-version'], 'compute 2.5');
  const a26 = await action('2.6');
  assert.equal(a26.status, 404);
  assert.equal(a26.json.itemNotFound.message, 'The resource could not be found.');
  assert.equal((await remote('2.6')).status, 200);
  assert.equal((await remote('latest')).status, 200);
});

test('microversion changes the server view: flavor embedded from 2.47', async () => {
  const old = await get(`/servers/${IDS.web01}`, { 'OpenStack-API-Version': 'compute 2.46' });
  assert.deepEqual(Object.keys(old.json.server.flavor).sort(), ['id', 'links']);
  assert.equal(old.json.server.locked, false);
  const v247 = await get(`/servers/${IDS.web01}`, { 'OpenStack-API-Version': 'compute 2.47' });
  assert.equal(v247.json.server.flavor.original_name, 'm1.medium');
  const v21 = await get(`/servers/${IDS.web01}`);
  assert.equal(v21.json.server.locked, undefined);
  assert.equal(v21.json.server.description, undefined);
});
