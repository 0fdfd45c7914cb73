// The standalone demo (`node --import tsx electron/demo/main.ts`) as a user drives it: the JSON line names a real
// console host and its credentials, a console token resolved over HTTP leads xfreerdp /vmconnect to that VM's live
// desktop, a stop action shows on the open console, --require-nla refuses TLS-only clients, bad flags exit 2.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { login, raw } from './cloud/support.ts';
import { bitmapRects, connectMiniClient } from './demo-desktop/mini-client.ts';
import { startDemoDesktop, type DemoDesktopServer } from '../../../electron/demo/demo-desktop/server.ts';
import { missingTools, readScreenUntil, squash, startXfreerdp, startXvfb, type Xvfb, type XfreerdpClient } from '../../support/xfreerdp.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'mock-main-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Info {
  auth_url: string;
  users: Array<{ username: string; password: string; project_name: string; roles: string[] }>;
  servers: Array<{ id: string; name: string; status: string; vm_id: string; hypervisor_type: 'hyperv' | 'QEMU' }>;
  release: string;
  console_host: { host: string; port: number };
  console_credentials: { username: string; password: string };
  novnc_proxy: { host: string; port: number };
  serial_proxy: { host: string; port: number };
}

interface Running {
  child: ChildProcess;
  info: Info;
  stderr(): string;
  exited: Promise<number | null>;
}

function spawnDemo(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/demo/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

async function startDemo(args: string[]): Promise<Running> {
  const s = spawnDemo(['--port', '0', '--console-port', '0', '--data-dir', dataDir, ...args]);
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: s.child.stdout! });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    s.child.once('exit', (code) => reject(new Error(`exited with ${code} before printing: ${s.stderr()}`)));
  });
  return { child: s.child, info: JSON.parse(line), stderr: s.stderr, exited: s.exited };
}

async function stopDemo(r: Running | undefined): Promise<void> {
  if (!r || r.child.exitCode !== null || r.child.signalCode !== null) return;
  r.child.kill('SIGTERM');
  assert.equal(await r.exited, 0, r.stderr());
}

/** Whether something accepts TCP connections at host:port. */
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

/** A console URL from Nova (remote-consoles, 2.6), then its token looked up as the console proxy does (2.31). */
async function resolveConsole(info: Info, serverId: string): Promise<{ host: string; port: number; internal_access_path: string }> {
  const admin = info.users.find((u) => u.roles.includes('admin'))!;
  const token = await login(info.auth_url, admin.username, admin.password, admin.project_name);
  const compute = info.auth_url.replace('/identity/v3', '/compute/v2.1');
  const created = await raw(`${compute}/servers/${serverId}/remote-consoles`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.6', 'Content-Type': 'application/json' },
    body: JSON.stringify({ remote_console: { protocol: 'rdp', type: 'rdp-html5' } }),
  });
  assert.equal(created.status, 200, created.text);
  const consoleToken = new URL(created.json.remote_console.url).searchParams.get('token')!;
  const looked = await raw(`${compute}/os-console-auth-tokens/${consoleToken}`, {
    headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.31' },
  });
  assert.equal(looked.status, 200, looked.text);
  return looked.json.console;
}

async function powerAction(info: Info, serverId: string, action: 'os-stop' | 'os-start'): Promise<number> {
  const admin = info.users.find((u) => u.roles.includes('admin'))!;
  const token = await login(info.auth_url, admin.username, admin.password, admin.project_name);
  const res = await raw(`${info.auth_url.replace('/identity/v3', '/compute/v2.1')}/servers/${serverId}/action`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ [action]: null }),
  });
  return res.status;
}

