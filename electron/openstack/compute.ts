import type { ConsoleProtocol, ServerSummary } from '../common/contract.ts';
import type { CloudConfig } from './clouds-config.ts';
import { AppError, displayUrl } from './errors.ts';
import { isObject, parseBody, parseErrorEnvelope, requireBody, serverSays, scalarText } from './envelope.ts';
import type { HttpClient, HttpResponse } from './http.ts';
import type { KeystoneSession } from './keystone.ts';
import {
  REMOTE_CONSOLES_MICROVERSION,
  TOKEN_LOOKUP_MICROVERSION,
  atLeast,
  chooseMicroversion,
  readVersionDocument,
  versionSegment,
  type ComputeVersion,
} from './microversion.ts';

export interface ComputeInfo {
  endpoint: string;
  version: ComputeVersion;
  /** Sent with every request; undefined = no header (servers without microversions). */
  microversion?: string;
  /** The Icehouse `/v3` draft API names its actions differently (get_rdp_console, get_console_connect_info). */
  v3Draft: boolean;
}

export interface ListServersOptions {
  limit?: number;
  marker?: string;
  /** Nova treats it as a regular expression. */
  name?: string;
  status?: string;
  allProjects?: boolean;
}

/** The connection details behind a console token (Nova's field names). */
export interface ConsoleConnection {
  instance_uuid: string;
  host: string;
  port: number;
  internal_access_path?: string;
}

interface CallOptions {
  body?: unknown;
  /** null = send no microversion header; undefined = the one chosen at discovery. */
  microversion?: string | null;
  query?: Record<string, string | number | undefined>;
}

/** The console types this client asks Nova for (the contract's ConsoleProtocol). */
export const CONSOLE_PROTOCOLS: readonly ConsoleProtocol[] = ['vnc', 'rdp', 'serial', 'spice'];

/** How Nova is asked for one console type: the remote-consoles type (2.6+) and the older server actions' names. */
export interface ConsoleRequest {
  /** `remote_console.type` (2.6+) and the action's `type`. */
  type: string;
  /** The server action below 2.6. */
  action: string;
  /** The same action in the Icehouse `/v3` draft API. */
  v3Action: string;
  /** The type's name in messages. */
  label: string;
}

export const CONSOLE_REQUESTS: Readonly<Record<ConsoleProtocol, ConsoleRequest>> = {
  vnc: { type: 'novnc', action: 'os-getVNCConsole', v3Action: 'get_vnc_console', label: 'VNC' },
  spice: { type: 'spice-html5', action: 'os-getSPICEConsole', v3Action: 'get_spice_console', label: 'SPICE' },
  serial: { type: 'serial', action: 'os-getSerialConsole', v3Action: 'get_serial_console', label: 'serial' },
  rdp: { type: 'rdp-html5', action: 'os-getRDPConsole', v3Action: 'get_rdp_console', label: 'RDP' },
};

/**
 * Nova refused one console type for a server with 400 or 501 (not offered, disabled, not supported by the driver,
 * removed): an 'unavailable' AppError that also keeps what Nova said, so a caller trying several types can list them.
 */
export class ConsoleUnavailable extends AppError {
  constructor(
    readonly protocol: ConsoleProtocol,
    readonly status: number,
    /** Nova's own message (its error envelope's, or an excerpt of the body). */
    readonly novaSays: string,
    message: string,
  ) {
    super('unavailable', message);
    this.name = 'ConsoleUnavailable';
  }
}

/** A server id as Nova prints it (the dashes optional, as Nova accepts). */
export const SERVER_ID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const MAX_LOOKUP_PAGES = 20;

/** Nova's compute API for one cloud, through its Keystone session. */
export class NovaClient {
  private info?: Promise<ComputeInfo>;

  constructor(
    private readonly cloud: CloudConfig,
    private readonly http: HttpClient,
    private readonly session: KeystoneSession,
  ) {}

  /** Finds the compute endpoint and what it supports (once per client). */
  discover(): Promise<ComputeInfo> {
    this.info ??= this.discoverOnce().catch((err) => {
      this.info = undefined; // a failed discovery (cloud down) is retried next time
      throw err;
    });
    return this.info;
  }

