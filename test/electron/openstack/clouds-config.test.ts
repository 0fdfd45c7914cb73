import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCloudConfigs, caBundleOf } from '../../../electron/openstack/clouds-config.ts';
import { AppError } from '../../../electron/api/app-error.ts';

let root: string;
let cwd: string;
let home: string;
let site: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'clouds-config-'));
  cwd = join(root, 'work');
  home = join(root, 'home');
  site = join(root, 'etc');
  for (const d of [cwd, join(home, '.config', 'openstack'), site]) mkdirSync(d, { recursive: true });
});
after(() => rmSync(root, { recursive: true, force: true }));

function fresh(): { cwd: string; home: string; siteDir: string } {
  const dir = mkdtempSync(join(root, 'case-'));
  const c = { cwd: join(dir, 'cwd'), home: join(dir, 'home'), siteDir: join(dir, 'etc') };
  for (const d of [c.cwd, join(c.home, '.config', 'openstack'), c.siteDir]) mkdirSync(d, { recursive: true });
  return c;
}

const cloudYaml = (name: string, url: string) => `clouds:\n  ${name}:\n    auth:\n      auth_url: ${url}\n      username: u\n      password: p\n      project_name: demo\n`;

test('search order: ./clouds.yaml before ~/.config/openstack before /etc/openstack; OS_CLIENT_CONFIG_FILE first', () => {
  const c = fresh();
  writeFileSync(join(c.siteDir, 'clouds.yaml'), cloudYaml('site', 'http://site:5000/v3'));
  assert.deepEqual(loadCloudConfigs({ ...c, env: {} }).clouds.map((x) => x.name), ['site']);
  writeFileSync(join(c.home, '.config', 'openstack', 'clouds.yaml'), cloudYaml('home', 'http://home:5000/v3'));
  assert.deepEqual(loadCloudConfigs({ ...c, env: {} }).clouds.map((x) => x.name), ['home']);
  writeFileSync(join(c.cwd, 'clouds.yaml'), cloudYaml('local', 'http://local:5000/v3'));
  assert.deepEqual(loadCloudConfigs({ ...c, env: {} }).clouds.map((x) => x.name), ['local']);
  const override = join(c.siteDir, 'other.yaml');
  writeFileSync(override, cloudYaml('override', 'http://o:5000/v3'));
  const loaded = loadCloudConfigs({ ...c, env: { OS_CLIENT_CONFIG_FILE: override, OS_CLOUD: 'override' } });
  assert.deepEqual(loaded.clouds.map((x) => x.name), ['override']);
  assert.equal(loaded.selected, 'override');
  assert.deepEqual(loaded.files, [override]);
});

test('secure.yaml is merged over clouds.yaml; settings are read as openstacksdk names them', () => {
  const c = fresh();
  writeFileSync(
    join(c.cwd, 'clouds.yaml'),
    `clouds:
  prod:
    auth:
      auth_url: https://keystone.example:5000
      username: bob
      project_name: ops
      user_domain_name: Corp
      project_domain_name: Corp
    region_name: RegionTwo
    interface: internal
    cacert: certs/ca.pem
    api_timeout: 7
  lab:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://lab:5000/v3
      application_credential_id: abc
    verify: false
`,
  );
  writeFileSync(
    join(c.home, '.config', 'openstack', 'secure.yaml'),
    `clouds:\n  prod:\n    auth:\n      password: from-secure\n  lab:\n    auth:\n      application_credential_secret: s3\n  undeclared:\n    auth:\n      password: x\n`,
  );
  const { clouds, files } = loadCloudConfigs({ ...c, env: {} });
  assert.equal(files.length, 2);
  const prod = clouds.find((x) => x.name === 'prod')!;
  assert.equal(prod.auth.password, 'from-secure');
  assert.equal(prod.auth.user_domain_name, 'Corp');
  assert.equal(prod.regionName, 'RegionTwo');
  assert.equal(prod.interface, 'internal');
  assert.equal(prod.cacert, join(c.cwd, 'certs/ca.pem'));
  assert.equal(prod.verify, true);
  assert.equal(prod.timeoutMs, 7000);
  assert.equal(prod.authType, 'password');
  const lab = clouds.find((x) => x.name === 'lab')!;
  const pathVerify = loadCloudConfigs({ ...c, env: { OS_CLIENT_CONFIG_FILE: join(c.cwd, 'v.yaml') } });
  assert.equal(pathVerify.clouds.length, 2, 'v.yaml absent: falls back to ./clouds.yaml');
  assert.equal(lab.authType, 'v3applicationcredential');
  assert.equal(lab.auth.application_credential_secret, 's3');
  assert.equal(lab.verify, false);
  assert.equal(clouds.some((x) => x.name === 'undeclared'), false);
  assert.throws(() => caBundleOf(prod), (e: unknown) => e instanceof AppError && e.code === 'config' && /cacert .*ca\.pem.*prod/.test(e.message));
});

