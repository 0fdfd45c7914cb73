// The seed's RDP console API (nova-rdp-api) under /compute/v2 and /compute/v3, driven by the seed's own example
// bodies (test/fixtures/seed) and compared with the seed's example responses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { IDS, UUID4, login, raw } from './support.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/seed/${name}`, import.meta.url), 'utf8');
// preserveOrder keeps element order, so the shapes compare exactly.
const xml = new XMLParser({ preserveOrder: true, ignoreDeclaration: true, ignoreAttributes: false, parseTagValue: false });

let cloud: DemoCloud;
let compute: string;
let admin: string;
let member: string;
let adminProject: string;

before(async () => {
  cloud = await startDemoCloud({ consoleHost: { host: '192.0.2.7', port: 2179 } });
  compute = cloud.authUrl.replace(/\/identity\/v3$/, '/compute');
  const a = cloud.info.users.find((u) => u.username === 'admin')!;
  const d = cloud.info.users.find((u) => u.username === 'demo')!;
  admin = await login(cloud.authUrl, a.username, a.password, a.project_name);
  member = await login(cloud.authUrl, d.username, d.password, d.project_name);
  const info = await raw(`${cloud.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': admin } });
  adminProject = info.json.token.project.id;
});
after(() => cloud.close());

type Api = 'v2' | 'v3';
type Format = 'json' | 'xml';

function call(path: string, token: string, body: string, format: Format, verb: 'GET' | 'POST', accept: Format = format) {
  return raw(`${compute}${path}`, {
    method: verb,
    headers: {
      'X-Auth-Token': token,
      'Content-Type': format === 'xml' ? 'application/xml' : 'application/json',
      Accept: accept === 'xml' ? 'application/xml' : 'application/json',
    },
    body,
  });
}

/** Replaces every text value by its kind, so two XML documents compare by shape. */
function shape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(shape);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '#text' ? typeof v : shape(v)]));
  }
  return typeof node;
}

function tokenFromUrl(url: string): string {
  const t = new URL(url).searchParams.get('token')!;
  assert.match(t, UUID4);
  return t;
}

async function getConsole(api: Api, format: Format, verb: 'GET' | 'POST', serverId: string, token = member, prefix = '') {
  const res = await call(`/${api}${prefix}/servers/${serverId}/action`, token, fixture(`${api}-get-rdp-console-request.${format}`), format, verb);
  return res;
}

for (const api of ['v2', 'v3'] as const) {
  for (const verb of ['GET', 'POST'] as const) {
    test(`${api} ${verb}: the seed's JSON console request gets the seed's JSON response shape`, async () => {
      const res = await getConsole(api, 'json', verb, IDS.unicode);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const example = JSON.parse(fixture('get-rdp-console-response.json'));
      assert.deepEqual(Object.keys(res.json), Object.keys(example));
      assert.deepEqual(Object.keys(res.json.console), Object.keys(example.console));
      assert.equal(res.json.console.type, example.console.type);
      // Same URL form as the example: ?token=<uuid>&title=<name>(<server id>)
      const url = new URL(res.json.console.url);
      assert.deepEqual([...url.searchParams.keys()], [...new URL(example.console.url).searchParams.keys()]);
      const name = cloud.info.servers.find((s) => s.id === IDS.unicode)!.name;
      assert.equal(url.searchParams.get('title'), `${name}(${IDS.unicode})`);
      tokenFromUrl(res.json.console.url);
    });

    test(`${api} ${verb}: the seed's XML console request gets the seed's XML response shape`, async () => {
      const res = await getConsole(api, 'xml', verb, IDS.web01);
      assert.equal(res.status, 200, res.text);
      assert.match(String(res.headers['content-type']), /^application\/xml/);
      assert.match(res.text, /^<\?xml version='1.0' encoding='UTF-8'\?>\n/);
      assert.deepEqual(shape(xml.parse(res.text)), shape(xml.parse(fixture('get-rdp-console-response.xml'))));
      const url = /<url>([^<]*)<\/url>/.exec(res.text)![1];
      tokenFromUrl(url);
    });

    for (const format of ['json', 'xml'] as const) {
      test(`${api} ${verb}: the seed's ${format.toUpperCase()} connect-info request resolves a token`, async () => {
        const consoleRes = await getConsole(api, 'json', 'POST', IDS.web01, admin);
        const token = tokenFromUrl(consoleRes.json.console.url);
        const res = await call(`/${api}/console-auth-tokens/${token}/action`, admin, fixture(`${api}-connect-info-request.${format}`), format, verb);
        assert.equal(res.status, 200, res.text);
        const vmId = cloud.info.servers.find((s) => s.id === IDS.web01)!.vm_id;
        if (format === 'json') {
          const example = JSON.parse(fixture('connect-info-response.json'));
          assert.deepEqual(Object.keys(res.json.console), Object.keys(example.console));
          assert.deepEqual(res.json, { console: { instance_uuid: IDS.web01, host: '192.0.2.7', port: 2179, internal_access_path: vmId } });
          assert.equal(typeof res.json.console.port, typeof example.console.port);
        } else {
          assert.deepEqual(shape(xml.parse(res.text)), shape(xml.parse(fixture('connect-info-response.xml'))));
          assert.match(res.text, new RegExp(`<instance_uuid>${IDS.web01}</instance_uuid>`));
          assert.match(res.text, /<host>192\.0\.2\.7<\/host>/);
          assert.match(res.text, /<port>2179<\/port>/);
          assert.match(res.text, new RegExp(`<internal_access_path>${vmId}</internal_access_path>`));
        }
      });
    }
  }
}

