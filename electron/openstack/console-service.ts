import type { CloudSummary, ListServersArgs, ServerPage } from '../common/contract.ts';
import type { ConsoleConnectInfo } from '../api/services.ts';
import type { ConsoleService } from '../api/services.ts';
import { caBundleOf, type CloudConfig } from './clouds-config.ts';
import { NovaClient, escapeRegex } from './compute.ts';
import { parseConsoleUrl } from './console-url.ts';
import { AppError, isAppError } from './errors.ts';
import { HttpClient } from './http.ts';
import { KeystoneSession } from './keystone.ts';

export interface OpenStackConsolesOptions {
  /** From loadCloudConfigs() plus any the app adds (the embedded demo cloud). */
  clouds: CloudConfig[];
  /** Clock for token expiry (tests). */
  now?: () => number;
  /** Per-request timeout when a cloud sets none. */
  timeoutMs?: number;
}

export interface OpenStackConsoles extends ConsoleService {
  cloudNames(): string[];
  serverName(cloud: string, serverId: string): Promise<string | undefined>;
  /** The Nova client of one cloud (the CLI and tests use it directly). */
  nova(cloud: string): NovaClient;
  /** Drops every connection; the service must not be used afterwards. */
  close(): void;
}

interface CloudClient {
  config: CloudConfig;
  http: HttpClient;
  nova: NovaClient;
}

/** The ConsoleService over real OpenStack clouds. */
export function createOpenStackConsoles(opts: OpenStackConsolesOptions): OpenStackConsoles {
  const configs = new Map<string, CloudConfig>();
  for (const c of opts.clouds) {
    if (configs.has(c.name)) throw new AppError('config', `Two clouds are named '${c.name}'`);
    configs.set(c.name, c);
  }
  const clients = new Map<string, CloudClient>();
  /** Console proxy hosts seen in URLs this service handed out, so resolve() asks the right cloud first. */
  const consoleHosts = new Map<string, string>();

  const configOf = (name: string): CloudConfig => {
    const c = configs.get(name);
    if (!c) {
      const known = [...configs.keys()];
      throw new AppError('not-found', `No cloud named '${name}' (${known.length ? 'configured: ' + known.join(', ') : 'no clouds are configured'})`);
    }
    return c;
  };

  const clientOf = (name: string): CloudClient => {
    const existing = clients.get(name);
    if (existing) return existing;
    const config = configOf(name);
    const http = new HttpClient({ verify: config.verify !== false, ca: caBundleOf(config) }, config.timeoutMs ?? opts.timeoutMs);
    const session = new KeystoneSession(config, http, opts.now);
    const client = { config, http, nova: new NovaClient(config, http, session) };
    clients.set(name, client);
    return client;
  };

  return {
    cloudNames: () => [...configs.keys()],
    nova: (cloud) => clientOf(cloud).nova,

    async listClouds(): Promise<CloudSummary[]> {
      return [...configs.values()].map((c) => ({
        name: c.name,
        label: c.label ?? c.name,
        authUrl: c.auth.auth_url,
        region: c.regionName,
        isDemo: c.isDemo === true,
      }));
    },

    async listServers(args: ListServersArgs): Promise<ServerPage> {
      const limit = args.limit;
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) {
        throw new AppError('bad-request', 'limit must be a whole number from 1 to 1000');
      }
      return inCloud(args.cloud, () =>
        clientOf(args.cloud).nova.listServers({
          limit,
          marker: args.marker || undefined,
          // The page's search is plain text; Nova reads `name` as an (unanchored) regular expression.
          name: args.name ? escapeRegex(args.name) : undefined,
          status: args.status || undefined,
          allProjects: args.allProjects,
        }),
      );
    },

    async consoleUrl(cloud: string, server: string) {
      return inCloud(cloud, async () => {
        const nova = clientOf(cloud).nova;
        const found = await nova.findServer(server.trim());
        const url = await nova.consoleUrl(found);
        try {
          consoleHosts.set(new URL(url).hostname, cloud);
        } catch {
          // an odd URL is the caller's to judge; it only loses the resolve() hint
        }
        return { cloud, serverId: found.id, url, name: found.name };
      });
    },

    async serverName(cloud: string, serverId: string): Promise<string | undefined> {
      return inCloud(cloud, async () => (await clientOf(cloud).nova.getServer(serverId))?.name);
    },

    async resolve(url: string, cloud?: string): Promise<ConsoleConnectInfo> {
      const parsed = parseConsoleUrl(url);
      const toInfo = (name: string, c: Awaited<ReturnType<NovaClient['resolveToken']>>): ConsoleConnectInfo => ({
        cloud: name,
        instanceUuid: c.instance_uuid,
        host: c.host,
        port: c.port,
        internalAccessPath: c.internal_access_path,
      });
      if (cloud !== undefined) {
        configOf(cloud);
        return inCloud(cloud, async () => toInfo(cloud, await clientOf(cloud).nova.resolveToken(parsed.token)));
      }
      const names = [...configs.keys()];
      if (names.length === 0) throw new AppError('config', 'No clouds are configured: write a clouds.yaml (or set OS_CLIENT_CONFIG_FILE) or set the OS_* variables');

      // The cloud whose hosts match the console proxy's host most likely issued the token: ask it first, alone.
      const likely = names.filter((n) => consoleHosts.get(parsed.host) === n || hostOf(configs.get(n)!.auth.auth_url) === parsed.host);
      const failures: Array<{ cloud: string; err: AppError }> = [];
      const attempt = async (name: string): Promise<ConsoleConnectInfo> => {
        try {
          return await inCloud(name, async () => toInfo(name, await clientOf(name).nova.resolveToken(parsed.token)));
        } catch (err) {
          failures.push({ cloud: name, err: asAppError(err) });
          throw err;
        }
      };
      for (const name of likely) {
        try {
          return await attempt(name);
        } catch {
          // recorded in failures; the other clouds may still know the token
        }
      }
      const rest = names.filter((n) => !likely.includes(n));
      if (rest.length > 0) {
        const settled = await Promise.allSettled(rest.map(attempt));
        const ok = settled.find((s): s is PromiseFulfilledResult<ConsoleConnectInfo> => s.status === 'fulfilled');
        if (ok) return ok.value;
      }
      throw summarize(failures);
    },

    close() {
      for (const c of clients.values()) c.http.close();
      clients.clear();
    },
  };
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function asAppError(err: unknown): AppError {
  return err instanceof AppError ? err : new AppError('internal', err instanceof Error ? err.message : String(err));
}