test('OS_* variables form the cloud envvars', () => {
  const c = fresh();
  const env = {
    OS_AUTH_URL: 'https://k.example:5000/v3',
    OS_USERNAME: 'carol',
    OS_PASSWORD: 'pw',
    OS_PROJECT_ID: 'p-123',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'R1',
    OS_INTERFACE: 'publicURL',
    OS_INSECURE: 'true',
    OS_CACERT: '/tmp/ca.pem',
  };
  const [cloud] = loadCloudConfigs({ ...c, env }).clouds;
  assert.equal(cloud.name, 'envvars');
  assert.equal(cloud.auth.username, 'carol');
  assert.equal(cloud.auth.project_id, 'p-123');
  assert.equal(cloud.regionName, 'R1');
  assert.equal(cloud.interface, 'public');
  assert.equal(cloud.verify, false);
  assert.equal(cloud.cacert, '/tmp/ca.pem');

  const app = loadCloudConfigs({
    ...c,
    env: { OS_AUTH_URL: 'http://k:5000/v3', OS_AUTH_TYPE: 'v3applicationcredential', OS_APPLICATION_CREDENTIAL_ID: 'id1', OS_APPLICATION_CREDENTIAL_SECRET: 's' },
  }).clouds[0];
  assert.equal(app.authType, 'v3applicationcredential');
  assert.equal(app.auth.application_credential_id, 'id1');

  // Selectors alone make no cloud.
  assert.equal(loadCloudConfigs({ ...c, env: { OS_CLOUD: 'x', OS_REGION_NAME: 'R' } }).clouds.length, 0);
});

function configError(setup: (c: ReturnType<typeof fresh>) => void, pattern: RegExp) {
  const c = fresh();
  setup(c);
  assert.throws(
    () => loadCloudConfigs({ ...c, env: {} }),
    (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, 'config');
      assert.match(e.message, pattern);
      return true;
    },
  );
}

test('a broken clouds.yaml names the file and the line', () => {
  configError((c) => writeFileSync(join(c.cwd, 'clouds.yaml'), 'clouds:\n  prod:\n    auth:\n      auth_url: "http://x\n      username: [u\n'), /clouds\.yaml is not valid YAML: line \d+, column \d+/);
  configError((c) => writeFileSync(join(c.cwd, 'clouds.yaml'), 'clouds:\n  a:\n    auth: {auth_url: http://x}\n  a:\n    auth: {}\n'), /line 4.*(unique|Map keys)/i);
});

test('clouds.yaml with a wrong shape or missing settings says which cloud', () => {
  configError((c) => writeFileSync(join(c.cwd, 'clouds.yaml'), '- just\n- a list\n'), /must be a mapping with a 'clouds' key/);
  configError((c) => writeFileSync(join(c.cwd, 'clouds.yaml'), 'clouds:\n  prod:\n    auth:\n      username: u\n'), /cloud 'prod' .* has no auth_url/);
  configError((c) => writeFileSync(join(c.cwd, 'clouds.yaml'), 'clouds:\n  prod:\n    auth:\n      auth_url: keystone:5000\n      username: u\n'), /auth_url of cloud 'prod'.*not an http\(s\) URL/);
  configError((c) => writeFileSync(join(c.cwd, 'clouds.yaml'), 'clouds:\n  prod:\n    auth_type: token\n    auth:\n      auth_url: http://k/v3\n'), /auth_type 'token' of cloud 'prod'/);
  configError((c) => writeFileSync(join(c.cwd, 'clouds.yaml'), 'clouds:\n  prod:\n    interface: outside\n    auth:\n      auth_url: http://k/v3\n      username: u\n'), /interface 'outside'/);
});

test('verify given as a CA bundle path keeps verification on and uses the path', () => {
  const c = fresh();
  writeFileSync(join(c.cwd, 'clouds.yaml'), 'clouds:\n  p:\n    verify: /etc/ssl/corp-ca.pem\n    auth:\n      auth_url: https://k/v3\n      username: u\n  q:\n    verify: "no"\n    auth:\n      auth_url: https://k/v3\n      username: u\n');
  const [p, q] = loadCloudConfigs({ ...c, env: {} }).clouds;
  assert.equal(p.verify, true);
  assert.equal(p.cacert, '/etc/ssl/corp-ca.pem');
  assert.equal(q.verify, false);
});
