// The client against the embedded demo cloud (electron/demo/cloud) over real HTTP: the two sides are written
// independently, so a disagreement here shows a bug on one of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { startDemoCloud, type DemoCloud } from '../../../electron/demo/cloud/index.ts';
import { createOpenStackConsoles, type OpenStackConsoles } from '../../../electron/openstack/console-service.ts';
import { parseConsoleUrl } from '../../../electron/openstack/console-url.ts';
import type { CloudConfig } from '../../../electron/openstack/clouds-config.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import { spawnCli } from '../cli/spawn-cli.ts';

let clock = Date.parse('2026-03-01T12:00:00Z');
const now = () => clock;
let demoCloud: DemoCloud;
let service: OpenStackConsoles;
let adminCloud: CloudConfig;
let memberCloud: CloudConfig;
let dir: string;
const cli = (args: string[], env: Record<string, string>) => spawnCli(args, env, join(dir, 'home'));

before(async () => {
  demoCloud = await startDemoCloud({ now, consoleHost: { host: '192.0.2.10', port: 2179 } });
  const admin = demoCloud.info.users.find((u) => u.roles.includes('admin'));
  const member = demoCloud.info.users.find((u) => !u.roles.includes('admin'));
  assert.ok(admin && member, 'the demo cloud lists an admin and a member');
  const cfg = (name: string, u: typeof admin): CloudConfig => ({
    name,
    authType: 'password',
    auth: { auth_url: demoCloud.authUrl, username: u.username, password: u.password, project_name: u.project_name },
  });
  adminCloud = cfg('adm', admin);
  memberCloud = cfg('member', member);
  service = createOpenStackConsoles({ clouds: [memberCloud, adminCloud], now, timeoutMs: 5000 });
  dir = mkdtempSync(join(tmpdir(), 'contract-demoCloud-'));
});