  private async discoverOnce(): Promise<ComputeInfo> {
    const endpoint = (this.cloud.computeEndpoint ?? (await this.session.endpoint('compute'))).replace(/\/+$/, '');
    const candidates = [endpoint];
    const segment = versionSegment(endpoint);
    if (segment) {
      const at = endpoint.indexOf('/' + segment);
      candidates.push(endpoint.slice(0, at + segment.length + 1), endpoint.slice(0, at) + '/');
    }
    let version: ComputeVersion | undefined;
    for (const url of [...new Set(candidates)]) {
      const res = await this.send('GET', url, { microversion: null });
      if (res.status !== 200) continue;
      const body = parseBody(res);
      version = body && readVersionDocument(body, endpoint);
      if (version) break;
    }
    // No version document anywhere: behave as the base API, which every Nova serves.
    version ??= { id: segment };
    const v3Draft = /^v3(\.0)?$/.test(version.id ?? segment ?? '');
    return { endpoint, version, microversion: v3Draft ? undefined : chooseMicroversion(version), v3Draft };
  }

  async listServers(opts: ListServersOptions = {}): Promise<{ servers: ServerSummary[]; nextMarker?: string }> {
    const res = await this.call('GET', '/servers/detail', {
      query: {
        limit: opts.limit,
        marker: opts.marker,
        name: opts.name,
        status: opts.status,
        all_tenants: opts.allProjects ? 1 : undefined,
      },
    });
    if (res.status !== 200) throw this.failure(res, 'list servers');
    const body = requireBody(res, this.who());
    if (!Array.isArray(body.servers)) throw new AppError('bad-response', `${this.who()} answered a server list without 'servers'`);
    const servers = body.servers.filter(isObject).map(toSummary);
    return { servers, nextMarker: nextMarker(body.servers_links, servers) };
  }

