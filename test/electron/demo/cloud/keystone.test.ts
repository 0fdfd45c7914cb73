import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCloud, type DemoCloud } from '../../../../electron/demo/cloud/index.ts';
import { login, passwordBody, raw } from './support.ts';

let cloud: DemoCloud;
let clock = Date.parse('2026-01-01T00:00:00Z');
let base: string;

before(async () => {
  cloud = await startDemoCloud({ now: () => clock, keystoneTokenTtlSeconds: 3600 });
  base = cloud.authUrl.replace(/\/identity\/v3$/, '');
});
after(() => cloud.close());

function user(name: string) {
  return cloud.info.users.find((u) => u.username === name)!;
}

test('info describes an admin and a plain member with fixed passwords', () => {
  assert.equal(cloud.info.region, 'RegionOne');
  assert.match(cloud.info.auth_url, /^http:\/\/127\.0\.0\.1:\d+\/identity\/v3$/);
  assert.deepEqual(user('admin'), { username: 'admin', password: 'demo-admin-secret', project_name: 'admin', roles: ['admin', 'member', 'reader'] });
  assert.deepEqual(user('demo').roles, ['member', 'reader']);
  assert.equal(user('demo').project_name, 'demo');
});

test('identity version documents', async () => {
  const root = await raw(`${base}/identity`);
  assert.equal(root.status, 300);
  assert.equal(root.json.versions.values[0].id, 'v3.14');
  const v3 = await raw(`${base}/identity/v3`);
  assert.equal(v3.status, 200);
  assert.equal(v3.json.version.status, 'stable');
  assert.equal(v3.json.version.links[0].href, `${base}/identity/v3/`);
});

test('password login returns 201, X-Subject-Token and a catalog with compute in RegionOne', async () => {
  const a = user('admin');
  const res = await raw(`${cloud.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: passwordBody(a.username, a.password, a.project_name),
  });
  assert.equal(res.status, 201);
  assert.ok(typeof res.headers['x-subject-token'] === 'string' && res.headers['x-subject-token'].length > 100);
  const token = res.json.token;
  assert.deepEqual(token.methods, ['password']);
  assert.equal(token.project.name, 'admin');
  assert.deepEqual(token.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
  assert.equal(Date.parse(token.expires_at) - Date.parse(token.issued_at), 3600_000);
  assert.match(token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const compute = token.catalog.find((s: { type: string }) => s.type === 'compute');
  assert.equal(compute.name, 'nova');
  assert.deepEqual(compute.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
  for (const e of compute.endpoints) {
    assert.equal(e.region_id, 'RegionOne');
    assert.equal(e.url, `${base}/compute/v2.1`);
  }
  assert.ok(token.catalog.some((s: { type: string }) => s.type === 'identity'));
});

test('login without a scope is scoped to the default project', async () => {
  const d = user('demo');
  const res = await raw(`${cloud.authUrl}/auth/tokens`, { method: 'POST', body: passwordBody(d.username, d.password) });
  assert.equal(res.status, 201);
  assert.equal(res.json.token.project.name, 'demo');
});

test('application credential login, and its info entry', async () => {
  const cred = (cloud.info.application_credentials as Array<{ id: string; secret: string; name: string; username: string }>)[0];
  const byId = await raw(`${cloud.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } } } }),
  });
  assert.equal(byId.status, 201);
  assert.deepEqual(byId.json.token.methods, ['application_credential']);
  assert.equal(byId.json.token.project.name, 'demo');
  assert.equal(byId.json.token.application_credential.id, cred.id);
  const byName = await raw(`${cloud.authUrl}/auth/tokens`, {
    method: 'POST',
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { name: cred.name, secret: cred.secret, user: { name: cred.username, domain: { name: 'Default' } } },
        },
      },
    }),
  });
  assert.equal(byName.status, 201);
  const wrong = await raw(`${cloud.authUrl}/auth/tokens`, {
    method: 'POST',
    body: JSON.stringify({ auth: { identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: 'nope' } } } }),
  });
  assert.equal(wrong.status, 401);
});

