import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeApp, type ComposedApp } from '../../../electron/app/compose.ts';
import type { ConsoleEvents } from '../../../electron/common/contract.ts';
import { rdpGrant } from '../../support/grants.ts';

// The app's services wired as both Electron and browser mode start them, over the real embedded demo.

const dir = mkdtempSync(join(tmpdir(), 'nova-compose-'));
const apps: ComposedApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
  rmSync(dir, { recursive: true, force: true });
});

test('demo cloud listed (or hidden), its console reached with filled-in credentials and a pre-trusted certificate; a broken clouds.yaml is only logged', async () => {
  writeFileSync(join(dir, 'clouds.yaml'), 'clouds: [this is: not valid');
  const logs: string[] = [];
  const app = await composeApp({
    mode: 'browser',
    dataDir: join(dir, 'data'),
    log: (l) => logs.push(l),
    cloudSources: { cwd: dir, home: dir, siteDir: join(dir, 'etc'), env: {} },
    demo: { consolePort: 0, fps: 1 },
  });
  apps.push(app);
  const events: Array<[string, unknown]> = [];
  app.bindEvents((e, p) => events.push([e, p]));
  assert.ok(logs.some((l) => /Cloud configuration not loaded/.test(l)), logs.join('\n'));

  const { consoles, sessions, trust, settings } = app.services;
  assert.deepEqual((await consoles.listClouds()).map((c) => [c.name, c.label, c.isDemo]), [['demo', 'Demo cloud (offline)', true]]);

  // Admin or not is learnt from the sign-in of the first server page, then announced.
  assert.equal((await consoles.listClouds())[0].isAdmin, undefined, 'not known before the cloud was signed in to');
  await consoles.listServers({ cloud: 'demo', limit: 1 });
  assert.equal((await consoles.listClouds())[0].isAdmin, true, "the demo signs in as its admin");
  const announced = events.filter(([e]) => e === 'clouds.changed').map(([, p]) => p as ConsoleEvents['clouds.changed']);
  assert.deepEqual(announced.map((list) => list.map((c) => [c.name, c.isAdmin])), [[['demo', true]]]);

  const demo = app.demo!;
  const web01 = demo.demoCloud.info.servers.find((s) => s.name === 'win2022-web-01')!;
  const grant = rdpGrant(await sessions!.open({ kind: 'server', cloud: 'demo', server: web01.id }));
  assert.equal(grant.destination, demo.consoleEndpoint);
  assert.equal(grant.preConnectionBlob?.toUpperCase(), web01.vm_id.toUpperCase());
  assert.equal(grant.vmconnect, true);
  assert.deepEqual(grant.credentials, demo.consoleCredentials, 'the demo console credentials are filled in');
  assert.ok((await trust!.list()).some((c) => c.endpoint === demo.consoleEndpoint), 'the demo console certificate is trusted');
  await sessions!.close(grant.sessionId);

  const shown = await settings!.get();
  assert.deepEqual(shown.consoleCredentials.demo, { username: demo.consoleCredentials.username, hasPassword: true });
  assert.ok(!JSON.stringify(shown).includes(demo.consoleCredentials.password), 'the page never reads a password back');

  await settings!.update({ hideDemoCloud: true });
  assert.deepEqual(await consoles.listClouds(), []);
  await new Promise((r) => setImmediate(r));
  const changed = events.filter(([e]) => e === 'clouds.changed').map(([, p]) => p as ConsoleEvents['clouds.changed']);
  assert.deepEqual(changed.at(-1), []);
  assert.ok(existsSync(join(dir, 'data', 'settings.json')));
  await settings!.update({ hideDemoCloud: false });
  assert.equal((await consoles.listClouds()).length, 1);

  const build = demo.demoCloud.info.servers.find((s) => s.status === 'BUILD')!;
  await assert.rejects(() => sessions!.open({ kind: 'server', cloud: 'demo', server: build.id }), (err: Error & { code?: string }) => err.code === 'not-ready');
});

test("a cloud whose user is no admin is reported as such (the sidebar offers it no All projects)", async () => {
  const demo = apps[0]?.demo;
  assert.ok(demo, 'the first test started the demo');
  const member = demo.demoCloud.info.users.find((u) => !u.roles.includes('admin'))!;
  const sub = join(dir, 'member');
  const yaml = [
    'clouds:',
    '  member:',
    '    auth:',
    `      auth_url: ${demo.demoCloud.authUrl}`,
    `      username: ${member.username}`,
    `      password: ${member.password}`,
    `      project_name: ${member.project_name}`,
    '      user_domain_name: Default',
    '      project_domain_name: Default',
    '',
  ].join('\n');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'clouds.yaml'), yaml);
  const app = await composeApp({ mode: 'browser', dataDir: join(sub, 'data'), log: () => undefined, cloudSources: { cwd: sub, home: sub, siteDir: join(sub, 'etc'), env: {} }, demo: false });
  apps.push(app);
  const events: Array<[string, unknown]> = [];
  app.bindEvents((e, p) => events.push([e, p]));
  await app.services.consoles.listServers({ cloud: 'member', limit: 1 });
  assert.deepEqual((await app.services.consoles.listClouds()).map((c) => [c.name, c.isAdmin]), [['member', false]]);
  assert.deepEqual(events.map(([e]) => e), ['clouds.changed']);
});