  /** A server by id, or undefined when Nova does not know it. */
  async getServer(id: string): Promise<ServerSummary | undefined> {
    const res = await this.call('GET', `/servers/${encodeURIComponent(id)}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.failure(res, `look up server ${id}`);
    const body = requireBody(res, this.who());
    if (!isObject(body.server)) throw new AppError('bad-response', `${this.who()} answered a server lookup without 'server'`);
    return toSummary(body.server);
  }

  /** A server by id or by exact, unique name (as the openstack CLI finds them). */
  async findServer(idOrName: string): Promise<ServerSummary> {
    if (SERVER_ID.test(idOrName)) {
      const byId = await this.getServer(idOrName);
      if (byId) return byId;
    }
    let matches = await this.serversNamed(idOrName, false);
    // An admin looks beyond its own project when its project has no such server (ids already work across projects).
    if (matches.length === 0 && (await this.isAdmin())) matches = await this.serversNamed(idOrName, true);
    if (matches.length === 0) {
      throw new AppError('not-found', `Cloud '${this.cloud.name}' has no server with the id or name '${idOrName}'`);
    }
    if (matches.length > 1) {
      throw new AppError(
        'ambiguous',
        `${matches.length} servers in cloud '${this.cloud.name}' are named '${idOrName}' (${matches.map((s) => s.id).join(', ')}): give the id instead`,
      );
    }
    return matches[0];
  }

  private async serversNamed(name: string, allProjects: boolean): Promise<ServerSummary[]> {
    const matches: ServerSummary[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
      // Nova's name filter is a regular expression: anchor and escape it, then keep exact matches only.
      const res = await this.listServers({ name: `^${escapeRegex(name)}$`, marker, allProjects });
      matches.push(...res.servers.filter((s) => s.name === name));
      if (!res.nextMarker || res.nextMarker === marker) break;
      marker = res.nextMarker;
    }
    return matches;
  }

  /**
   * A fresh console URL of one type for a server. Microversion 2.6 and later: `POST /servers/{id}/remote-consoles`
   * with the protocol/type pair of CONSOLE_REQUESTS; below 2.6 (and on endpoints without microversions) the type's
   * server action (`os-getVNCConsole`…), or the Icehouse `/v3` draft's name for it. Both answer shapes are read
   * (`remote_console` and `console`), in JSON or in the seed's XML.
   *
   * Errors: 400 and 501 (type unknown to this Nova, disabled on the host, or not supported by the driver: since
   * Nova 29 every RDP request is a 400) are 'unavailable', quoting Nova; 409 is 'not-ready'; 404 'not-found';
   * anything else as every other request (`failure`). `protocol` defaults to 'rdp', this client's only type before.
   */
  async consoleUrl(server: Pick<ServerSummary, 'id' | 'name' | 'status'>, protocol: ConsoleProtocol = 'rdp'): Promise<string> {
    return this.requestConsole(server.id, protocol)(server);
  }

  /**
   * consoleUrl in two steps: the request goes out now, and the answer is read once the caller knows the server's
   * name and status, which word any refusal. So a caller holding an id can look the server up and ask for its console
   * in the same round trip. A failed request is kept for the read, never left as an unhandled rejection.
   */
  requestConsole(serverId: string, protocol: ConsoleProtocol = 'rdp'): (server: Pick<ServerSummary, 'name' | 'status'>) => Promise<string> {
    const form = CONSOLE_REQUESTS[protocol] as ConsoleRequest | undefined;
    const sent: Promise<HttpResponse> = form
      ? this.discover().then((info) => {
          const path = `/servers/${encodeURIComponent(serverId)}`;
          if (atLeast(info.microversion, REMOTE_CONSOLES_MICROVERSION)) {
            return this.call('POST', path + '/remote-consoles', { body: { remote_console: { protocol, type: form.type } } });
          }
          return this.call('POST', path + '/action', { body: { [info.v3Draft ? form.v3Action : form.action]: { type: form.type } } });
        })
      : Promise.reject(new AppError('bad-request', `Unknown console protocol ${JSON.stringify(protocol)} (expected ${CONSOLE_PROTOCOLS.join(', ')})`));
    sent.catch(() => {});
    return async (server) => this.readConsoleAnswer(await sent, server, protocol);
  }

  private readConsoleAnswer(res: HttpResponse, server: Pick<ServerSummary, 'name' | 'status'>, protocol: ConsoleProtocol): string {
    const form = CONSOLE_REQUESTS[protocol];
    if (res.status !== 200) throw this.consoleFailure(res, server, protocol);
    const body = requireBody(res, this.who());
    const holder = isObject(body.remote_console) ? body.remote_console : isObject(body.console) ? body.console : undefined;
    const url = holder?.url;
    if (typeof url !== 'string' || url.trim() === '') {
      throw new AppError('bad-response', `${this.who()} answered a ${form.label} console request for server ${server.name} without a URL`);
    }
    // Nova echoes what was asked; a URL of another type must not be handed on under this one's name.
    const answered = [holder?.protocol, holder?.type].filter((v): v is string => typeof v === 'string' && v !== '');
    const other = answered.find((v) => v !== protocol && v !== form.type);
    if (other !== undefined) {
      throw new AppError('bad-response', `${this.who()} answered a ${form.label} console request for server ${server.name} with a console of type ${JSON.stringify(other)}`);
    }
    return url.trim();
  }

  /**
   * What a console token stands for. Uses `GET /os-console-auth-tokens/{token}`; only when a cloud lacks that route
   * does it try the seed's draft actions on `/console-auth-tokens/{token}/action`.
   */
  async resolveToken(token: string): Promise<ConsoleConnection> {
    const info = await this.discover();
    const t = encodeURIComponent(token);
    const lookupVersion = info.version.max ? chooseMicroversion(info.version, TOKEN_LOOKUP_MICROVERSION) : undefined;
    const forms: Array<() => Promise<HttpResponse>> = [
      () => this.call('GET', `/os-console-auth-tokens/${t}`, { microversion: lookupVersion ?? null }),
    ];
    const v2Action = () => this.call('POST', `/console-auth-tokens/${t}/action`, { body: { 'os-getConsoleConnectInfo': null } });
    const v3Action = () => this.call('POST', `/console-auth-tokens/${t}/action`, { body: { get_console_connect_info: null } });
    forms.push(...(info.v3Draft ? [v3Action, v2Action] : [v2Action, v3Action]));

    let last: HttpResponse | undefined;
    for (const form of forms) {
      const res = await form();
      if (res.status === 200) return this.readConnection(res);
      if (!routeAbsent(res)) throw this.tokenFailure(res);
      last = res;
    }
    throw new AppError(
      'unavailable',
      `${this.who()} offers no console token lookup (os-console-auth-tokens answered ${last?.status}: ${last ? serverSays(last) : ''})`,
    );
  }

  /** Whether the cloud's user holds the admin role (token lookup needs it under Nova's default policy). */
  async isAdmin(): Promise<boolean> {
    return (await this.session.token()).roles.some((r) => r.toLowerCase() === 'admin');
  }

  private readConnection(res: HttpResponse): ConsoleConnection {
    const body = requireBody(res, this.who());
    const c = isObject(body.console) ? body.console : undefined;
    const port = Number(c?.port);
    if (!c || typeof c.host !== 'string' || c.host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new AppError('bad-response', `${this.who()} answered a token lookup without a usable console host and port`);
    }
    const path = c.internal_access_path;
    return {
      instance_uuid: scalarText(c.instance_uuid),
      host: c.host,
      port,
      internal_access_path: typeof path === 'string' && path !== '' ? path : undefined,
    };
  }

  /** One request to the compute endpoint with the cloud's token; a 401 re-authenticates and retries once. */
  async call(method: string, path: string, opts: CallOptions = {}): Promise<HttpResponse> {
    const info = await this.discover();
    let url = info.endpoint + path;
    const query = Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined && v !== '');
    if (query.length) url += '?' + new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)])).toString();
    const microversion = opts.microversion === undefined ? info.microversion : (opts.microversion ?? undefined);
    return this.send(method, url, { body: opts.body, microversion });
  }

  private async send(method: string, url: string, opts: { body?: unknown; microversion?: string | null }): Promise<HttpResponse> {
    const headers = (tokenId: string): Record<string, string> => {
      const h: Record<string, string> = { 'X-Auth-Token': tokenId };
      if (opts.microversion) {
        h['OpenStack-API-Version'] = `compute ${opts.microversion}`;
        h['X-OpenStack-Nova-API-Version'] = opts.microversion;
      }
      return h;
    };
    const token = await this.session.token();
    const res = await this.http.request({ method, url, headers: headers(token.id), body: opts.body });
    if (res.status !== 401) return res;
    // The token may have been revoked or expired early: one fresh token, one retry.
    this.session.invalidate(token.id);
    const fresh = await this.session.token();
    return this.http.request({ method, url, headers: headers(fresh.id), body: opts.body });
  }

  private who(): string {
    return `Nova of cloud '${this.cloud.name}'`;
  }

  /** Generic mapping of a non-success answer. */
  private failure(res: HttpResponse, what: string): AppError {
    const says = serverSays(res);
    const at = displayUrl(res.url);
    switch (res.status) {
      case 401:
        return new AppError('auth-failed', `${this.who()} refused a fresh Keystone token to ${what} (401 at ${at})`);
      case 403:
        return new AppError('forbidden', `Cloud '${this.cloud.name}' does not allow this user to ${what} (403: ${says})`);
      case 404:
        return new AppError('not-found', `${this.who()}: not found while trying to ${what} (${says})`);
      case 409:
        return new AppError('not-ready', `${this.who()} cannot ${what} now (409: ${says})`);
      case 501:
        return new AppError('unavailable', `${this.who()} does not implement this (501: ${says})`);
      default:
        if (res.status >= 500 || res.status < 200) {
          return new AppError('bad-response', `${this.who()} failed to ${what} (${res.status} at ${at}): ${says}`);
        }
        return new AppError('bad-response', `${this.who()} refused to ${what} (${res.status} at ${at}): ${says}`);
    }
  }

  private consoleFailure(res: HttpResponse, server: Pick<ServerSummary, 'name' | 'status'>, protocol: ConsoleProtocol): AppError {
    const says = serverSays(res);
    const label = CONSOLE_REQUESTS[protocol].label;
    if (res.status === 409) {
      const state = server.status === 'BUILD' ? 'is still building' : `is not ready (status ${server.status})`;
      return new AppError('not-ready', `Server ${server.name} ${state} (Nova: ${says})`);
    }
    if (res.status === 404) return new AppError('not-found', `Server ${server.name} is gone from cloud '${this.cloud.name}' (Nova: ${says})`);
    if (res.status === 501) {
      return new ConsoleUnavailable(protocol, res.status, says, `The hypervisor of server ${server.name} offers no ${label} console (Nova: ${says})`);
    }
    if (res.status === 400) {
      return new ConsoleUnavailable(protocol, res.status, says, `Cloud '${this.cloud.name}' offers no ${label} console for server ${server.name} (Nova: ${says})`);
    }
    return this.failure(res, `get ${protocol === 'rdp' ? 'an' : 'a'} ${label} console for server ${server.name}`);
  }

  private tokenFailure(res: HttpResponse): AppError {
    const says = serverSays(res);
    if (res.status === 404) {
      return new AppError('token-expired', `The console token is expired or unknown to cloud '${this.cloud.name}' (Nova: ${says})`);
    }
    if (res.status === 403) {
      return new AppError('forbidden', `Cloud '${this.cloud.name}': looking up console tokens needs an admin (403: ${says})`);
    }
    if (res.status === 401 && /console type/i.test(says)) {
      return new AppError('unavailable', `Cloud '${this.cloud.name}': the token is not for an RDP console (Nova: ${says})`);
    }
    return this.failure(res, 'look up the console token');
  }
}

/**
 * true when a token lookup failed because the route does not exist (so an older form may work), not because the
 * token is unknown. Nova answers a missing route with 404 "The resource could not be found." (or 405/501, or 400
 * "There is no such action" for an unknown action name), but an unknown token with 404 "Token not found": the
 * message is the only difference.
 */
export function routeAbsent(res: HttpResponse): boolean {
  if (res.status === 405 || res.status === 501) return true;
  const env = parseErrorEnvelope(res);
  // Nova's answer to an action it does not know (the other draft's name).
  if (res.status === 400) return env !== undefined && /no such action/i.test(env.message);
  if (res.status !== 404) return false;
  return !(env && /token/i.test(env.message));
}

function toSummary(s: Record<string, unknown>): ServerSummary {
  const addresses: string[] = [];
  if (isObject(s.addresses)) {
    for (const list of Object.values(s.addresses)) {
      if (Array.isArray(list)) for (const a of list) if (isObject(a) && typeof a.addr === 'string') addresses.push(a.addr);
    }
  }
  const power = s['OS-EXT-STS:power_state'];
  const host = s['OS-EXT-SRV-ATTR:host'];
  const task = s['OS-EXT-STS:task_state'];
  return {
    id: scalarText(s.id),
    name: scalarText(s.name),
    status: scalarText(s.status, 'UNKNOWN'),
    taskState: typeof task === 'string' ? task : task === null ? null : undefined,
    powerState: typeof power === 'number' ? power : undefined,
    host: typeof host === 'string' ? host : host === null ? null : undefined,
    projectId: typeof s.tenant_id === 'string' ? s.tenant_id : undefined,
    addresses,
  };
}

/** The marker of the next page: from servers_links rel=next (Nova's paging), absent on the last page. */
function nextMarker(links: unknown, servers: ServerSummary[]): string | undefined {
  if (!Array.isArray(links)) return undefined;
  const next = links.filter(isObject).find((l) => l.rel === 'next');
  if (!next || typeof next.href !== 'string') return undefined;
  try {
    return new URL(next.href, 'http://x/').searchParams.get('marker') ?? servers[servers.length - 1]?.id;
  } catch {
    return servers[servers.length - 1]?.id;
  }
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

