// The demo's nova-serialproxy in the whole environment: serial console URLs from the compute API (remote-consoles
// and os-getSerialConsole), the token from the query or a cookie, Nova's Origin check, text frames refused with 1003,
// bad and expired tokens dropped after the 101, a shell session over a real WebSocket, and a stopped VM ending it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoEnvironment, type DemoEnvironment } from '../../../../electron/demo/environment.ts';
import { login, raw } from '../cloud/support.ts';
import { SerialClient } from './serial-client.ts';

const UBUNTU = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01';
const DEBIAN = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e02';
const FEDORA_OFF = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e03';
const WIN_WEB = '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a01';

let env: DemoEnvironment;
let dataDir: string;
let token: string;
let compute: string;

const post = (path: string, body: unknown, version = '2.6') =>
  raw(`${compute}${path}`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'OpenStack-API-Version': `compute ${version}` },
    body: JSON.stringify(body),
  });

async function serialUrl(id: string): Promise<string> {
  const res = await post(`/servers/${id}/remote-consoles`, { remote_console: { protocol: 'serial', type: 'serial' } });
  assert.equal(res.status, 200, res.text);
  return res.json.remote_console.url;
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'demo-serial-'));
  env = await startDemoEnvironment({ dataDir, consolePort: 0, novncPort: 0, serialPort: 0, fps: 0, timeScale: 0.02, tokenTtlSeconds: 2, log: () => {} });
  const member = env.info.users.find((u) => u.username === 'demo')!;
  token = await login(env.info.auth_url, member.username, member.password, member.project_name);
  compute = env.info.auth_url.replace('/identity/v3', '/compute/v2.1');
});
after(async () => {
  await env.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('serial console URLs', () => {
  it('names the serial proxy with ?token= (remote-consoles at 2.6+, os-getSerialConsole below)', async () => {
    assert.deepEqual(env.info.serial_proxy, { host: env.serialProxy.host, port: env.serialProxy.port });
    assert.equal(env.serialProxy.baseUrl, `ws://127.0.0.1:${env.serialProxy.port}/`);
    assert.match(await serialUrl(UBUNTU), new RegExp(`^ws://127\\.0\\.0\\.1:${env.serialProxy.port}/\\?token=[0-9a-f-]{36}$`));
    const old = await post(`/servers/${DEBIAN}/action`, { 'os-getSerialConsole': { type: 'serial' } }, '2.1');
    assert.equal(old.status, 200, old.text);
    assert.equal(old.json.console.type, 'serial');
    assert.match(old.json.console.url, /^ws:\/\/127\.0\.0\.1:\d+\/\?token=/);
  });

  it('refuses serial on a Hyper-V server as a host without [serial_console] enabled does', async () => {
    const res = await post(`/servers/${WIN_WEB}/remote-consoles`, { remote_console: { protocol: 'serial', type: 'serial' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { badRequest: { code: 400, message: 'Unavailable console type serial.' } });
  });
});

describe('serial proxy', () => {
  it('relays a login and shell session, raw bytes both ways, with the binary subprotocol', async () => {
    const c = new SerialClient(await serialUrl(UBUNTU));
    try {
      assert.equal(await c.opened, true);
      assert.equal(c.ws.protocol, 'binary');
      c.send('\r');
      await c.waitFor('ubuntu-24-04-web login: ');
      c.send('root\r');
      await c.waitFor('Password: ');
      c.send('demo\r');
      await c.waitFor('root@ubuntu-24-04-web:~# ');
      assert.match(await c.command('hostname'), /^hostname\r\nubuntu-24-04-web\r\nroot@ubuntu-24-04-web:~$/);
      assert.match(await c.command('echo héllo 日本'), /héllo 日本\r\n/);
      const from = c.text.length;
      c.send(Buffer.from([0xff, 0x0d]));
      assert.match(await c.waitFor('command not found', from), /bash: \ufffd: command not found/);
    } finally {
      c.close();
    }
  });

  it('takes the token from a cookie on any path; no subprotocol when none is offered; others without binary are a 400', async () => {
    const t = new URL(await serialUrl(UBUNTU)).searchParams.get('token')!;
    const c = new SerialClient(`ws://127.0.0.1:${env.serialProxy.port}/some/path`, { protocols: [], headers: { Cookie: `a=b; token="${t}"` } });
    assert.equal(await c.opened, true);
    assert.equal(c.ws.protocol, '');
    // The serial line is one tty: the earlier test's shell may still be logged in.
    c.send('\r');
    await c.waitFor(/(login: |# )$/);
    c.close();
    const refused = new SerialClient(`ws://127.0.0.1:${env.serialProxy.port}/?token=${t}`, { protocols: ['base64'] });
    assert.equal(await refused.opened, false);
  });

  it("checks Origin as Nova does: none passes; the Host's host with http passes; another host or https fails after the 101", async () => {
    const url = await serialUrl(UBUNTU);
    const ok = new SerialClient(url, { headers: { Origin: `http://127.0.0.1:${env.serialProxy.port}` } });
    assert.equal(await ok.opened, true);
    ok.send('\r');
    await ok.waitFor(/(login: |# )$/);
    ok.close();
    for (const origin of ['http://evil.example', 'https://127.0.0.1', 'file://', 'null']) {
      const bad = new SerialClient(url, { headers: { Origin: origin } });
      assert.equal(await bad.opened, true, `${origin}: the 101 comes first`);
      assert.equal((await bad.closed).code, 1006, origin);
    }
  });

  it('closes with 1003 on a text frame', async () => {
    const c = new SerialClient(await serialUrl(UBUNTU));
    assert.equal(await c.opened, true);
    c.ws.send('hostname\r');
    assert.deepEqual(await c.closed, { code: 1003, reason: 'Unsupported: Text frames are not supported' });
  });

  it('drops unknown and expired tokens after the 101; a token is reusable until then', async () => {
    const unknown = new SerialClient(`ws://127.0.0.1:${env.serialProxy.port}/?token=00000000-0000-4000-8000-000000000000`);
    assert.equal(await unknown.opened, true);
    assert.equal((await unknown.closed).code, 1006);
    const url = await serialUrl(DEBIAN);
    for (let i = 0; i < 2; i++) {
      const again = new SerialClient(url);
      assert.equal(await again.opened, true);
      again.send('\r');
      await again.waitFor('debian-12-db login: ');
      again.close();
    }
    await new Promise((r) => setTimeout(r, 2100));
    const expired = new SerialClient(url);
    assert.equal(await expired.opened, true);
    assert.equal((await expired.closed).code, 1006);
  });

  it('ends the session when the VM stops (shutdown messages first), shows a fresh boot after start', async () => {
    const c = new SerialClient(await serialUrl(DEBIAN));
    assert.equal(await c.opened, true);
    const stopped = await post(`/servers/${DEBIAN}/action`, { 'os-stop': null }, '2.1');
    assert.equal(stopped.status, 202);
    assert.deepEqual(await c.closed, { code: 1000, reason: 'Target closed' });
    // eslint-disable-next-line no-control-regex -- the console's raw control bytes are what is checked
    assert.match(c.text, /\[\x1b\[0;32m {2}OK {2}\x1b\[0m\] Reached target \x1b\[0;1;39mshutdown\.target\x1b\[0m - System Shutdown\./);
    assert.match(c.text, /\] reboot: Power down\r\n$/);

    // A stopped VM's serial port has nothing behind it: the proxy's connection is dropped at once.
    const off = new SerialClient(await serialUrl(DEBIAN));
    assert.equal(await off.opened, true);
    assert.equal((await off.closed).code, 1000);

    assert.equal((await post(`/servers/${DEBIAN}/action`, { 'os-start': null }, '2.1')).status, 202);
    await waitFor(async () => (await raw(`${compute}/servers/${DEBIAN}`, { headers: { 'X-Auth-Token': token } })).json.server.status === 'ACTIVE', 'ACTIVE');
    const on = new SerialClient(await serialUrl(DEBIAN));
    await on.waitFor(/Reached target .*multi-user\.target.*\r\n[\s\S]*debian-12-db login: $/);
    on.close();
  });

  it('keeps a paused VM connected and silent, and answers what was typed once it is unpaused', async () => {
    const c = new SerialClient(await serialUrl(UBUNTU));
    assert.equal(await c.opened, true);
    assert.equal((await post(`/servers/${UBUNTU}/action`, { pause: null }, '2.1')).status, 202);
    await waitFor(async () => (await raw(`${compute}/servers/${UBUNTU}`, { headers: { 'X-Auth-Token': token } })).json.server.status === 'PAUSED', 'PAUSED');
    const from = c.text.length;
    c.send('\r');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.text.slice(from), '', 'a paused VM answers nothing');
    assert.equal(c.ws.readyState, c.ws.OPEN);
    assert.equal((await post(`/servers/${UBUNTU}/action`, { unpause: null }, '2.1')).status, 202);
    await c.waitFor(/(login: |# )$/, from);
    c.close();
  });

  it('serial console of a stopped server still gets a URL (as libvirt hands one out), of a server without a host a 409', async () => {
    assert.match(await serialUrl(FEDORA_OFF), /^ws:/);
    const res = await post(`/servers/4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a04/remote-consoles`, { remote_console: { protocol: 'serial', type: 'serial' } });
    assert.equal(res.status, 409);
    assert.equal(res.json.conflictingRequest.message, 'Instance 4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a04 is not ready');
  });
});
