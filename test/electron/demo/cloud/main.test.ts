// The standalone command, spawned as `node --import tsx electron/demo/main.ts`: its first stdout line is the cloud's
// description, SIGTERM/SIGINT stop it with exit 0, bad flags exit 2 with one line on stderr.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { login, raw } from './support.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/demo/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      rl.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing`)));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`prints the info JSON first, serves, and stops with exit 0 on ${signal}`, async () => {
    const child = start(['--port', '0', '--servers', '3', '--token-ttl', '30', '--console-host', '10.1.2.3:2179']);
    const done = exited(child);
    const info = JSON.parse(await firstLine(child));
    assert.match(info.auth_url, /^http:\/\/127\.0\.0\.1:\d+\/identity\/v3$/);
    assert.equal(info.region, 'RegionOne');
    assert.deepEqual(info.users.map((u: { username: string }) => u.username), ['admin', 'demo']);
    for (const u of info.users) assert.deepEqual(Object.keys(u).sort(), ['password', 'project_name', 'roles', 'username']);
    assert.equal(info.servers.filter((s: { name: string }) => s.name.startsWith('scale-')).length, 3);
    for (const s of info.servers) for (const k of ['id', 'name', 'status']) assert.equal(typeof s[k], 'string');
    assert.deepEqual(info.console_host, { host: '10.1.2.3', port: 2179 });
    const admin = info.users[0];
    const token = await login(info.auth_url, admin.username, admin.password, admin.project_name);
    const list = await raw(`${info.auth_url.replace('/identity/v3', '/compute/v2.1')}/servers?all_tenants=1&limit=1000`, { headers: { 'X-Auth-Token': token } });
    assert.equal(list.json.servers.length, info.servers.length);
    child.kill(signal);
    const { code } = await done;
    assert.equal(code, 0);
  });
}

test('bad flags: one line on stderr, exit 2', async () => {
  for (const args of [['--bogus'], ['--port', 'x'], ['--port'], ['--servers', '-1'], ['--console-host', 'nocolon'], ['--token-ttl', '0']]) {
    const child = start(args);
    const { code, stderr } = await exited(child);
    assert.equal(code, 2, args.join(' '));
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^demo-cloud: /);
  }
});

test('a port already in use is a one-line error, exit 1', async () => {
  // Console tokens pointed elsewhere: only the cloud's port is at stake here (test/electron/demo/main.test.ts covers the console host).
  const first = start(['--port', '0', '--console-host', '127.0.0.1:2179']);
  const firstDone = exited(first);
  const info = JSON.parse(await firstLine(first));
  const port = new URL(info.auth_url).port;
  const second = start(['--port', port, '--console-host', '127.0.0.1:2179']);
  const { code, stderr } = await exited(second);
  assert.equal(code, 1);
  assert.equal(stderr.trim(), `demo-cloud: cannot start: port ${port} is already in use`);
  first.kill('SIGTERM');
  assert.equal((await firstDone).code, 0);
});
