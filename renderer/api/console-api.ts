import type {
  ApiError,
  ApiTransport,
  Args,
  ConsoleEvents,
  ConsoleLog,
  EventName,
  RequestName,
  Result,
  ServerAction,
  ServerDetails,
} from '../../electron/common/contract.ts';

/** A request the services refused, or a transport that failed: the contract's ApiError, as something to throw. */
export class ApiRequestError extends Error implements ApiError {
  constructor(
    readonly code: ApiError['code'],
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** What the page's code calls: a request resolves with its result or rejects with an ApiRequestError. */
export interface ConsoleApi {
  invoke<K extends RequestName>(name: K, ...args: Args<K> extends void ? [] : [Args<K>]): Promise<Result<K>>;
  on<E extends EventName>(event: E, listener: (payload: ConsoleEvents[E]) => void): () => void;
}

/**
 * The one place the page unwraps Replies, whichever transport carried them (the preload's IPC bridge or the
 * browser-mode socket): both hand over the same Reply, so both fail with the same ApiRequestError.
 */
export function consoleApiOver(transport: ApiTransport): ConsoleApi {
  return {
    async invoke(name, ...args) {
      const reply = await transport.request(name, ...args);
      if (reply.ok) return reply.value;
      throw new ApiRequestError(reply.error.code, reply.error.message);
    },
    on: (event, listener) => transport.on(event, listener),
  };
}

/**
 * The server requests, typed for the page: what the details panel, its actions and the console log view call.
 * Each rejects with an ApiRequestError ('conflict' and 'forbidden' carry Nova's own message; 'unavailable' for a
 * console log means the server's driver keeps none).
 */
export interface ServerRequests {
  details(cloud: string, server: string): Promise<ServerDetails>;
  action(cloud: string, server: string, action: ServerAction): Promise<void>;
  /** The last `lines` lines, or the whole log when `lines` is undefined. */
  consoleLog(cloud: string, server: string, lines?: number): Promise<ConsoleLog>;
}

export function serverRequests(api: ConsoleApi): ServerRequests {
  return {
    details: (cloud, server) => api.invoke('server.get', { cloud, server }),
    action: (cloud, server, action) => api.invoke('server.action', { cloud, server, action }),
    consoleLog: (cloud, server, lines) => api.invoke('console.log', { cloud, server, ...(lines === undefined ? {} : { lines }) }),
  };
}

/** An ApiError code of anything a request threw, when it carries one. */
export function errorCode(err: unknown): ApiError['code'] | undefined {
  return err instanceof ApiRequestError ? err.code : undefined;
}

/** The message of anything a request threw, for the UI. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}