describe('demo-cloud with its console host', () => {
  let demo: Running | undefined;
  before(async () => {
    demo = await startDemo(['--demo-fps', '2', '--token-ttl', '120', '--servers', '2', '--time-scale', '0.1', '--serial-port', '0']);
  });
  after(() => stopDemo(demo));

  it('prints a listening console host and its credentials', async () => {
    const { console_host, console_credentials, servers } = demo!.info;
    assert.equal(console_host.host, '127.0.0.1');
    assert.ok(await accepts(console_host.host, console_host.port), 'console host accepts connections');
    assert.equal(typeof console_credentials.username, 'string');
    assert.ok(console_credentials.password.length >= 8);
    // Hyper-V VM ids are upper-case GUIDs; a libvirt domain's UUID is the server id.
    assert.ok(servers.filter((s) => s.hypervisor_type === 'hyperv').every((s) => /^[0-9A-F-]{36}$/.test(s.vm_id)));
    assert.ok(servers.filter((s) => s.hypervisor_type === 'QEMU').every((s) => s.vm_id === s.id));
  });

  it('prints the noVNC proxy and the serial proxy, listening, and each server\'s hypervisor type', async () => {
    const { novnc_proxy, serial_proxy, servers, release } = demo!.info;
    assert.ok(await accepts(serial_proxy.host, serial_proxy.port), 'the serial proxy accepts connections');
    assert.equal(release, '2023.1');
    assert.equal(novnc_proxy.host, '127.0.0.1');
    assert.ok(await accepts(novnc_proxy.host, novnc_proxy.port), 'the noVNC proxy accepts connections');
    assert.equal(servers.find((s) => s.name === 'ubuntu-24-04-web')?.hypervisor_type, 'QEMU');
    assert.equal(servers.find((s) => s.name === 'win2022-web-01')?.hypervisor_type, 'hyperv');
    // The generated servers run on the Hyper-V hosts in a 2023.1 cloud.
    assert.ok(servers.filter((s) => s.name.startsWith('scale-')).every((s) => s.hypervisor_type === 'hyperv'));
  });

  it('token lookups name the console host and the VM id', async () => {
    const { info } = demo!;
    for (const s of info.servers.filter((x) => x.status === 'ACTIVE').slice(0, 3)) {
      const c = await resolveConsole(info, s.id);
      assert.deepEqual({ host: c.host, port: c.port }, info.console_host);
      assert.equal(c.internal_access_path, s.vm_id);
    }
  });

  it('stop and start change the status the cloud reports, and refuse the wrong state', async () => {
    const { info } = demo!;
    const s = info.servers.find((x) => x.name === 'win2022-web-02')!;
    assert.equal(await powerAction(info, s.id, 'os-start'), 409);
    assert.equal(await powerAction(info, s.id, 'os-stop'), 202);
    // Still powering off (--time-scale makes it take a tenth of a second or two).
    assert.equal(await powerAction(info, s.id, 'os-stop'), 409);
    let started = 409;
    for (let i = 0; i < 200 && started === 409; i++) {
      await new Promise((r) => setTimeout(r, 20));
      started = await powerAction(info, s.id, 'os-start');
    }
    assert.equal(started, 202);
  });

  describe('xfreerdp /vmconnect to the resolved console', { skip: missingTools() ?? false }, () => {
    let xvfb: Xvfb | undefined;
    let client: XfreerdpClient | undefined;
    before(async () => {
      xvfb = await startXvfb();
    });
    after(async () => {
      await client?.stop();
      await xvfb?.stop();
    });

    it('shows the VM name with NLA and the console credentials; os-stop ends the session, a new one shows the powered-off screen', async () => {
      const { info } = demo!;
      const server = info.servers.find((x) => x.name === 'jump-host')!;
      const c = await resolveConsole(info, server.id);
      const { username, password } = info.console_credentials;
      client = startXfreerdp(xvfb!.display, [
        `/vmconnect:${c.internal_access_path}`, `/v:${c.host}`, `/port:${c.port}`, '/sec:nla', `/u:${username}`, `/p:${password}`, '/cert:ignore', '/size:1024x768',
      ]);
      // Tesseract reads the blocky "jump" of this desktop's title in ever new ways ("Jdump-host", "JOUMeE host", also
      // read twice over as "aun host"): "HOST" is what is looked for. No other demo VM's name has it, and nothing
      // else on a demo desktop says it (ID, status, clock, typed line, pointer).
      const showsName = (t: string) => squash(t).includes('HOST');
      let text = await readScreenUntil(xvfb!.display, showsName);
      assert.ok(showsName(text), `OCR read: ${text}\n${client.output()}`);
      assert.equal(await powerAction(info, server.id, 'os-stop'), 202);
      await client.exited;
      client = startXfreerdp(xvfb!.display, [
        `/vmconnect:${c.internal_access_path}`, `/v:${c.host}`, `/port:${c.port}`, '/sec:nla', `/u:${username}`, `/p:${password}`, '/cert:ignore', '/size:1024x768',
      ]);
      text = await readScreenUntil(xvfb!.display, (t) => squash(t).includes('POWEREDOFF'));
      assert.ok(squash(text).includes('POWEREDOFF'), `OCR read after os-stop: ${text}\n${client.output()}`);
      await client.stop();
      client = undefined;
    });
  });
});

