import { parseArgs as parseCommandLine } from 'node:util';
import { toApiError } from '../api/app-error.ts';
import { loadCloudConfigs, type ConfigSources } from '../openstack/clouds-config.ts';
import { createOpenStackConsoles } from '../openstack/console-service.ts';
import { AppError } from '../openstack/errors.ts';
import type { ConsoleProtocol } from '../common/contract.ts';
import { CONSOLE_PROTOCOLS } from '../openstack/compute.ts';
import { newLogText } from './log-follow.ts';

export const USAGE = `Usage:
  nova-console url SERVER [--type vnc|rdp|serial|spice] [--cloud NAME]
                                                   print a fresh console URL of a server (id or unique name): of
                                                   that type, else the first the server offers of VNC, RDP, serial
  nova-console log SERVER [--lines N] [--follow] [--cloud NAME]
                                                   print a server's console log (the last N lines, else all of
                                                   it) as the server wrote it; --follow keeps printing what is
                                                   added until interrupted
  nova-console resolve CONSOLE_URL [--cloud NAME]  print where a console URL's token leads (needs an admin)
  nova-console clouds                              list the configured clouds
  nova-console --help

Clouds come from clouds.yaml (./, ~/.config/openstack/, /etc/openstack/, or OS_CLIENT_CONFIG_FILE), secure.yaml,
and the OS_* variables (cloud 'envvars'). Without --cloud: OS_CLOUD, else the only cloud; resolve asks every cloud.
Output is one JSON object on stdout (log prints the log itself). Exit status: 0 ok, 2 usage or ambiguous server name, 1 any other error.`;

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** The log itself, as it came (no line break added). */
  write?: (text: string) => void;
  sources?: ConfigSources;
  timeoutMs?: number;
  /** Ends `log --follow` (SIGINT in the real command). */
  signal?: AbortSignal;
  /** How often `log --follow` asks again (default 2 s). */
  followIntervalMs?: number;
}

class UsageError extends Error {}

interface Parsed {
  command: string;
  arg?: string;
  cloud?: string;
  type?: ConsoleProtocol;
  lines?: number;
  follow: boolean;
  help: boolean;
}

const OPTIONS = {
  cloud: { type: 'string' },
  'os-cloud': { type: 'string' },
  type: { type: 'string' },
  lines: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseArgs(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseCommandLine({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    // parseArgs names the argument it refused; its first line is the whole story for a usage error.
    throw new UsageError((err as Error).message.split('\n')[0], { cause: err });
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return { command: 'help', help: true, follow: false };
  for (const [flag, value] of [['--cloud', values.cloud], ['--os-cloud', values['os-cloud']]] as const) {
    if (value === '') throw new UsageError(`${flag} needs a cloud name`);
  }
  const cloud = values.cloud ?? values['os-cloud'];
  const type = values.type as ConsoleProtocol | undefined;
  if (type !== undefined && !CONSOLE_PROTOCOLS.includes(type)) throw new UsageError(`--type needs one of ${CONSOLE_PROTOCOLS.join(', ')}, got '${type}'`);
  const [command, arg, ...extra] = positionals;
  if (!command) throw new UsageError('no command given');
  if (!['url', 'log', 'resolve', 'clouds'].includes(command)) throw new UsageError(`unknown command '${command}'`);
  if (command !== 'clouds' && !arg) throw new UsageError(`${command} needs ${command === 'resolve' ? 'a CONSOLE_URL' : 'a SERVER (id or name)'}`);
  if (extra.length > 0 || (command === 'clouds' && arg)) throw new UsageError(`unexpected argument '${command === 'clouds' ? arg : extra[0]}'`);
  if (type !== undefined && command !== 'url') throw new UsageError('--type goes with the url command');
  if ((values.lines !== undefined || values.follow) && command !== 'log') throw new UsageError(`--${values.follow ? 'follow' : 'lines'} goes with the log command`);
  let lines: number | undefined;
  if (values.lines !== undefined) {
    lines = Number(values.lines);
    if (!/^\d+$/.test(values.lines) || lines < 1) throw new UsageError(`--lines needs a positive whole number, got '${values.lines}'`);
  }
  return { command, arg, cloud, type, lines, follow: values.follow === true, help: false };
}

/**
 * `log`: the log once, or with --follow again every interval, printing what is new, until the signal. A failure
 * while following ends the command like any other (the cloud went away: the administrator should know).
 */
async function printLog(service: ReturnType<typeof createOpenStackConsoles>, cloud: string, parsed: Parsed, io: CliIo): Promise<void> {
  const write = io.write ?? ((text: string) => io.stdout(text));
  let previous = '';
  for (;;) {
    const { output } = await service.consoleLog(cloud, parsed.arg!, parsed.lines);
    const { text, restarted } = newLogText(previous, output);
    if (restarted) io.stderr('nova-console: the console log started over');
    if (text) write(text);
    previous = output;
    if (!parsed.follow || io.signal?.aborted) return;
    const stopped = await sleep(io.followIntervalMs ?? 2000, io.signal);
    if (stopped) return;
  }
}

/** Resolves true when the signal ended the wait. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs one command; returns the exit status. Never throws and never prints a stack. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    io.stderr(`nova-console: ${(err as Error).message} (see nova-console --help)`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(USAGE);
    return 0;
  }
  let service: ReturnType<typeof createOpenStackConsoles> | undefined;
  try {
    const config = loadCloudConfigs(io.sources);
    service = createOpenStackConsoles({ clouds: config.clouds, timeoutMs: io.timeoutMs });
    const names = service.cloudNames();
    const pinned = parsed.cloud ?? config.selected;
    if (pinned !== undefined && !names.includes(pinned)) {
      throw new AppError('config', `No cloud named '${pinned}'${parsed.cloud ? '' : ' (from OS_CLOUD)'} (${names.length ? 'configured: ' + names.join(', ') : 'no clouds are configured'})`);
    }
    if (parsed.command === 'clouds') {
      for (const c of await service.listClouds()) io.stdout(JSON.stringify({ name: c.name, auth_url: c.authUrl, region: c.region ?? null }));
      return 0;
    }
    if (parsed.command === 'url' || parsed.command === 'log') {
      if (names.length === 0) {
        throw new AppError('config', 'No clouds are configured: write a clouds.yaml (or set OS_CLIENT_CONFIG_FILE) or set the OS_* variables');
      }
      let cloud = pinned;
      if (cloud === undefined) {
        if (names.length > 1) throw new UsageError(`several clouds are configured (${names.join(', ')}): choose one with --cloud NAME`);
        cloud = names[0];
      }
      if (parsed.command === 'log') {
        await printLog(service, cloud, parsed, io);
        return 0;
      }
      const r = await service.consoleUrl(cloud, parsed.arg!, parsed.type);
      io.stdout(JSON.stringify({ cloud: r.cloud, server_id: r.serverId, type: r.protocol, url: r.url }));
      return 0;
    }
    const r = await service.resolve(parsed.arg!, pinned);
    io.stdout(
      JSON.stringify({
        cloud: r.cloud,
        instance_uuid: r.instanceUuid,
        host: r.host,
        port: r.port,
        internal_access_path: r.internalAccessPath ?? null,
      }),
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`nova-console: ${err.message}`);
      return 2;
    }
    const e = toApiError(err);
    io.stderr(`nova-console: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
    return e.code === 'ambiguous' ? 2 : 1;
  } finally {
    service?.close();
  }
}
