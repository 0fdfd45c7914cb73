// The console host in front of real RDP servers (FreeRDP's shadow server): TLS relay, the host as CredSSP server
// relaying TLS, and CredSSP passed through with the backend's certificate and key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoConsoleHost, type DemoConsoleHost } from '../../../../electron/demo/console-host/index.ts';
import { missingTools, readScreenUntil, squash, startXfreerdp, startXvfb, type Xvfb, type XfreerdpClient } from '../../../support/xfreerdp.ts';

const SHADOW = '/usr/bin/freerdp-shadow-cli';
const XMESSAGE = '/usr/bin/xmessage';
const WINPR_HASH = '/usr/bin/winpr-hash';
// Fixed ports from this suite's range: the shadow server cannot listen on an ephemeral port and report it.
const TLS_PORT = 34020;
const NLA_PORT = 34021;

const skip = missingTools([SHADOW, XMESSAGE, WINPR_HASH]);

function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(t);
      res();
    });
    proc.kill('SIGTERM');
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

describe('console host relaying to FreeRDP shadow servers', { skip: skip ?? false }, () => {
  const home = mkdtempSync(join(tmpdir(), 'shadow-home-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'relay-host-'));
  let desktopX: Xvfb;
  let viewerX: Xvfb;
  const procs: ChildProcess[] = [];
  let host: DemoConsoleHost;
  let client: XfreerdpClient | null = null;
  const logs: string[] = [];

  before(async () => {
    desktopX = await startXvfb();
    viewerX = await startXvfb();
    const env = { ...process.env, HOME: home, DISPLAY: desktopX.display };
    procs.push(spawn(XMESSAGE, ['-fn', '-*-*-*-*-*-*-34-*-*-*-*-*-*-*', '-center', 'RELAYED DESKTOP'], { env, stdio: 'ignore' }));
    writeFileSync(join(home, 'nla.sam'), execFileSync(WINPR_HASH, ['-u', 'nlauser', '-p', 'Nla-Pass1', '-f', 'sam']));
    procs.push(spawn(SHADOW, [`/port:${TLS_PORT}`, '/bind-address:127.0.0.1', '/sec:tls', '-auth'], { env, stdio: 'ignore' }));
    await waitForPort(TLS_PORT);
    // The first shadow server created its certificate and key under HOME; the second one uses the same pair.
    procs.push(
      spawn(SHADOW, [`/port:${NLA_PORT}`, '/bind-address:127.0.0.1', '/sec:nla', `/sam-file:${join(home, 'nla.sam')}`, '-auth'], {
        env,
        stdio: 'ignore',
      }),
    );
    await waitForPort(NLA_PORT);
    const certDir = join(home, '.config/freerdp/shadow');
    assert.ok(existsSync(join(certDir, 'shadow.key')), 'shadow server key');
    const tls = { cert: readFileSync(join(certDir, 'shadow.crt'), 'utf8'), key: readFileSync(join(certDir, 'shadow.key'), 'utf8') };
    host = await startDemoConsoleHost({
      servers: [
        { id: 'vm-tls', name: 'unused', status: 'ACTIVE' },
        { id: 'vm-nla', name: 'unused', status: 'ACTIVE' },
      ],
      backends: new Map([
        ['vm-tls', { host: '127.0.0.1', port: TLS_PORT }],
        ['vm-nla', { host: '127.0.0.1', port: NLA_PORT, tls }],
      ]),
      dataDir,
      port: 0,
      credentials: { username: 'console', password: 'Console-Pass1' },
      log: (l) => logs.push(l),
    });
  });

  after(async () => {
    await client?.stop();
    await host?.close();
    for (const p of procs.reverse()) await stop(p);
    await viewerX?.stop();
    await desktopX?.stop();
    rmSync(home, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const view = async (args: string[]): Promise<string> => {
    client = startXfreerdp(viewerX.display, ['/v:127.0.0.1', `/port:${host.port}`, '/cert:ignore', '/size:1024x768', ...args]);
    const text = await readScreenUntil(viewerX.display, (s) => squash(s).includes('RELAYEDDESKTOP'));
    const out = client.output();
    await client.stop();
    client = null;
    await new Promise((r) => setTimeout(r, 300)); // let the backend notice the hang-up before the next session
    return `${text}\n${out}`;
  };

  it('relays a TLS-only /vmconnect client to a TLS backend', async () => {
    const text = await view(['/vmconnect:vm-tls', '/sec:tls']);
    assert.ok(squash(text).includes('RELAYEDDESKTOP'), text);
  });

  it('checks the console credentials itself, then relays to a TLS backend', async () => {
    const text = await view(['/vmconnect:vm-tls', '/sec:nla', '/u:console', '/p:Console-Pass1']);
    assert.ok(squash(text).includes('RELAYEDDESKTOP'), text);
  });

  it('passes CredSSP through to an NLA backend when it holds the backend key', async () => {
    const text = await view(['/vmconnect:vm-nla', '/sec:nla', '/u:nlauser', '/p:Nla-Pass1']);
    assert.ok(squash(text).includes('RELAYEDDESKTOP'), `${text}\n${logs.join('\n')}`);
  });
});