test('wrong password and unknown project give Keystone 401 with WWW-Authenticate', async () => {
  for (const body of [passwordBody('admin', 'wrong'), passwordBody('nobody', 'x'), passwordBody('demo', 'demo-member-secret', 'admin')]) {
    const res = await raw(`${cloud.authUrl}/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
    assert.equal(res.headers['www-authenticate'], `Keystone uri="${base}/identity"`);
    assert.equal(res.headers['x-subject-token'], undefined);
  }
});

test('malformed login bodies are 400 with Keystone wording', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{not json', /^Expecting to find valid JSON in request body\./],
    ['{}', /^Expecting to find auth in request body\./],
    ['{"auth":{}}', /^'identity' is a required property$/],
    ['{"auth":{"identity":{}}}', /^Invalid input for field 'identity': 'methods' is a required property$/],
    ['{"auth":{"identity":{"methods":["password"]}}}', /^Expecting to find password in identity\./],
    ['{"auth":{"identity":{"methods":["password"],"password":{"user":{"password":"x"}}}}}', /^Expecting to find id or name in user\./],
    ['{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","password":"x"}}}}}', /^Expecting to find domain in user\./],
    ['{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":5}}}}}', /^Invalid input for field 'identity\/password\/user\/name': 5 is not of type 'string'$/],
  ];
  for (const [body, message] of cases) {
    const res = await raw(`${cloud.authUrl}/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(res.status, 400, body);
    assert.equal(res.json.error.code, 400);
    assert.equal(res.json.error.title, 'Bad Request');
    assert.match(res.json.error.message, message, body);
  }
});

test('GET /auth/tokens validates a token; an expired one is gone for Keystone and Nova alike', async () => {
  const a = user('admin');
  const admin = await login(cloud.authUrl, a.username, a.password, a.project_name);
  const d = user('demo');
  const member = await login(cloud.authUrl, d.username, d.password, d.project_name);
  const ok = await raw(`${cloud.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': member } });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.token.user.name, 'demo');
  assert.equal(ok.headers['x-subject-token'], member);
  const noCaller = await raw(`${cloud.authUrl}/auth/tokens`, { headers: { 'X-Subject-Token': member } });
  assert.equal(noCaller.status, 401);
  const unknown = await raw(`${cloud.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': 'gAAAAABnope' } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.message, 'Could not find token: gAAAAABnope.');

  const before = await raw(`${base}/compute/v2.1/servers`, { headers: { 'X-Auth-Token': member } });
  assert.equal(before.status, 200);
  clock += 3600_000; // exactly the lifetime: the token is expired now
  const afterExpiry = await raw(`${base}/compute/v2.1/servers`, { headers: { 'X-Auth-Token': member } });
  assert.equal(afterExpiry.status, 401);
  assert.equal(afterExpiry.json.error.title, 'Unauthorized');
  assert.equal(afterExpiry.headers['www-authenticate'], `Keystone uri="${base}/identity"`);
  const gone = await raw(`${cloud.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': member, 'X-Subject-Token': member } });
  assert.equal(gone.status, 401);
});

test('DELETE /auth/tokens revokes', async () => {
  const d = user('demo');
  const t = await login(cloud.authUrl, d.username, d.password);
  const del = await raw(`${cloud.authUrl}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': t, 'X-Subject-Token': t } });
  assert.equal(del.status, 204);
  const res = await raw(`${base}/compute/v2.1/servers`, { headers: { 'X-Auth-Token': t } });
  assert.equal(res.status, 401);
});

test('?nocatalog leaves the catalog out', async () => {
  const d = user('demo');
  const res = await raw(`${cloud.authUrl}/auth/tokens?nocatalog`, { method: 'POST', body: passwordBody(d.username, d.password) });
  assert.equal(res.status, 201);
  assert.equal(res.json.token.catalog, undefined);
});

test('unknown identity paths are Keystone 404s', async () => {
  const res = await raw(`${cloud.authUrl}/users`);
  assert.equal(res.status, 404);
  assert.deepEqual(res.json, { error: { code: 404, message: 'The resource could not be found.', title: 'Not Found' } });
});
