/**
 * The one contract between the renderer and the services: every request the page may make and every event it
 * may receive. Types only, so the renderer can import it without pulling in Node code.
 *
 * Both transports (Electron IPC and the browser-mode loopback WebSocket) carry exactly this shape, and the
 * handler table in handlers.ts must implement every request (the compiler checks it).
 */

/** A failure that crossed the seam. `code` is stable and machine-readable; `message` is for the administrator. */
export interface ApiError {
  code: ErrorCode;
  message: string;
}

export type ErrorCode =
  | 'bad-request' // the page sent something malformed
  | 'bad-url' // a console URL or address that cannot be understood
  | 'config' // clouds.yaml / OS_* problems
  | 'auth-failed' // Keystone refused the credentials
  | 'forbidden' // the user lacks a role (token lookup needs admin)
  | 'not-found' // server, token or cloud unknown
  | 'token-expired' // console token unknown or expired
  | 'not-ready' // server still building / has no host
  | 'unavailable' // console type disabled or not supported by the hypervisor
  | 'unreachable' // DNS, refused, timeout
  | 'tls' // certificate or TLS failure
  | 'bad-response' // a cloud answered something that is not Nova/Keystone
  | 'ambiguous' // a name matches several servers
  | 'internal';

export interface CloudSummary {
  /** clouds.yaml key, `envvars` for OS_* variables, `demo` for the embedded demo cloud. */
  name: string;
  /** What the sidebar shows. */
  label: string;
  authUrl: string;
  region?: string;
  isDemo: boolean;
}

export interface ServerSummary {
  id: string;
  name: string;
  status: string;
  taskState?: string | null;
  powerState?: number;
  host?: string | null;
  projectId?: string;
  /** Every IP address of the server, for search by IP. */
  addresses: string[];
}

export interface ServerPage {
  servers: ServerSummary[];
  /** Pass back as `marker` to get the next page; absent on the last page. */
  nextMarker?: string;
}

export interface ListServersArgs {
  cloud: string;
  limit?: number;
  marker?: string;
  name?: string;
  status?: string;
  allProjects?: boolean;
}

export interface ConsoleConnectInfo {
  cloud: string;
  instanceUuid: string;
  host: string;
  port: number;
  /** Hyper-V: the VM id, sent as the RDP pre-connection blob. */
  internalAccessPath?: string;
}

/** Every request: its argument and its result. */
export interface ConsoleRequests {
  'app.info': { args: void; result: { version: string; mode: 'electron' | 'browser' } };
  'clouds.list': { args: void; result: CloudSummary[] };
  'servers.list': { args: ListServersArgs; result: ServerPage };
  'console.url': { args: { cloud: string; server: string }; result: { cloud: string; serverId: string; url: string } };
  'console.resolve': { args: { url: string; cloud?: string }; result: ConsoleConnectInfo };
}

/** Every event the services may push to the page. */
export interface ConsoleEvents {
  'clouds.changed': CloudSummary[];
}

export type RequestName = keyof ConsoleRequests;
export type EventName = keyof ConsoleEvents;
export type Args<K extends RequestName> = ConsoleRequests[K]['args'];
export type Result<K extends RequestName> = ConsoleRequests[K]['result'];

/** What the page sees: the object the preload exposes, or the browser-mode WebSocket client. */
export interface ConsoleApi {
  invoke<K extends RequestName>(name: K, ...args: Args<K> extends void ? [] : [Args<K>]): Promise<Result<K>>;
  on<E extends EventName>(event: E, listener: (payload: ConsoleEvents[E]) => void): () => void;
}

/** What a transport carries back for a request: a result or an ApiError, never a thrown stack. */
export type Reply<K extends RequestName> = { ok: true; value: Result<K> } | { ok: false; error: ApiError };

/** Names of every request, for transports that must reject unknown ones at run time. */
export const REQUEST_NAMES: readonly RequestName[] = [
  'app.info',
  'clouds.list',
  'servers.list',
  'console.url',
  'console.resolve',
] as const;

/** Electron IPC channel names: one per request, namespaced so nothing else can be invoked. */
export const ipcChannel = (name: RequestName): string => `nova-console:${name}`;
export const IPC_EVENT_CHANNEL = 'nova-console:event';
