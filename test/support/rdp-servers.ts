import { connect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portPicker } from './ports.ts';
import { haveBinary, spawnTracked, startXvfb, type Tracked, type XDisplay } from './xvfb.ts';

/**
 * Real RDP servers for end-to-end tests: FreeRDP's shadow server sharing an Xvfb desktop, with TLS only or with
 * NLA against a SAM file. Fixed ports come from this suite's range (33900-33999); every process is stopped by PID.
 */

export const PORT_RANGE = { first: 33900, last: 33999 } as const;

export const SHADOW = '/usr/bin/freerdp-shadow-cli';

/** Why the shadow-server tests cannot run here, or false. */
export function shadowMissing(): string | false {
  for (const bin of ['/usr/bin/Xvfb', SHADOW, '/usr/bin/winpr-hash', '/usr/bin/xterm', '/usr/bin/xsetroot', '/usr/bin/xwininfo']) {
    if (!haveBinary(bin)) return `${bin} is not installed (run scripts/install-test-deps.sh)`;
  }
  return false;
}

/** A free port of this suite's range (see ports.ts). */
const ports = portPicker(PORT_RANGE);
export const pickPort = () => ports.pick();

/** Waits until something accepts TCP connections on the port (bounded), or the process dies. */
export async function waitForPort(port: number, proc: Tracked, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited()) throw new Error(`the server exited before listening on ${port}:\n${proc.output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms:\n${proc.output()}`);
}

/** The colours the test desktop is drawn with, so pixel assertions know what to look for. */
export const DESKTOP = {
  /** xsetroot -solid */
  root: { hex: '#2060c0', rgb: [0x20, 0x60, 0xc0] as const },
  /** An xterm with this background at +0+0. */
  xterm: { bg: '#f0e020', rgb: [0xf0, 0xe0, 0x20] as const, geometry: '50x12+0+0' },
};

export interface Desktop {
  x: XDisplay;
  procs: Tracked[];
  stop(): Promise<void>;
}

/** Xvfb with a solid root colour and a coloured xterm running a shell, for pixel and typing checks. */
export async function startDesktop(): Promise<Desktop> {
  const x = await startXvfb();
  const env = { ...process.env, DISPLAY: x.display };
  const procs: Tracked[] = [];
  try {
    const xterm = spawnTracked('xterm', ['-geometry', DESKTOP.xterm.geometry, '-bg', DESKTOP.xterm.bg, '-fg', 'black', '-fa', 'DejaVu Sans Mono', '-fs', '14', '-e', '/bin/sh'], {
      ...env,
      PS1: '$ ',
    });
    procs.push(xterm);
    // Bounded wait for the xterm window to be mapped.
    for (let i = 0; i < 100; i++) {
      const out = execFileSync('xwininfo', ['-root', '-children'], { env, timeout: 5000 }).toString();
      if (/xterm/i.test(out) || /children:\s*[1-9]/.test(out)) break;
      if (xterm.exited()) throw new Error('xterm exited: ' + xterm.output());
      await new Promise((r) => setTimeout(r, 100));
    }
    // After the xterm so the display always has a client (Xvfb also runs with -noreset).
    execFileSync('xsetroot', ['-solid', DESKTOP.root.hex], { env, timeout: 10_000 });
  } catch (err) {
    for (const p of procs) await p.stop();
    await x.stop();
    throw err;
  }
  return {
    x,
    procs,
    stop: async () => {
      for (const p of procs) await p.stop();
      await x.stop();
    },
  };
}

export interface ShadowServer {
  port: number;
  proc: Tracked;
  /** The server's own TLS certificate and key, PEM (made on first start in its config folder). */
  certPem(): string;
  keyPem(): string;
  stop(): Promise<void>;
}

export interface ShadowOptions {
  display: string;
  /** NLA against a SAM file with this account; TLS only without authentication when absent. */
  nla?: { user: string; password: string };
}

export async function startShadow(opts: ShadowOptions): Promise<ShadowServer> {
  const port = await pickPort();
  // A private HOME: the shadow server makes its certificate and key under ~/.config/freerdp/shadow.
  const home = mkdtempSync(join(tmpdir(), 'shadow-home-'));
  const args = ['/bind-address:127.0.0.1', `/port:${port}`];
  if (opts.nla) {
    const sam = execFileSync('winpr-hash', ['-u', opts.nla.user, '-p', opts.nla.password, '-f', 'sam'], { timeout: 10_000 }).toString();
    const samFile = join(home, 'nla.sam');
    writeFileSync(samFile, sam);
    args.push('/sec:nla', `/sam-file:${samFile}`);
  } else {
    args.push('/sec:tls', '-auth');
  }
  const proc = spawnTracked(SHADOW, args, { ...process.env, DISPLAY: opts.display, HOME: home, XDG_CONFIG_HOME: join(home, '.config') });
  try {
    await waitForPort(port, proc);
  } catch (err) {
    await proc.stop();
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  const serverDir = join(home, '.config', 'freerdp', 'shadow');
  const read = (name: string) => {
    const f = join(serverDir, name);
    if (!existsSync(f)) throw new Error(`the shadow server wrote no ${name} in ${serverDir}`);
    return readFileSync(f, 'utf8');
  };
  return {
    port,
    proc,
    certPem: () => read('shadow.crt'),
    keyPem: () => read('shadow.key'),
    stop: async () => {
      await proc.stop();
      ports.release(port);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