/** Names the cloud in transport failures, which by themselves only name a URL. */
async function inCloud<T>(cloud: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err, 'unreachable')) throw new AppError('unreachable', `Cloud '${cloud}' is unreachable: ${err.message}`, { cause: err });
    if (isAppError(err, 'tls')) throw new AppError('tls', `Cloud '${cloud}': ${err.message}`, { cause: err });
    throw err;
  }
}

/** One error for a token no cloud could resolve: the most telling reason first, the others after it. */
function summarize(failures: Array<{ cloud: string; err: AppError }>): AppError {
  if (failures.length === 1) return failures[0].err;
  const line = (f: { cloud: string; err: AppError }) => (f.err.message.includes(`'${f.cloud}'`) ? f.err.message : `${f.cloud}: ${f.err.message}`);
  const others = (skip: string) => failures.filter((f) => f.err.code !== skip).map(line);
  const clouds = (code: string) => failures.filter((f) => f.err.code === code).map((f) => f.cloud);
  const tail = (list: string[]) => (list.length ? `; also ${list.join('; ')}` : '');
  const expired = clouds('token-expired');
  if (expired.length) {
    return new AppError('token-expired', `The console token is expired or unknown (asked ${expired.map((c) => `'${c}'`).join(', ')})${tail(others('token-expired'))}`);
  }
  const forbidden = clouds('forbidden');
  if (forbidden.length) {
    return new AppError(
      'forbidden',
      `Looking up console tokens needs an admin: ${forbidden.map((c) => `'${c}'`).join(', ')} refused this user (403)${tail(others('forbidden'))}`,
    );
  }
  return new AppError(failures[0].err.code, failures.map(line).join('; '));
}
