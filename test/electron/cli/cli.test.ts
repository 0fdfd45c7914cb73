import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../electron/cli/cli.ts';
import { startFakeCloud, type FakeCloud } from '../openstack/fake-openstack.ts';
import { spawnCli as spawnCliIn } from './spawn-cli.ts';

let fake: FakeCloud;
let dir: string;
const spawnCli = (args: string[], env: Record<string, string>) => spawnCliIn(args, env, join(dir, 'nohome'));
let cloudsFile: string;

before(async () => {
  fake = await startFakeCloud();
  dir = mkdtempSync(join(tmpdir(), 'nova-console-cli-'));
  cloudsFile = join(dir, 'clouds.yaml');
  writeFileSync(
    cloudsFile,
    `clouds:
  member:
    auth:
      auth_url: ${fake.authUrl}
      username: alice
      password: alice-pw
      project_name: demo
  adm:
    auth:
      auth_url: ${fake.authUrl}
      username: admin
      project_name: admin
`,
  );
  // The admin's password lives in secure.yaml (named by OS_CLIENT_SECURE_FILE), as openstacksdk allows.
  writeFileSync(join(dir, 'secure.yaml'), `clouds:\n  adm:\n    auth:\n      password: admin-pw\n`);
});
after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command in-process with an isolated configuration (no real ~/.config or /etc). */
async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    sources: { cwd: join(dir, 'cwd'), home: join(dir, 'nohome'), siteDir: join(dir, 'noetc'), env },
    timeoutMs: 3000,
  });
  return { code, out: out.join('\n'), err };
}


test('usage errors exit 2 with one line; --help exits 0', async () => {
  for (const args of [[], ['frobnicate'], ['url'], ['resolve'], ['url', 'a', 'b'], ['url', 'x', '--cloud'], ['url', 'x', '--bogus'], ['log'], ['log', 'x', '--lines', '0'], ['log', 'x', '--lines', 'ten'], ['url', 'x', '--follow'], ['url', 'x', '--lines', '5']]) {
    const r = await run(args, { OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLIENT_SECURE_FILE: join(dir, 'secure.yaml') });
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], /^nova-console: .*\(see nova-console --help\)$/);
  }
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /nova-console url SERVER \[--type vnc\|rdp\|serial\|spice\] \[--cloud NAME\]/);
  // Two clouds and no --cloud: url cannot guess.
  const r = await run(['url', 'web-1'], { OS_CLIENT_CONFIG_FILE: cloudsFile });
  assert.equal(r.code, 2);
  assert.match(r.err[0], /several clouds are configured \(member, adm\): choose one with --cloud NAME/);
});

test('url by name and id; resolve as admin; OS_CLOUD picks the cloud', async () => {
  const env = { OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLIENT_SECURE_FILE: join(dir, 'secure.yaml') };
  const byName = await run(['url', 'web-1', '--cloud', 'member'], env);
  assert.equal(byName.code, 0, byName.err.join());
  const printed = JSON.parse(byName.out);
  assert.deepEqual(Object.keys(printed), ['cloud', 'server_id', 'type', 'url']);
  assert.equal(printed.type, 'rdp', 'the fake cloud offers RDP only: the app\'s order falls through VNC to it');
  assert.equal(printed.cloud, 'member');
  assert.equal(printed.server_id, '11111111-1111-4111-8111-111111111111');
  const byId = await run(['url', '22222222-2222-4222-8222-222222222222'], { ...env, OS_CLOUD: 'member' });
  assert.equal(JSON.parse(byId.out).server_id, '22222222-2222-4222-8222-222222222222');

  const resolved = await run(['resolve', printed.url], env);
  assert.equal(resolved.code, 0, resolved.err.join());
  assert.deepEqual(JSON.parse(resolved.out), {
    cloud: 'adm',
    instance_uuid: '11111111-1111-4111-8111-111111111111',
    host: '10.0.0.5',
    port: 2179,
    internal_access_path: '11111111-1111-4111-8111-111111111111'.toUpperCase(),
  });
  const asMember = await run(['resolve', printed.url, '--cloud=member'], env);
  assert.equal(asMember.code, 1);
  assert.match(asMember.err[0], /needs an admin/);

  // --type asks for one console type: the RDP-only cloud refuses VNC in Nova's words; a type that is none is a usage error.
  const vnc = await run(['url', 'web-1', '--type', 'vnc', '--cloud', 'member'], env);
  assert.equal(vnc.code, 1);
  assert.match(vnc.err[0], /no VNC console/);
  assert.equal((await run(['url', 'web-1', '--type', 'telnet', '--cloud', 'member'], env)).code, 2);
});

test('the OS_* variables alone make a usable cloud', async () => {
  const r = await run(['url', 'web-2'], { OS_AUTH_URL: fake.authUrl, OS_USERNAME: 'alice', OS_PASSWORD: 'alice-pw', OS_PROJECT_NAME: 'demo' });
  assert.equal(r.code, 0, r.err.join());
  assert.equal(JSON.parse(r.out).cloud, 'envvars');
});

test('the real command: exit codes and one-line errors', async () => {
  const env = { OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLIENT_SECURE_FILE: join(dir, 'secure.yaml') };
  const ok = await spawnCli(['url', 'web-1', '--cloud', 'member'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  const url = JSON.parse(ok.stdout).url as string;
  assert.match(url, /\?token=[0-9a-f-]{36}$/);

  const ambiguous = await spawnCli(['url', 'twin', '--cloud', 'member'], env);
  assert.equal(ambiguous.code, 2);
  assert.match(ambiguous.stderr, /^nova-console: 2 servers in cloud 'member' are named 'twin' .*give the id instead\n$/);

  const building = await spawnCli(['url', 'builder', '--cloud', 'member'], env);
  assert.equal(building.code, 1);
  assert.match(building.stderr, /^nova-console: Server builder is still building \(Nova: Instance .* is not ready\)\n$/);

  const bad = await spawnCli(['resolve', 'https://www.example.org/'], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^nova-console: https:\/\/www\.example\.org\/ is not a Nova console URL: it has no token parameter/);
  assert.equal(bad.stderr.split('\n').length, 2, 'one line');

  const expired = await spawnCli(['resolve', 'http://127.0.0.1:6083/?token=00000000-0000-4000-8000-000000000000'], env);
  assert.equal(expired.code, 1);
  assert.match(expired.stderr, /^nova-console: The console token is expired or unknown/);

  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'clouds:\n  x:\n    auth: [unclosed\n');
  const brokenRun = await spawnCli(['url', 'web-1'], { OS_CLIENT_CONFIG_FILE: broken });
  assert.equal(brokenRun.code, 1);
  assert.match(brokenRun.stderr, /^nova-console: .*broken\.yaml is not valid YAML: line \d+, column \d+: /);
  assert.doesNotMatch(brokenRun.stderr, /\n\s+at /, 'no stack trace');
});
