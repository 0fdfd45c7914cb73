// startDemoEnvironment's wiring of the VNC side: the noVNC proxy and the libvirt VMs' VNC servers start with it, a
// stop action reaches the VM's VNC desktop (as it reaches a Hyper-V VM's RDP desktop) and ends its open sessions,
// and close() stops them all (the serial proxy too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoEnvironment } from '../../../electron/demo/environment.ts';
import { login, raw } from './cloud/support.ts';

const UBUNTU = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01';

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('the environment serves VNC consoles, routes stop/start to VNC desktops, and closes everything', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'demo-env-'));
  const env = await startDemoEnvironment({ dataDir, consolePort: 0, novncPort: 0, serialPort: 0, fps: 0, timeScale: 0.01, log: () => {} });
  try {
    const admin = env.info.users.find((u) => u.roles.includes('admin'))!;
    const token = await login(env.info.auth_url, admin.username, admin.password, admin.project_name);
    const compute = env.info.auth_url.replace('/identity/v3', '/compute/v2.1');
    const post = (path: string, body: unknown, version = '2.31') =>
      raw(`${compute}${path}`, { method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'OpenStack-API-Version': `compute ${version}` }, body: JSON.stringify(body) });

    assert.deepEqual(env.info.novnc_proxy, { host: env.novncProxy.host, port: env.novncProxy.port });
    const created = await post(`/servers/${UBUNTU}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.equal(created.status, 200, created.text);
    assert.ok(created.json.remote_console.url.startsWith(env.novncProxy.baseUrl + '?path='));
    // The token names the VM's own VNC server, started for this first console request.
    const t = decodeURIComponent(new URL(created.json.remote_console.url).searchParams.get('path')!).replace('?token=', '');
    const looked = await raw(`${compute}/os-console-auth-tokens/${t}`, { headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.31' } });
    const vncServer = env.vncHosts.servers.get(UBUNTU)!;
    assert.deepEqual(looked.json.console, { instance_uuid: UBUNTU, host: vncServer.host, port: vncServer.port, internal_access_path: null });
    assert.ok(await accepts(vncServer.host, vncServer.port));

    const desktop = env.vncHosts.desktops.get(UBUNTU)!;
    const session = connect(vncServer.port, vncServer.host);
    const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    session.on('error', () => {});
    session.resume(); // read the server's greeting, or its close is never seen
    assert.equal((await post(`/servers/${UBUNTU}/action`, { 'os-stop': null }, '2.1')).status, 202);
    assert.equal(desktop.status, 'ACTIVE', 'powering off takes a moment');
    await sessionClosed;
    assert.equal(desktop.status, 'SHUTOFF');
    assert.equal(desktop.poweredOff, true);
    assert.equal((await post(`/servers/${UBUNTU}/action`, { 'os-start': null }, '2.1')).status, 202);
    for (let i = 0; i < 200 && desktop.status !== 'ACTIVE'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(desktop.status, 'ACTIVE');

    await env.close();
    assert.equal(await accepts(vncServer.host, vncServer.port), false, 'the VM VNC server is closed');
    assert.equal(await accepts(env.novncProxy.host, env.novncProxy.port), false, 'the proxy is closed');
    assert.equal(await accepts(env.serialProxy.host, env.serialProxy.port), false, 'the serial proxy is closed');
    assert.equal(await accepts(env.consoleHost!.host, env.consoleHost!.port), false, 'the RDP console host is closed');
  } finally {
    await env.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
