// Standalone demo cloud: `npm run -s demo-cloud -- --port P [flags]` starts the mock Keystone + Nova and what its
// consoles lead to: the emulated Hyper-V console host (RDP) and, for the libvirt servers, a VNC server per VM behind
// a noVNC proxy, each VM showing a live demo desktop, and a serial port per VM behind a serial console proxy. Prints the cloud's description as one JSON line before
// anything else, then serves until SIGTERM or SIGINT.
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { startDemoEnvironment, UnknownBackendVm, type DemoEnvironment, type DemoEnvironmentOptions } from './environment.ts';
import { DEMO_RELEASES, type DemoRelease } from './cloud/release.ts';
import { ConsoleHostOptionError, parseBackendOption, type RelayBackend } from './console-host/index.ts';

const USAGE =
  'usage: demo-cloud [--port P] [--console-port P] [--require-nla] [--backend VMID=HOST:PORT[,cert=PATH,key=PATH]]... ' +
  '[--demo-fps N] [--demo-animation box|fullscreen] [--token-ttl SECONDS] [--servers N] [--data-dir DIR] [--console-host HOST:PORT] ' +
  '[--release 2023.1|2024.1] [--novnc-port P] [--serial-port P] [--time-scale X]';

class UsageError extends Error {}

function integer(flag: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${text === undefined ? 'nothing' : `'${text}'`}`);
  }
  return Number(text);
}

/** Where the demo desktops' certificate is kept when --data-dir is not given: per user, so it survives restarts. */
export function defaultDataDir(): string {
  let user = 'user';
  try {
    user = userInfo().username.replace(/[^\w.-]/g, '_') || user;
  } catch {
    // No passwd entry (some containers): one shared name is still a working folder.
  }
  return join(tmpdir(), `nova-console-demo-${user}`);
}

// Every value is read as a string and checked below, so a bad number gets this command's message, not parseArgs' own.
const OPTIONS = {
  port: { type: 'string' },
  'console-port': { type: 'string' },
  'require-nla': { type: 'boolean' },
  backend: { type: 'string', multiple: true },
  'demo-fps': { type: 'string' },
  'demo-animation': { type: 'string' },
  'token-ttl': { type: 'string' },
  servers: { type: 'string' },
  'data-dir': { type: 'string' },
  'console-host': { type: 'string' },
  release: { type: 'string' },
  'novnc-port': { type: 'string' },
  'serial-port': { type: 'string' },
  'time-scale': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseArgs(argv: string[]): DemoEnvironmentOptions {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  let values;
  try {
    ({ values } = parseCommandLine({ args: argv, options: OPTIONS, strict: true }));
  } catch (err) {
    // parseArgs names the argument it refused; its first line is the whole story for a usage error.
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (${USAGE})`, { cause: err });
  }
  const opts: DemoEnvironmentOptions = { dataDir: '' };
  if (values.port !== undefined) opts.cloudPort = integer('--port', values.port, 0, 65535);
  if (values['console-port'] !== undefined) opts.consolePort = integer('--console-port', values['console-port'], 0, 65535);
  if (values['require-nla']) opts.requireNla = true;
  const backends = new Map<string, RelayBackend>();
  for (const text of values.backend ?? []) {
    try {
      const { vmId, backend } = parseBackendOption(text);
      backends.set(vmId, backend);
    } catch (err) {
      if (err instanceof ConsoleHostOptionError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (values['demo-fps'] !== undefined) opts.fps = integer('--demo-fps', values['demo-fps'], 0, 120);
  const animation = values['demo-animation'];
  if (animation !== undefined) {
    if (animation !== 'box' && animation !== 'fullscreen') throw new UsageError(`--demo-animation needs box or fullscreen, got '${animation}'`);
    opts.animation = animation;
  }
  if (values['token-ttl'] !== undefined) opts.tokenTtlSeconds = integer('--token-ttl', values['token-ttl'], 1, 86400 * 365);
  if (values.servers !== undefined) opts.extraServers = integer('--servers', values.servers, 0, 100000);
  if (values['data-dir'] !== undefined) {
    if (!values['data-dir']) throw new UsageError('--data-dir needs a folder');
    opts.dataDir = values['data-dir'];
  }
  const consoleHost = values['console-host'];
  if (consoleHost !== undefined) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(consoleHost);
    if (!m) throw new UsageError(`--console-host needs HOST:PORT, got '${consoleHost}'`);
    opts.externalConsoleHost = { host: m[1].replace(/^\[|\]$/g, ''), port: integer('--console-host port', m[2], 1, 65535) };
  }
  if (opts.externalConsoleHost && (opts.consolePort !== undefined || opts.requireNla || backends.size > 0 || opts.fps !== undefined || opts.animation !== undefined)) {
    throw new UsageError('--console-host points tokens at another console host; it cannot be combined with --console-port, --require-nla, --backend, --demo-fps or --demo-animation');
  }
  const release = values.release;
  if (release !== undefined) {
    if (!(DEMO_RELEASES as readonly string[]).includes(release)) throw new UsageError(`--release needs ${DEMO_RELEASES.join(' or ')}, got '${release}'`);
    opts.release = release as DemoRelease;
  }
  // A 2024.1 cloud has no Hyper-V hosts: no VM to relay, no console host to point at. (--console-port and
  // --require-nla are accepted and have nothing to act on, so scripts can pass them whatever the release.)
  if (opts.release === '2024.1' && (opts.externalConsoleHost || backends.size > 0)) {
    throw new UsageError('--release 2024.1 has no Hyper-V hosts; it cannot be combined with --console-host or --backend');
  }
  if (values['novnc-port'] !== undefined) opts.novncPort = integer('--novnc-port', values['novnc-port'], 0, 65535);
  if (values['serial-port'] !== undefined) opts.serialPort = integer('--serial-port', values['serial-port'], 0, 65535);
  const scale = values['time-scale'];
  if (scale !== undefined) {
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(scale) || Number(scale) > 100) throw new UsageError(`--time-scale needs a number from 0 to 100, got '${scale}'`);
    opts.timeScale = Number(scale);
  }
  if (backends.size > 0) opts.backends = backends;
  opts.dataDir ||= defaultDataDir();
  return opts;
}

function startFailure(err: unknown, opts: DemoEnvironmentOptions): string {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e.syscall === 'listen') {
    if (e.code === 'EADDRINUSE') return `port ${e.port} is already in use`;
    if (e.code === 'EACCES') return `no permission to listen on port ${e.port}`;
  }
  if (e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOTDIR') return `cannot write the certificate in ${opts.dataDir}`;
  return e.message;
}

async function main(): Promise<void> {
  // A stop request that arrives while the servers are still starting is honoured once they are up.
  let stopRequested = false;
  let stop = () => {
    stopRequested = true;
  };
  process.once('SIGTERM', () => stop());
  process.once('SIGINT', () => stop());
  let opts: DemoEnvironmentOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`demo-cloud: ${err.message}\n`);
    process.exit(2);
  }
  let env: DemoEnvironment;
  try {
    env = await startDemoEnvironment({ ...opts, log: (line) => process.stderr.write(`demo-cloud: ${line}\n`) });
  } catch (err) {
    if (err instanceof UnknownBackendVm) {
      process.stderr.write(`demo-cloud: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`demo-cloud: cannot start: ${startFailure(err, opts)}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(env.info) + '\n');
  const running = env;
  stop = () => {
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`demo-cloud: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  if (stopRequested) stop();
}

await main();
