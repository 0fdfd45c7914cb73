import { AppError, toApiError } from './app-error.ts';
import {
  REQUEST_NAMES,
  isRequestName,
  type ConsoleProtocol,
  type ConsoleTarget,
  type Args,
  type ConsoleEvents,
  type EventName,
  type Reply,
  type RequestName,
  type Result,
  type ServerAction,
  type SettingsPatch,
} from '../common/contract.ts';

const SERVER_ACTIONS: readonly ServerAction[] = ['start', 'stop', 'reboot-soft', 'reboot-hard', 'pause', 'unpause', 'suspend', 'resume'];
import type { ConsoleService, CredentialService, ServerService, SessionService, SettingsService, TrustService } from './services.ts';

/** One function per request of the contract; the compiler rejects a table that misses one. */
export type HandlerTable = { [K in RequestName]: (args: Args<K>) => Promise<Result<K>> };

export type EventSink = <E extends EventName>(event: E, payload: ConsoleEvents[E]) => void;

export interface Services {
  version: string;
  mode: 'electron' | 'browser';
  consoles: ConsoleService;
  /** Absent until the gateway runs (the CLI and some tests have none): requests then answer 'internal'. */
  sessions?: SessionService;
  /** Details, power actions and console logs of servers (absent: those requests answer 'internal'). */
  servers?: ServerService;
  trust?: TrustService;
  credentials?: CredentialService;
  settings?: SettingsService;
  /** The main process's log: where `app.log` lines from the page go. */
  log?: (line: string) => void;
  /**
   * Where a bug goes: an error that is not an AppError reaches the page only as a one-line 'internal' message, so
   * its stack is written here (the main process's log) for whoever has to fix it.
   */
  logInternalError?: (request: RequestName, err: unknown) => void;
}

/** The single table of handlers that both transports register. */
export function createHandlers(services: Services): HandlerTable {
  const { consoles } = services;
  const need = <T>(service: T | undefined, what: string): T => {
    if (!service) throw new AppError('internal', `${what} is not available in this mode`);
    return service;
  };
  const table: HandlerTable = {
    'app.info': async () => ({ version: services.version, mode: services.mode }),
    'app.log': async (args) => {
      // One line whatever the page sends: a line break must not let it forge lines of its own in the log.
      services.log?.(`page: ${requireString(requireObject(args).message, 'message').replace(/\s+/g, ' ')}`);
    },
    'clouds.list': async () => consoles.listClouds(),
    'servers.list': async (args) => consoles.listServers(requireObject(args)),
    'session.open': async (args) => need(services.sessions, 'The RDP gateway').open(requireTarget(args)),
    'session.close': async (args) => need(services.sessions, 'The RDP gateway').close(requireString(requireObject(args).sessionId, 'sessionId')),
    'server.get': async (args) => {
      const a = requireObject(args);
      return need(services.servers, 'Server details').details(requireString(a.cloud, 'cloud'), requireString(a.server, 'server'));
    },
    'server.action': async (args) => {
      const a = requireObject(args);
      if (typeof a.action !== 'string' || !SERVER_ACTIONS.includes(a.action)) {
        throw new AppError('bad-request', `"action" must be one of ${SERVER_ACTIONS.join(', ')}`);
      }
      return need(services.servers, 'Server actions').action(requireString(a.cloud, 'cloud'), requireString(a.server, 'server'), a.action);
    },
    'console.log': async (args) => {
      const a = requireObject(args);
      if (a.lines !== undefined && (!Number.isInteger(a.lines) || a.lines < 1)) throw new AppError('bad-request', '"lines" must be a positive integer');
      return need(services.servers, 'Console logs').consoleLog(requireString(a.cloud, 'cloud'), requireString(a.server, 'server'), a.lines);
    },
    'trust.decide': async (args) => {
      const a = requireObject(args);
      if (!['trust-once', 'trust-always', 'reject'].includes(a.decision)) {
        throw new AppError('bad-request', '"decision" must be trust-once, trust-always or reject');
      }
      return need(services.trust, 'Certificate trust').decide(requireString(a.promptId, 'promptId'), a.decision);
    },
    'trust.list': async () => need(services.trust, 'Certificate trust').list(),
    'trust.pending': async () => services.trust?.pendingPrompts?.() ?? [],
    'trust.revoke': async (args) => need(services.trust, 'Certificate trust').revoke(requireString(requireObject(args).endpoint, 'endpoint')),
    'credentials.save': async (args) => {
      const a = requireObject(args);
      const c = a.credentials;
      if (c !== null) {
        requireObject(c);
        requireString(c.username, 'username');
        if (typeof c.password !== 'string') throw new AppError('bad-request', '"password" must be a string');
      }
      return need(services.credentials, 'Credential storage').save(requireString(a.endpoint, 'endpoint'), c);
    },
    'settings.get': async () => need(services.settings, 'Settings').get(),
    'settings.update': async (args) => {
      const a = requireObject(args);
      const patch: SettingsPatch = {};
      if (a.hideDemoCloud !== undefined) {
        if (typeof a.hideDemoCloud !== 'boolean') throw new AppError('bad-request', '"hideDemoCloud" must be true or false');
        patch.hideDemoCloud = a.hideDemoCloud;
      }
      if (a.consoleCredentials !== undefined) {
        const cc = requireObject(a.consoleCredentials);
        const c = cc.credentials;
        if (c !== null) {
          requireObject(c);
          requireString(c.username, 'username');
          if (typeof c.password !== 'string') throw new AppError('bad-request', '"password" must be a string');
        }
        patch.consoleCredentials = { cloud: requireString(cc.cloud, 'cloud'), credentials: c };
      }
      return need(services.settings, 'Settings').update(patch);
    },
  };
  const log = services.logInternalError;
  if (!log) return table;
  const logged = {} as Record<RequestName, (args: unknown) => Promise<unknown>>;
  for (const name of REQUEST_NAMES) {
    const handler = table[name] as (args: unknown) => Promise<unknown>;
    logged[name] = async (args) => {
      try {
        return await handler(args);
      } catch (err) {
        if (!(err instanceof AppError)) log(name, err);
        throw err;
      }
    };
  }
  return logged as HandlerTable;
}

