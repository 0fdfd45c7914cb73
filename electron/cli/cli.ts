import { parseArgs as parseCommandLine } from 'node:util';
import { toApiError } from '../api/app-error.ts';
import { loadCloudConfigs, type ConfigSources } from '../openstack/clouds-config.ts';
import { createOpenStackConsoles } from '../openstack/console-service.ts';
import { AppError } from '../openstack/errors.ts';
import type { ConsoleProtocol } from '../common/contract.ts';
import { CONSOLE_PROTOCOLS } from '../openstack/compute.ts';

export const USAGE = `Usage:
  nova-console url SERVER [--type vnc|rdp|serial|spice] [--cloud NAME]
                                                   print a fresh console URL of a server (id or unique name): of
                                                   that type, else the first the server offers of VNC, RDP, serial
  nova-console resolve CONSOLE_URL [--cloud NAME]  print where a console URL's token leads (needs an admin)
  nova-console clouds                              list the configured clouds
  nova-console --help

Clouds come from clouds.yaml (./, ~/.config/openstack/, /etc/openstack/, or OS_CLIENT_CONFIG_FILE), secure.yaml,
and the OS_* variables (cloud 'envvars'). Without --cloud: OS_CLOUD, else the only cloud; resolve asks every cloud.
Output is one JSON object on stdout. Exit status: 0 ok, 2 usage or ambiguous server name, 1 any other error.`;

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  sources?: ConfigSources;
  timeoutMs?: number;
}

class UsageError extends Error {}

interface Parsed {
  command: string;
  arg?: string;
  cloud?: string;
  type?: ConsoleProtocol;
  help: boolean;
}

const OPTIONS = {
  cloud: { type: 'string' },
  'os-cloud': { type: 'string' },
  type: { type: 'string' },
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
  if (values.help || positionals[0] === 'help') return { command: 'help', help: true };
  for (const [flag, value] of [['--cloud', values.cloud], ['--os-cloud', values['os-cloud']]] as const) {
    if (value === '') throw new UsageError(`${flag} needs a cloud name`);
  }
  const cloud = values.cloud ?? values['os-cloud'];
  const type = values.type as ConsoleProtocol | undefined;
  if (type !== undefined && !CONSOLE_PROTOCOLS.includes(type)) throw new UsageError(`--type needs one of ${CONSOLE_PROTOCOLS.join(', ')}, got '${type}'`);
  const [command, arg, ...extra] = positionals;
  if (!command) throw new UsageError('no command given');
  if (!['url', 'resolve', 'clouds'].includes(command)) throw new UsageError(`unknown command '${command}'`);
  if (command !== 'clouds' && !arg) throw new UsageError(`${command} needs ${command === 'url' ? 'a SERVER (id or name)' : 'a CONSOLE_URL'}`);
  if (extra.length > 0 || (command === 'clouds' && arg)) throw new UsageError(`unexpected argument '${command === 'clouds' ? arg : extra[0]}'`);
  if (type !== undefined && command !== 'url') throw new UsageError('--type goes with the url command');
  return { command, arg, cloud, type, help: false };
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
    if (parsed.command === 'url') {
      if (names.length === 0) {
        throw new AppError('config', 'No clouds are configured: write a clouds.yaml (or set OS_CLIENT_CONFIG_FILE) or set the OS_* variables');
      }
      let cloud = pinned;
      if (cloud === undefined) {
        if (names.length > 1) throw new UsageError(`several clouds are configured (${names.join(', ')}): choose one with --cloud NAME`);
        cloud = names[0];
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
