import type { CloudSummary, ConsoleLog, ConsoleProtocol, ListServersArgs, ServerAction, ServerDetails, ServerPage, ServerSummary } from '../common/contract.ts';
import type { ConsoleConnectInfo } from '../api/services.ts';
import type { ConsoleService, ConsoleUrlResult, ServerService } from '../api/services.ts';
import { caBundleOf, type CloudConfig } from './clouds-config.ts';
import { CONSOLE_PROTOCOLS, CONSOLE_REQUESTS, ConsoleUnavailable, NovaClient, SERVER_ID, escapeRegex } from './compute.ts';
import { parseConsoleUrl } from './console-url.ts';
import { AppError, isAppError } from './errors.ts';
import { HttpClient } from './http.ts';
import { isObject, parseBody } from './envelope.ts';
import { KeystoneSession } from './keystone.ts';
import { ServerOperations } from './server-operations.ts';

export interface OpenStackConsolesOptions {
  /** From loadCloudConfigs() plus any the app adds (the embedded demo cloud). */
  clouds: CloudConfig[];
  /** Clock for token expiry (tests). */
  now?: () => number;
  /** Per-request timeout when a cloud sets none. */
  timeoutMs?: number;
}

/**
 * The order in which a console type is picked when the caller names none: VNC (libvirt, VMware, Ironic), RDP
 * (Hyper-V clouds up to 2023.1), serial. SPICE is never picked: the app cannot open it yet.
 */
export const AUTO_CONSOLE_ORDER: readonly ConsoleProtocol[] = ['vnc', 'rdp', 'serial'];

/** ConsoleUrlResult as this service returns it: the console type is always named. */
export type OpenStackConsoleUrl = ConsoleUrlResult & { protocol: ConsoleProtocol };

export interface OpenStackConsoles extends ConsoleService, ServerService {
  /** As ConsoleService's, with the protocol always set. */
  consoleUrl(cloud: string, server: string, protocol?: ConsoleProtocol): Promise<OpenStackConsoleUrl>;
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
  servers: ServerOperations;
}