/**
 * Runs one request from a transport. The name and payload come from an untrusted page, so both are checked here,
 * once, for every transport.
 */
export async function dispatch(table: HandlerTable, name: unknown, args: unknown): Promise<Reply<RequestName>> {
  if (!isRequestName(name)) {
    return { ok: false, error: { code: 'bad-request', message: `Unknown request ${JSON.stringify(name)}` } };
  }
  try {
    const handler = table[name] as (a: unknown) => Promise<unknown>;
    return { ok: true, value: (await handler(args)) as Result<RequestName> };
  } catch (err) {
    return { ok: false, error: toApiError(err) };
  }
}

function requireObject<T>(value: T): NonNullable<T> {
  if (value === null || typeof value !== 'object') throw new AppError('bad-request', 'Expected an object argument');
  return value;
}

function requireTarget(value: unknown): ConsoleTarget {
  const t = requireObject(value as ConsoleTarget);
  switch (t.kind) {
    case 'url':
      return { kind: 'url', url: requireString(t.url, 'url'), cloud: t.cloud === undefined ? undefined : requireString(t.cloud, 'cloud') };
    case 'server': {
      const protocol = t.protocol === undefined ? undefined : requireProtocol(t.protocol);
      return { kind: 'server', cloud: requireString(t.cloud, 'cloud'), server: requireString(t.server, 'server'), ...(protocol ? { protocol } : {}) };
    }
    case 'address': {
      if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) throw new AppError('bad-request', '"port" must be 1–65535');
      const host = requireString(t.host, 'host');
      switch (t.protocol) {
        case 'rdp':
          return {
            kind: 'address',
            protocol: 'rdp',
            host,
            port: t.port,
            ...(t.preConnectionBlob === undefined ? {} : { preConnectionBlob: requireString(t.preConnectionBlob, 'preConnectionBlob') }),
          };
        case 'vnc':
          return { kind: 'address', protocol: 'vnc', host, port: t.port };
        default:
          throw new AppError('bad-request', '"protocol" of an address must be rdp or vnc');
      }
    }
    default:
      throw new AppError('bad-request', '"kind" must be url, server or address');
  }
}

const PROTOCOLS: readonly ConsoleProtocol[] = ['rdp', 'vnc', 'serial', 'spice'];

function requireProtocol(value: unknown): ConsoleProtocol {
  if (!PROTOCOLS.includes(value as ConsoleProtocol)) throw new AppError('bad-request', `"protocol" must be one of ${PROTOCOLS.join(', ')}`);
  return value as ConsoleProtocol;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw new AppError('bad-request', `"${field}" must be a non-empty string`);
  }
  return value;
}
