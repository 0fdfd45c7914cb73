import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portPicker } from './ports.ts';
import { displayNumberOf, haveBinary, spawnTracked, type Tracked } from './xvfb.ts';
import { waitForPort } from './rdp-servers.ts';

/**
 * Real VNC servers and console proxies from Debian for the relay tests: TigerVNC's Xvnc, QEMU's VNC server (the
 * one Nova's libvirt driver uses; SeaBIOS with no disk) and its monitor, websockify with a token file (the same
 * `?token=` query as Nova's proxies), plain or TLS. Ports come from this suite's range (34000-34099); every
 * process is started and stopped by PID.
 */

export const VNC_PORT_RANGE = { first: 34000, last: 34099 } as const;

const BINARIES = ['/usr/bin/Xvnc', '/usr/bin/tigervncpasswd', '/usr/bin/websockify', '/usr/bin/qemu-system-x86_64', '/usr/bin/python3', '/usr/bin/openssl'];

/** Why the real-server tests cannot run here, or false. */
export function vncServersMissing(): string | false {
  for (const bin of BINARIES) if (!haveBinary(bin)) return `${bin} is not installed (run scripts/install-test-deps.sh)`;
  return false;
}

/** A free port of this suite's range (see ports.ts). */
const ports = portPicker(VNC_PORT_RANGE);
export const pickVncPort = () => ports.pick();

export interface Server {
  port: number;
  proc: Tracked;
  stop(): Promise<void>;
}

/** Starts a program that listens on `port`, waits (bounded) until it accepts connections. */
async function startListening(cmd: string, args: string[], port: number, env: NodeJS.ProcessEnv = process.env, extraFds = 0): Promise<Server> {
  const proc = spawnTracked(cmd, args, env, extraFds);
  try {
    await waitForPort(port, proc);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { port, proc, stop: () => proc.stop() };
}

export interface Xvnc extends Server {
  /** ":N", for X clients drawing on it. */
  display: string;
}

/** TigerVNC's Xvnc, security None, RFB on loopback only; the X display number is chosen by the server (-displayfd). */
export async function startXvnc(opts: { width?: number; height?: number; passwordFile?: string } = {}): Promise<Xvnc> {
  const { width = 800, height = 600 } = opts;
  const port = await pickVncPort();
  // Security None, or VNC authentication with a password file written by `vncpasswd -f` (vncPasswordFile).
  const security = opts.passwordFile ? ['-SecurityTypes', 'VncAuth', '-rfbauth', opts.passwordFile] : ['-SecurityTypes', 'None'];
  const args = ['-displayfd', '3', '-geometry', `${width}x${height}`, '-depth', '24', ...security, '-rfbport', String(port), '-localhost', '-nolisten', 'tcp', '-noreset'];
  const proc = spawnTracked('Xvnc', args, process.env, 1);
  try {
    const number = await displayNumberOf(proc, 'Xvnc');
    await waitForPort(port, proc);
    return { port, proc, display: `:${number}`, stop: () => proc.stop() };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** Writes `password` as TigerVNC's obfuscated password file (`vncpasswd -f`) at `path`. */
export function vncPasswordFile(path: string, password: string): string {
  const out = spawnSync('/usr/bin/tigervncpasswd', ['-f'], { input: `${password}\n` });
  if (out.status !== 0) throw new Error(`vncpasswd -f failed: ${out.stderr.toString()}`);
  writeFileSync(path, out.stdout, { mode: 0o600 });
  return path;
}

export interface Qemu {
  /** QEMU's VNC server (RFB 3.8). */
  vncPort: number;
  /** QEMU's human monitor over TCP: it speaks first, and not RFB. */
  monitorPort: number;
  proc: Tracked;
  stop(): Promise<void>;
}

/** A diskless x86 VM (SeaBIOS: "No bootable device."), no KVM needed, VNC and monitor on loopback. */
export async function startQemu(): Promise<Qemu> {
  const vncPort = await pickVncPort();
  const monitorPort = await pickVncPort();
  const args = [
    '-display', 'none', '-nodefaults', '-vga', 'std', '-m', '64',
    '-vnc', `127.0.0.1:${vncPort - 5900}`,
    '-monitor', `tcp:127.0.0.1:${monitorPort},server=on,wait=off`,
  ];
  const s = await startListening('qemu-system-x86_64', args, vncPort);
  try {
    await waitForPort(monitorPort, s.proc);
  } catch (err) {
    await s.stop();
    throw err;
  }
  return { vncPort, monitorPort, proc: s.proc, stop: () => s.stop() };
}

export interface Websockify extends Server {
  /** Adds a `token: host:port` line (the TokenFile plugin reads the file on every connection). */
  addToken(token: string, host: string, port: number): void;
  /** Everything websockify printed so far (it logs each request's path). */
  output(): string;
}

/** websockify in front of VNC servers, targets from a token file; TLS only with a certificate. */
export async function startWebsockify(opts: { cert?: { cert: string; key: string } } = {}): Promise<Websockify> {
  const port = await pickVncPort();
  const dir = mkdtempSync(join(tmpdir(), 'websockify-'));
  const tokens = join(dir, 'tokens');
  writeFileSync(tokens, '');
  const args = ['--verbose', '--token-plugin', 'TokenFile', '--token-source', tokens];
  if (opts.cert) {
    writeFileSync(join(dir, 'cert.pem'), opts.cert.cert);
    writeFileSync(join(dir, 'key.pem'), opts.cert.key);
    args.push('--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--ssl-only');
  }
  args.push(`127.0.0.1:${port}`);
  let s: Server;
  try {
    s = await startListening('websockify', args, port);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...s,
    addToken: (token, host, p) => appendFileSync(tokens, `${token}: ${host}:${p}\n`),
    output: () => s.proc.output(),
    stop: async () => {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Python's http.server: an HTTP server, which (like every HTTP server) waits for the client to speak first. */
export function startHttpServer(): Promise<Server> {
  return pickVncPort().then((port) => startListening('/usr/bin/python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port)], port, { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }));
}

export interface TlsIdentity {
  cert: string;
  key: string;
  der: Buffer;
}

/** Certificates made with Debian's openssl command line. */
export function makeCertificates(): { selfSigned: TlsIdentity; otherSelfSigned: TlsIdentity; ca: string; caSigned: TlsIdentity } {
  const dir = mkdtempSync(join(tmpdir(), 'relay-certs-'));
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const identity = (cert: string, key: string): TlsIdentity => ({ cert: read(cert), key: read(key), der: Buffer.from(new X509Certificate(read(cert)).raw) });
  try {
    const selfSigned = (name: string) => {
      ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', `${name}.key`, '-out', `${name}.pem`]);
      return identity(`${name}.pem`, `${name}.key`);
    };
    const a = selfSigned('proxy-a');
    const b = selfSigned('proxy-b');
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=Relay Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-keyout', 'ca.key', '-out', 'ca.pem']);
    ssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'leaf.key', '-out', 'leaf.csr']);
    writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    ssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', 'leaf.ext', '-out', 'leaf.pem']);
    return { selfSigned: a, otherSelfSigned: b, ca: read('ca.pem'), caSigned: identity('leaf.pem', 'leaf.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
