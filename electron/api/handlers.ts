import { AppError, toApiError } from './app-error.ts';
import {
  REQUEST_NAMES,
  type Args,
  type ConsoleEvents,
  type EventName,
  type Reply,
  type RequestName,
  type Result,
} from './contract.ts';
import type { ConsoleService } from './services.ts';

/** One function per request of the contract; the compiler rejects a table that misses one. */
export type HandlerTable = { [K in RequestName]: (args: Args<K>) => Promise<Result<K>> };

export type EventSink = <E extends EventName>(event: E, payload: ConsoleEvents[E]) => void;

export interface Services {
  version: string;
  mode: 'electron' | 'browser';
  consoles: ConsoleService;
}

/** The single table of handlers that both transports register. */
export function createHandlers(services: Services): HandlerTable {
  const { consoles } = services;
  return {
    'app.info': async () => ({ version: services.version, mode: services.mode }),
    'clouds.list': async () => consoles.listClouds(),
    'servers.list': async (args) => consoles.listServers(requireObject(args)),
    'console.url': async (args) => {
      const a = requireObject(args);
      return consoles.consoleUrl(requireString(a.cloud, 'cloud'), requireString(a.server, 'server'));
    },
    'console.resolve': async (args) => {
      const a = requireObject(args);
      return consoles.resolve(requireString(a.url, 'url'), a.cloud === undefined ? undefined : requireString(a.cloud, 'cloud'));
    },
  };
}

/**
 * Runs one request from a transport. The name and payload come from an untrusted page, so both are checked here,
 * once, for every transport.
 */
export async function dispatch(table: HandlerTable, name: unknown, args: unknown): Promise<Reply<RequestName>> {
  if (typeof name !== 'string' || !(REQUEST_NAMES as readonly string[]).includes(name)) {
    return { ok: false, error: { code: 'bad-request', message: `Unknown request ${JSON.stringify(name)}` } };
  }
  try {
    const handler = table[name as RequestName] as (a: unknown) => Promise<unknown>;
    return { ok: true, value: (await handler(args)) as Result<RequestName> };
  } catch (err) {
    return { ok: false, error: toApiError(err) };
  }
}

function requireObject<T>(value: T): NonNullable<T> {
  if (value === null || typeof value !== 'object') throw new AppError('bad-request', 'Expected an object argument');
  return value as NonNullable<T>;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw new AppError('bad-request', `"${field}" must be a non-empty string`);
  }
  return value;
}