after(async () => {
  service?.close();
  await demoCloud?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError, `an AppError: ${inspect(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

test('the demo cloud lists servers page by page, and filters by status', async () => {
  const all = await service.listServers({ cloud: 'member' });
  assert.ok(all.servers.length >= 3, 'the member sees several servers');
  assert.equal(all.nextMarker, undefined);
  const paged: string[] = [];
  let marker: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await service.listServers({ cloud: 'member', limit: 2, marker });
    assert.ok(page.servers.length <= 2);
    paged.push(...page.servers.map((s) => s.id));
    marker = page.nextMarker;
    if (!marker) break;
  }
  assert.deepEqual(paged, all.servers.map((s) => s.id));
  const building = await service.listServers({ cloud: 'member', status: 'BUILD' });
  assert.ok(building.servers.length > 0 && building.servers.every((s) => s.status === 'BUILD'));
  const everywhere = await service.listServers({ cloud: 'adm', allProjects: true });
  assert.equal(everywhere.servers.length, demoCloud.info.servers.length);
});

test('console URL by name and by id; an admin resolves it to the console host and VM id', async () => {
  const { servers } = await service.listServers({ cloud: 'member', status: 'ACTIVE' });
  const target = servers[0];
  const known = demoCloud.info.servers.find((s) => s.id === target.id)!;
  const byName = await service.consoleUrl('member', target.name);
  assert.equal(byName.serverId, target.id);
  const parsed = parseConsoleUrl(byName.url);
  const byId = await service.consoleUrl('member', target.id);
  assert.notEqual(parseConsoleUrl(byId.url).token, parsed.token, 'each request mints a token');

  const info = await service.resolve(byName.url, 'adm');
  assert.deepEqual(info, { cloud: 'adm', instanceUuid: target.id, host: '192.0.2.10', port: 2179, internalAccessPath: known.vm_id });
  // Without a cloud: the member's refusal does not hide the admin's answer.
  assert.equal((await service.resolve(byName.url)).cloud, 'adm');
  await rejectsWith(service.resolve(byName.url, 'member'), 'forbidden', /needs an admin \(403/);
});

test('the long Unicode name is found by exact name', async () => {
  const { servers } = await service.listServers({ cloud: 'member' });
  const longest = [...servers].sort((a, b) => b.name.length - a.name.length)[0];
  assert.ok(/\P{ASCII}/u.test(longest.name), 'the demo cloud has a non-ASCII name');
  const active = longest.status === 'ACTIVE';
  if (active) assert.equal((await service.consoleUrl('member', longest.name)).serverId, longest.id);
  else await assert.rejects(service.consoleUrl('member', longest.name), (e: unknown) => e instanceof AppError && e.code !== 'not-found');
});

test('a building server is not ready; unknown servers are not found', async () => {
  const building = (await service.listServers({ cloud: 'member', status: 'BUILD' })).servers[0];
  await rejectsWith(service.consoleUrl('member', building.name), 'not-ready', new RegExp(`^Server ${building.name} is still building \\(Nova: Instance ${building.id} is not ready\\)$`));
  await rejectsWith(service.consoleUrl('member', 'no-such-server-here'), 'not-found', /no server with the id or name/);
  await rejectsWith(service.consoleUrl('member', '00000000-0000-4000-8000-000000000000'), 'not-found', /no server/);
});

test('a console token expires after its TTL (clock injected)', async () => {
  const active = (await service.listServers({ cloud: 'member', status: 'ACTIVE' })).servers[0];
  const { url } = await service.consoleUrl('member', active.id);
  assert.equal((await service.resolve(url, 'adm')).instanceUuid, active.id);
  clock += 601_000;
  await rejectsWith(service.resolve(url, 'adm'), 'token-expired', /expired or unknown to cloud 'adm'/);
  await rejectsWith(service.resolve(url), 'token-expired', /expired or unknown/);
});

test('application credential and a wrong password', async () => {
  const cred = demoCloud.info.application_credentials[0];
  const s = createOpenStackConsoles({
    clouds: [
      { name: 'ac', authType: 'v3applicationcredential', auth: { auth_url: demoCloud.authUrl, application_credential_id: cred.id, application_credential_secret: cred.secret } },
      { ...memberCloud, name: 'wrong', auth: { ...memberCloud.auth, password: 'definitely-wrong' } },
    ],
    now,
  });
  try {
    assert.ok((await s.listServers({ cloud: 'ac' })).servers.length > 0);
    await rejectsWith(s.listServers({ cloud: 'wrong' }), 'auth-failed', new RegExp(`rejected the password for user '${memberCloud.auth.username}' \\(401\\)$`));
  } finally {
    s.close();
  }
});

test("the seed's legacy /compute/v2 and /compute/v3 roots (compute_endpoint_override)", async () => {
  const base = demoCloud.authUrl.replace(/\/identity\/v3$/, '');
  const s = createOpenStackConsoles({
    clouds: [
      { ...adminCloud, name: 'v2', computeEndpoint: base + '/compute/v2' },
      { ...adminCloud, name: 'v3', computeEndpoint: base + '/compute/v3' },
    ],
    now,
  });
  try {
    const target = demoCloud.info.servers.find((x) => x.status === 'ACTIVE')!;
    for (const name of ['v2', 'v3']) {
      const nova = s.nova(name);
      assert.equal((await nova.discover()).v3Draft, name === 'v3');
      const url = await nova.consoleUrl({ id: target.id, name: target.name, status: target.status });
      const info = await s.resolve(url, name);
      assert.equal(info.instanceUuid, target.id, name);
      assert.equal(info.internalAccessPath, target.vm_id, name);
    }
  } finally {
    s.close();
  }
});


test('the command line against the demo cloud', async () => {
  const file = join(dir, 'clouds.yaml');
  const entry = (c: CloudConfig) =>
    `  ${c.name}:\n    auth:\n      auth_url: ${c.auth.auth_url}\n      username: ${JSON.stringify(c.auth.username)}\n      password: ${JSON.stringify(c.auth.password)}\n      project_name: ${JSON.stringify(c.auth.project_name)}\n    region_name: ${demoCloud.info.region}\n`;
  writeFileSync(file, `clouds:\n${entry(memberCloud)}${entry(adminCloud)}`);
  const env = { OS_CLIENT_CONFIG_FILE: file };
  // The CLI runs on the real clock: the demoCloud's clock may be ahead, so mint and resolve with it unchanged.
  const active = (await service.listServers({ cloud: 'member', status: 'ACTIVE' })).servers[0];
  const url = await cli(['url', active.name, '--cloud', 'member', '--type', 'rdp'], env);
  assert.equal(url.code, 0, url.stderr);
  const printed = JSON.parse(url.stdout);
  assert.deepEqual(Object.keys(printed), ['cloud', 'server_id', 'type', 'url']);
  assert.equal(printed.type, 'rdp');
  assert.equal(printed.server_id, active.id);
  const resolved = await cli(['resolve', printed.url], env);
  assert.equal(resolved.code, 0, resolved.stderr);
  const out = JSON.parse(resolved.stdout);
  assert.deepEqual(Object.keys(out), ['cloud', 'instance_uuid', 'host', 'port', 'internal_access_path']);
  assert.equal(out.cloud, 'adm');
  assert.equal(out.instance_uuid, active.id);
  const building = (await service.listServers({ cloud: 'member', status: 'BUILD' })).servers[0];
  const notReady = await cli(['url', building.id, '--cloud', 'member'], env);
  assert.equal(notReady.code, 1);
  assert.match(notReady.stderr, /^nova-console: Server .* is still building/);
});
