// The administrators' own command line (Debian's python3-openstackclient) against the demo environment: it lists
// and shows servers (which needs the image service in the catalog), gets a noVNC console URL that really leads
// through the demo's noVNC proxy to the VM, gets RDP URLs for Hyper-V servers, and is refused RDP on a libvirt
// server (and everywhere in a 2024.1 cloud); serial console URLs, console logs and power actions work as on Nova.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, createWebSocketStream } from 'ws';
import { startDemoEnvironment, type DemoEnvironment } from '../../../electron/demo/environment.ts';
import { MiniVncClient } from './vnc-desktop/mini-vnc-client.ts';

const OPENSTACK = '/usr/bin/openstack';
const skip = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient; scripts/install-test-deps.sh)`;
const home = mkdtempSync(join(tmpdir(), 'openstack-cli-'));
after(() => rmSync(home, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `openstack` as the demo member (or admin) of the environment, with no clouds.yaml of the user's in reach. */
function openstack(env: DemoEnvironment, args: string[], user: 'demo' | 'admin' = 'demo'): Promise<Result> {
  const u = env.info.users.find((x) => x.username === user)!;
  const vars = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    OS_CLIENT_CONFIG_FILE: join(home, 'none.yaml'),
    OS_AUTH_URL: env.info.auth_url,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: u.username,
    OS_PASSWORD: u.password,
    OS_PROJECT_NAME: u.project_name,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: env.info.region,
  };
  return new Promise((resolve) => {
    execFile(OPENSTACK, args, { env: vars, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('openstack CLI against the mixed demo cloud', { skip }, () => {
  let env: DemoEnvironment;
  before(async () => {
    env = await startDemoEnvironment({ dataDir: join(home, 'data'), consolePort: 0, novncPort: 0, serialPort: 0, fps: 0, timeScale: 0.05, log: () => {} });
  });
  after(() => env?.close());

  it('server list shows Hyper-V and libvirt servers with image and flavor names', async () => {
    const r = await openstack(env, ['server', 'list', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<Record<string, string>>;
    const ubuntu = rows.find((s) => s.Name === 'ubuntu-24-04-web');
    assert.ok(ubuntu, r.stdout);
    assert.equal(ubuntu.Status, 'ACTIVE');
    assert.equal(ubuntu.Image, 'ubuntu-24.04');
    assert.equal(ubuntu.Flavor, 'm1.small');
    assert.ok(rows.some((s) => s.Name === 'win2022-web-01'));
    assert.ok(!rows.some((s) => s.Name === 'rocky-9-monitor'), "another project's server is not listed for a member");
  });

  it('server show finds a libvirt server by name', async () => {
    const r = await openstack(env, ['server', 'show', 'debian-12-db', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.id, '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e02');
    assert.match(JSON.stringify(s.image), /debian-12/);
  });

  it('console url show --novnc gives a URL that leads through the noVNC proxy to the VM', async () => {
    const r = await openstack(env, ['console', 'url', 'show', '--novnc', 'ubuntu-24-04-web', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const { protocol, type, url } = JSON.parse(r.stdout);
    assert.equal(protocol, 'vnc');
    assert.equal(type, 'novnc');
    const proxy = env.info.novnc_proxy!;
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${proxy.port}/vnc_auto\\.html\\?path=%3Ftoken%3D[0-9a-f-]{36}$`));
    // As noVNC does: a WebSocket to the proxy at "/" + the decoded path.
    const u = new URL(url);
    const ws = new WebSocket(`ws://${u.host}/${u.searchParams.get('path')}`, ['binary']);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const client = await MiniVncClient.start(createWebSocketStream(ws));
    client.close();
    assert.match(client.name, /^QEMU \(instance-[0-9a-f]{8}\)$/);
    assert.deepEqual(client.info.securityTypes, [1]);
  });

  it('console url show --rdp works for a Hyper-V server and is refused for a libvirt one', async () => {
    const ok = await openstack(env, ['console', 'url', 'show', '--rdp', 'win2022-web-01', '-f', 'value', '-c', 'url']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout.trim(), /^http:\/\/127\.0\.0\.1:\d+\/rdp\/\?token=[0-9a-f-]{36}$/);
    const refused = await openstack(env, ['console', 'url', 'show', '--rdp', 'ubuntu-24-04-web']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /400/);
    assert.match(refused.stderr, /Unavailable console type rdp-html5\./);
    const vncOnHyperV = await openstack(env, ['console', 'url', 'show', '--novnc', 'win2022-web-01']);
    assert.equal(vncOnHyperV.code, 1);
    assert.match(vncOnHyperV.stderr, /Unavailable console type novnc\./);
  });

  it('console url show --serial gives a ws:// URL that leads through the serial proxy to the login prompt', async () => {
    const r = await openstack(env, ['console', 'url', 'show', '--serial', 'debian-12-db', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const { protocol, type, url } = JSON.parse(r.stdout);
    assert.equal(protocol, 'serial');
    assert.equal(type, 'serial');
    assert.match(url, new RegExp(`^ws://127\\.0\\.0\\.1:${env.info.serial_proxy!.port}/\\?token=[0-9a-f-]{36}$`));
    const ws = new WebSocket(url, ['binary']);
    let text = '';
    ws.on('message', (data: Buffer) => (text += data.toString('utf8')));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(Buffer.from('\r'));
    for (let i = 0; i < 100 && !/login: $/.test(text); i++) await new Promise((r) => setTimeout(r, 50));
    ws.close();
    assert.match(text, /login: $/, text);
  });

  it('console log show prints the boot log, --lines N its last N lines', async () => {
    const all = await openstack(env, ['console', 'log', 'show', 'ubuntu-24-04-web']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /Linux version/);
    const last = await openstack(env, ['console', 'log', 'show', '--lines', '3', 'ubuntu-24-04-web']);
    assert.equal(last.code, 0, last.stderr);
    assert.ok(last.stdout.trimEnd().split('\n').length <= 3, last.stdout);
  });

  it('server stop, start and reboot change the server as Nova does; a second stop is refused with 409', async () => {
    const show = async () => JSON.parse((await openstack(env, ['server', 'show', 'ubuntu-24-04-web', '-f', 'json'])).stdout) as Record<string, unknown>;
    const waitFor = async (status: string) => {
      let s = await show();
      for (let i = 0; i < 100 && (s.status !== status || s['OS-EXT-STS:task_state'] !== null); i++) s = await show();
      assert.equal(s.status, status);
    };
    assert.equal((await openstack(env, ['server', 'stop', 'ubuntu-24-04-web'])).code, 0);
    await waitFor('SHUTOFF');
    const again = await openstack(env, ['server', 'stop', 'ubuntu-24-04-web']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Cannot 'stop' instance [0-9a-f-]+ while it is in vm_state stopped \(HTTP 409\)/);
    assert.equal((await openstack(env, ['server', 'start', 'ubuntu-24-04-web'])).code, 0);
    await waitFor('ACTIVE');
    assert.equal((await openstack(env, ['server', 'reboot', '--hard', 'ubuntu-24-04-web'])).code, 0);
    await waitFor('ACTIVE');
  });
});