test('v2 accepts the project id in the path; the other version\'s action names are refused', async () => {
  assert.equal((await getConsole('v2', 'json', 'POST', IDS.adDc, admin, `/${adminProject}`)).status, 200);
  const crossed = await call(`/v3/servers/${IDS.web01}/action`, member, fixture('v2-get-rdp-console-request.json'), 'json', 'POST');
  assert.equal(crossed.status, 400);
  assert.deepEqual(crossed.json, { badRequest: { code: 400, message: 'There is no such action: os-getRDPConsole' } });
  const crossedXml = await call(`/v2/servers/${IDS.web01}/action`, member, fixture('v3-get-rdp-console-request.xml'), 'xml', 'GET');
  assert.equal(crossedXml.status, 400);
  assert.match(crossedXml.text, /<badRequest code="400" xmlns="http:\/\/docs.openstack.org\/compute\/api\/v1.1">/);
  assert.match(crossedXml.text, /<message>There is no such action: get_rdp_console<\/message>/);
});

test('seed error codes: 404 unknown server, 409 buildInProgress, 400 bad type and malformed XML, in JSON and XML', async () => {
  const missing = await getConsole('v2', 'json', 'GET', '00000000-0000-4000-8000-000000000000');
  assert.deepEqual(missing.json, { itemNotFound: { code: 404, message: 'Instance 00000000-0000-4000-8000-000000000000 could not be found.' } });
  const building = await getConsole('v3', 'xml', 'GET', IDS.build);
  assert.equal(building.status, 409);
  assert.match(building.text, /<buildInProgress code="409"[^>]*>\s*<message>Instance [0-9a-f-]{36} is not ready<\/message>/);
  const buildingJson = await getConsole('v2', 'json', 'POST', IDS.build);
  assert.deepEqual(buildingJson.json, { buildInProgress: { code: 409, message: `Instance ${IDS.build} is not ready` } });
  const badType = await call(`/v2/servers/${IDS.web01}/action`, member, '<os-getRDPConsole type="novnc"/>', 'xml', 'GET', 'json');
  assert.deepEqual(badType.json, { badRequest: { code: 400, message: 'Invalid console type novnc' } });
  const broken = await call(`/v2/servers/${IDS.web01}/action`, member, '<os-getRDPConsole type="rdp-html5">', 'xml', 'GET');
  assert.equal(broken.status, 400);
  assert.match(broken.text, /<message>Malformed request body<\/message>/);
  const empty = await call(`/v3/servers/${IDS.web01}/action`, member, '', 'json', 'GET');
  assert.equal(empty.status, 400);
});

test('seed connect-info: 404 for unknown or non-UUID tokens, 403 for a member, 401 without a token', async () => {
  for (const token of ['b48316c5-71e8-45e4-9884-6c78055b9b13', 'garbage']) {
    const res = await call(`/v2/console-auth-tokens/${token}/action`, admin, fixture('v2-connect-info-request.json'), 'json', 'GET');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { itemNotFound: { code: 404, message: 'Token not found' } });
    const x = await call(`/v3/console-auth-tokens/${token}/action`, admin, fixture('v3-connect-info-request.xml'), 'xml', 'GET');
    assert.equal(x.status, 404);
    assert.match(x.text, /<itemNotFound code="404"/);
  }
  const consoleRes = await getConsole('v2', 'json', 'POST', IDS.web01);
  const token = tokenFromUrl(consoleRes.json.console.url);
  const asMember = await call(`/v2/console-auth-tokens/${token}/action`, member, fixture('v2-connect-info-request.json'), 'json', 'POST');
  assert.equal(asMember.status, 403);
  assert.equal(asMember.json.forbidden.code, 403);
  const anonymous = await raw(`${compute}/v2/console-auth-tokens/${token}/action`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: fixture('v2-connect-info-request.json'),
  });
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.json.error.title, 'Unauthorized');
});