describe('demo-cloud --require-nla', { skip: missingTools() ?? false }, () => {
  let demo: Running | undefined;
  let xvfb: Xvfb | undefined;
  let client: XfreerdpClient | undefined;
  before(async () => {
    demo = await startDemo(['--require-nla', '--demo-fps', '1']);
    xvfb = await startXvfb();
  });
  after(async () => {
    await client?.stop();
    await xvfb?.stop();
    await stopDemo(demo);
  });

  it('refuses a TLS-only client and the process keeps serving', async () => {
    const { info } = demo!;
    const server = info.servers.find((x) => x.name === 'ad-dc-01')!;
    client = startXfreerdp(xvfb!.display, [`/vmconnect:${server.vm_id}`, '/v:127.0.0.1', `/port:${info.console_host.port}`, '/sec:tls', '/cert:ignore']);
    const code = await client.exited;
    assert.notEqual(code, 0, client.output());
    client = undefined;
    assert.ok(await accepts(info.console_host.host, info.console_host.port));
    assert.equal(demo!.child.exitCode, null);
  });
});

describe('demo-cloud --backend', () => {
  let backend: DemoDesktopServer | undefined;
  let demo: Running | undefined;
  after(async () => {
    await stopDemo(demo);
    await backend?.close();
  });

  it("relays that VM's console to the given RDP server; the other VMs keep their demo desktops", async () => {
    backend = await startDemoDesktop({ dataDir: join(dataDir, 'backend'), vm: { id: 'backend', name: 'RELAYED' }, fps: 0, log: () => {} });
    const vmId = '2B4C6D8E-0F1A-4B3C-9D5E-7F8A9B0C1D02'; // jump-host
    demo = await startDemo(['--backend', `${vmId.toLowerCase()}=127.0.0.1:${backend.port}`]);
    const relayed = await connectMiniClient(demo.info.console_host.port, undefined, vmId);
    const own = await connectMiniClient(demo.info.console_host.port, undefined, demo.info.servers[0].vm_id);
    try {
      await relayed.waitFor((f) => bitmapRects(f).length > 0);
      await own.waitFor((f) => bitmapRects(f).length > 0);
      assert.equal(backend.sessions.size, 1, 'exactly the relayed VM reached the backend');
    } finally {
      relayed.close();
      own.close();
    }
  });
});

describe('demo-cloud --release 2024.1', () => {
  let demo: Running | undefined;
  after(() => stopDemo(demo));

  it('prints only libvirt servers, no RDP console host, and the noVNC proxy', async () => {
    demo = await startDemo(['--release', '2024.1', '--novnc-port', '0']);
    const { info } = demo;
    assert.equal(info.release, '2024.1');
    assert.deepEqual(info.servers.map((s) => s.name).sort(), ['debian-12-db', 'fedora-40-dev', 'rocky-9-monitor', 'ubuntu-24-04-web']);
    assert.ok(info.servers.every((s) => s.hypervisor_type === 'QEMU'));
    assert.equal(info.console_host, undefined);
    assert.equal(info.console_credentials, undefined);
    assert.ok(await accepts(info.novnc_proxy.host, info.novnc_proxy.port));
  });
});

describe('demo-cloud flags', () => {
  it('an unknown flag, a bad --backend and a --backend for no VM exit 2 with one line', async () => {
    for (const args of [
      ['--bogus'], ['--backend', 'nohostport'], ['--backend', 'ABC=127.0.0.1:1'], ['--demo-fps', 'x'], ['--console-port'],
      ['--release', '2023.2'], ['--release', '2024.1', '--backend', '2B4C6D8E-0F1A-4B3C-9D5E-7F8A9B0C1D02=127.0.0.1:1'], ['--novnc-port', '70000'],
      ['--serial-port', 'x'], ['--time-scale', '-1'], ['--time-scale', 'fast'],
    ]) {
      const s = spawnDemo(['--port', '0', '--console-port', '0', '--data-dir', dataDir, ...args]);
      const code = await s.exited;
      assert.equal(code, 2, `${args.join(' ')}: ${s.stderr()}`);
      const lines = s.stderr().trim().split('\n');
      assert.equal(lines.length, 1, s.stderr());
      assert.match(lines[0], /^demo-cloud: /);
    }
  });
});
