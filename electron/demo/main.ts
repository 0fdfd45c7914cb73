// Standalone demo cloud: `npm run -s demo-cloud -- --port P [flags]` starts the mock Keystone + Nova and the emulated
// Hyper-V console host with a live demo desktop per VM. Prints the cloud's description as one JSON line before
// anything else, then serves until SIGTERM or SIGINT.
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startDemoEnvironment, UnknownBackendVm, type DemoEnvironment, type DemoEnvironmentOptions } from './environment.ts';
import { ConsoleHostOptionError, parseBackendOption, type RelayBackend } from './console-host/index.ts';

const USAGE =
  'usage: demo-cloud [--port P] [--console-port P] [--require-nla] [--backend VMID=HOST:PORT[,cert=PATH,key=PATH]]... ' +
  '[--demo-fps N] [--demo-animation box|fullscreen] [--token-ttl SECONDS] [--servers N] [--data-dir DIR] [--console-host HOST:PORT]';

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

export function parseArgs(argv: string[]): DemoEnvironmentOptions {
  const opts: DemoEnvironmentOptions = { dataDir: '' };
  const backends = new Map<string, RelayBackend>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        opts.cloudPort = integer('--port', value(), 0, 65535);
        break;
      case '--console-port':
        opts.consolePort = integer('--console-port', value(), 0, 65535);
        break;
      case '--require-nla':
        if (inline !== undefined) throw new UsageError('--require-nla takes no value');
        opts.requireNla = true;
        break;
      case '--backend': {
        const text = value();
        if (text === undefined) throw new UsageError('--backend needs VMID=HOST:PORT[,cert=PATH,key=PATH]');
        try {
          const { vmId, backend } = parseBackendOption(text);
          backends.set(vmId, backend);
        } catch (err) {
          if (err instanceof ConsoleHostOptionError) throw new UsageError(err.message);
          throw err;
        }
        break;
      }
      case '--demo-fps':
        opts.fps = integer('--demo-fps', value(), 0, 120);
        break;
      case '--demo-animation': {
        const text = value();
        if (text !== 'box' && text !== 'fullscreen') throw new UsageError(`--demo-animation needs box or fullscreen, got ${text === undefined ? 'nothing' : `'${text}'`}`);
        opts.animation = text;
        break;
      }
      case '--token-ttl':
        opts.tokenTtlSeconds = integer('--token-ttl', value(), 1, 86400 * 365);
        break;
      case '--servers':
        opts.extraServers = integer('--servers', value(), 0, 100000);
        break;
      case '--data-dir': {
        const text = value();
        if (!text) throw new UsageError('--data-dir needs a folder');
        opts.dataDir = text;
        break;
      }
      case '--console-host': {
        const text = value();
        const m = text === undefined ? null : /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
        if (!m) throw new UsageError(`--console-host needs HOST:PORT, got ${text === undefined ? 'nothing' : `'${text}'`}`);
        opts.externalConsoleHost = { host: m[1].replace(/^\[|\]$/g, ''), port: integer('--console-host port', m[2], 1, 65535) };
        break;
      }
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown option '${arg}' (${USAGE})`);
    }
  }
  if (opts.externalConsoleHost && (opts.consolePort !== undefined || opts.requireNla || backends.size > 0 || opts.fps !== undefined || opts.animation !== undefined)) {
    throw new UsageError('--console-host points tokens at another console host; it cannot be combined with --console-port, --require-nla, --backend, --demo-fps or --demo-animation');
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
    running.close().then(() => process.exit(0));
  };
  if (stopRequested) stop();
}

await main();
