// Standalone demo cloud: `npm run -s mock-cloud -- --port P [--token-ttl S] [--servers N] [--console-host H:P]`.
// Prints the cloud's description as one JSON line before anything else, then serves until SIGTERM or SIGINT.
import { startMockCloud, type MockCloudOptions } from './cloud/index.ts';

const USAGE = 'usage: mock-cloud [--port P] [--token-ttl SECONDS] [--servers N] [--console-host HOST:PORT]';

class UsageError extends Error {}

function integer(flag: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${text === undefined ? 'nothing' : `'${text}'`}`);
  }
  return Number(text);
}

export function parseArgs(argv: string[]): MockCloudOptions {
  const opts: MockCloudOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        opts.port = integer('--port', value(), 0, 65535);
        break;
      case '--token-ttl':
        opts.tokenTtlSeconds = integer('--token-ttl', value(), 1, 86400 * 365);
        break;
      case '--servers':
        opts.extraServers = integer('--servers', value(), 0, 100000);
        break;
      case '--console-host': {
        const text = value();
        const m = text === undefined ? null : /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
        if (!m) throw new UsageError(`--console-host needs HOST:PORT, got ${text === undefined ? 'nothing' : `'${text}'`}`);
        opts.consoleHost = { host: m[1].replace(/^\[|\]$/g, ''), port: integer('--console-host port', m[2], 1, 65535) };
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
  return opts;
}

async function main(): Promise<void> {
  // A stop request that arrives while the port is still opening is honoured once the cloud is up.
  let stopRequested = false;
  let stop = () => {
    stopRequested = true;
  };
  process.once('SIGTERM', () => stop());
  process.once('SIGINT', () => stop());
  let opts: MockCloudOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`mock-cloud: ${err.message}\n`);
    process.exit(2);
  }
  let cloud;
  try {
    cloud = await startMockCloud(opts);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `port ${opts.port} is already in use` : code === 'EACCES' ? `no permission to listen on port ${opts.port}` : (err as Error).message;
    process.stderr.write(`mock-cloud: cannot start: ${reason}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(cloud.info) + '\n');
  const running = cloud;
  stop = () => {
    running.close().then(() => process.exit(0));
  };
  if (stopRequested) stop();
}

await main();