/** A console request sent before the server's details were known (see consoleUrl). */
interface EarlyRequest {
  protocol: ConsoleProtocol;
  answer: ReturnType<NovaClient['requestConsole']>;
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
    const nova = new NovaClient(config, http, session);
    const client = { config, http, nova, servers: new ServerOperations({ cloud: name, nova, imageName: imageNames(session, http) }) };
    clients.set(name, client);
    return client;
  };

  /** Per cloud, the type that last answered an automatic pick: the next server of that cloud tries it first. */
  const lastWorked = new Map<string, ConsoleProtocol>();

  /** The types an automatic pick tries, in AUTO_CONSOLE_ORDER with the cloud's last working type moved to the front. */
  const autoOrder = (cloud: string): ConsoleProtocol[] => {
    const last = lastWorked.get(cloud);
    return last ? [last, ...AUTO_CONSOLE_ORDER.filter((p) => p !== last)] : [...AUTO_CONSOLE_ORDER];
  };

  /**
   * The first console type the server offers, in autoOrder. Only 'unavailable' refusals move on to the next type;
   * anything else (not ready, forbidden, unreachable) is the answer for every type and ends the search. `early` is
   * the first type's request when it already went out.
   */
  const firstOffered = async (
    cloud: string,
    nova: NovaClient,
    server: ServerSummary,
    early?: EarlyRequest,
  ): Promise<{ protocol: ConsoleProtocol; url: string }> => {
    const refused: AppError[] = [];
    for (const protocol of autoOrder(cloud)) {
      try {
        const url = early?.protocol === protocol ? await early.answer(server) : await nova.consoleUrl(server, protocol);
        lastWorked.set(cloud, protocol);
        return { protocol, url };
      } catch (err) {
        if (!isAppError(err, 'unavailable')) throw err;
        refused.push(err);
      }
    }
    throw noConsole(cloud, server, refused);
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

    async consoleUrl(cloud: string, server: string, protocol?: ConsoleProtocol): Promise<OpenStackConsoleUrl> {
      if (protocol !== undefined && !CONSOLE_PROTOCOLS.includes(protocol)) {
        throw new AppError('bad-request', `Unknown console protocol ${JSON.stringify(protocol)} (expected ${CONSOLE_PROTOCOLS.join(', ')})`);
      }
      return inCloud(cloud, async () => {
        const nova = clientOf(cloud).nova;
        const wanted = server.trim();
        // Given an id (as the sidebar gives), the console request goes out beside the server's lookup rather than
        // after it: one Nova round trip less before the console opens. The lookup still comes first in the answer,
        // since a server that does not exist is the error to show, and its name and status word any refusal.
        const firstType = protocol ?? autoOrder(cloud)[0];
        const early = SERVER_ID.test(wanted) ? { protocol: firstType, answer: nova.requestConsole(wanted, firstType) } : undefined;
        const found = await nova.findServer(wanted);
        // (An id that named no server was looked up as a name: the early request asked for another server.)
        const sameServer = early && found.id === wanted ? early : undefined;
        const got = protocol
          ? { protocol, url: await (sameServer?.answer ?? nova.requestConsole(found.id, protocol))(found) }
          : await firstOffered(cloud, nova, found, sameServer);
        try {
          consoleHosts.set(new URL(got.url).hostname, cloud);
        } catch {
          // an odd URL is the caller's to judge; it only loses the resolve() hint
        }
        return { cloud, serverId: found.id, url: got.url, name: found.name, protocol: got.protocol };
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

    async details(cloud: string, server: string): Promise<ServerDetails> {
      return inCloud(cloud, () => clientOf(cloud).servers.details(server));
    },

    async action(cloud: string, server: string, action: ServerAction): Promise<void> {
      return inCloud(cloud, () => clientOf(cloud).servers.action(server, action));
    },

    async consoleLog(cloud: string, server: string, lines?: number): Promise<ConsoleLog> {
      return inCloud(cloud, () => clientOf(cloud).servers.consoleLog(server, lines));
    },

    close() {
      for (const c of clients.values()) c.http.close();
      clients.clear();
    },
  };
}

/** One error for a server whose every console type was refused: what Nova answered for each. */
function noConsole(cloud: string, server: ServerSummary, refused: AppError[]): AppError {
  const each = refused.map((err) =>
    // Nova's message in quotes (an excerpt of a body that was no error envelope comes quoted already).
    err instanceof ConsoleUnavailable
      ? `${CONSOLE_REQUESTS[err.protocol].label} answered ${err.status} ${err.novaSays.startsWith('"') ? err.novaSays : JSON.stringify(err.novaSays)}`
      : err.message,
  );
  return new AppError(
    'unavailable',
    `Cloud '${cloud}' offers no console of server ${server.name} that this app can open: ${each.join(', ')} (SPICE is not tried: the app cannot open it yet)`,
  );
}

/**
 * Image names for the details view, from the image service (`GET /v2/images/{id}`), remembered per cloud. A name is
 * a nicety: a cloud without an image service, a deleted image or a slow answer leaves it out, never fails details.
 */
function imageNames(session: KeystoneSession, http: HttpClient): (id: string) => Promise<string | undefined> {
  const known = new Map<string, Promise<string | undefined>>();
  const lookUp = async (id: string): Promise<string | undefined> => {
    try {
      const base = (await session.endpoint('image')).replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
      const res = await http.request({ method: 'GET', url: `${base}/v2/images/${encodeURIComponent(id)}`, headers: { 'X-Auth-Token': (await session.token()).id } });
      const body = res.status === 200 ? parseBody(res) : undefined;
      return isObject(body) && typeof body.name === 'string' && body.name !== '' ? body.name : undefined;
    } catch {
      return undefined; // see above: the details view shows the id instead
    }
  };
  return (id) => {
    let name = known.get(id);
    if (!name) known.set(id, (name = lookUp(id)));
    return name;
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