describe('openstack CLI against a 2024.1 demo cloud', { skip }, () => {
  let env: DemoEnvironment;
  before(async () => {
    env = await startDemoEnvironment({ dataDir: join(home, 'data-2024'), release: '2024.1', novncPort: 0, fps: 0, log: () => {} });
  });
  after(() => env?.close());

  it('lists only libvirt servers and refuses RDP', async () => {
    const list = await openstack(env, ['server', 'list', '--all-projects', '-f', 'value', '-c', 'Name'], 'admin');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), ['debian-12-db', 'fedora-40-dev', 'rocky-9-monitor', 'ubuntu-24-04-web']);
    assert.equal(env.consoleHost, undefined, 'no RDP console host in a cloud without Hyper-V');
    const rdp = await openstack(env, ['console', 'url', 'show', '--rdp', 'ubuntu-24-04-web']);
    assert.equal(rdp.code, 1);
    assert.match(rdp.stderr, /400/);
    const vnc = await openstack(env, ['console', 'url', 'show', '--novnc', 'ubuntu-24-04-web', '-f', 'value', '-c', 'url']);
    assert.equal(vnc.code, 0, vnc.stderr);
    assert.match(vnc.stdout, /vnc_auto\.html\?path=%3Ftoken%3D/);
  });
});
