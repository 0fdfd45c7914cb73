import type { SessionEndCause } from './session-end.ts';

export type { SessionEndCause };

/**
 * The one contract between the renderer and the services: every request the page may make and every event it
 * may receive. Types, plus values that need neither runtime (the page and the services both compile it: see
 * renderer/tsconfig.json and electron/tsconfig.json).
 *
 * Both transports (Electron IPC and the browser-mode loopback WebSocket) carry exactly this shape: the page sends
 * a request name and its argument and always gets a Reply back, never a thrown error. The handler table in
 * electron/api/handlers.ts must implement every request (the compiler checks it). Only what the page uses is here:
 * the command line calls the services directly, so nothing else (hypervisor addresses from token lookups, say) is
 * within a sandboxed page's reach.
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
  | 'conflict' // Nova refused an action in the server's present state (409)
  | 'internal';

export interface CloudSummary {
  /** clouds.yaml key, `envvars` for OS_* variables, `demo` for the embedded demo cloud. */
  name: string;
  /** What the sidebar shows. */
  label: string;
  authUrl: string;
  region?: string;
  isDemo: boolean;
  /**
   * Whether the signed-in user holds the admin role (Keystone token roles), which lets it list all projects' servers.
   * Absent until the cloud has been signed in to (its first server page); `clouds.changed` brings it then.
   */
  isAdmin?: boolean;
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

/** The console types Nova hands out (CONSOLES.md §1); the app opens RDP and VNC, and explains the others. */
export type ConsoleProtocol = 'rdp' | 'vnc' | 'serial' | 'spice';

/** Where a console tab should connect. */
export type ConsoleTarget =
  /**
   * A pasted console URL of any type (`http://proxy:6080/vnc_auto.html?path=…`, `http://proxy/?token=…`); the main
   * process classifies it (README, "Console URLs"). `cloud` pins which cloud resolves an RDP token.
   */
  | { kind: 'url'; url: string; cloud?: string }
  /**
   * A server picked in the sidebar: the main process fetches a fresh console URL of `protocol` ("Open as"), or of the
   * first type the server offers in the app's order when absent.
   */
  | { kind: 'server'; cloud: string; server: string; protocol?: ConsoleProtocol }
  /** A direct RDP address (`rdp://host:port`, `host:port`); an `.rdp` file may add a pre-connection blob. */
  | { kind: 'address'; protocol: 'rdp'; host: string; port: number; preConnectionBlob?: string }
  /** A direct VNC address (`vnc://host[:port]`, port 5900 by default). */
  | { kind: 'address'; protocol: 'vnc'; host: string; port: number };

/** What every grant carries, whatever the protocol. */
interface GrantBase {
  sessionId: string;
  /** Tab title: the server's name, or `host:port` for a direct address. */
  title: string;
  /** The Nova server, when the target came from a cloud (lets Reconnect fetch a fresh console URL). */
  server?: { cloud: string; id: string; name: string; status: string };
}

/**
 * What the page needs to start one RDP session through the RDCleanPath gateway. The token is single-use and bound by
 * the main process to `destination` and `preConnectionBlob`: the page cannot point the gateway anywhere else.
 */
export interface RdpGrant extends GrantBase {
  protocol: 'rdp';
  /** ws://127.0.0.1:PORT/… of the RDCleanPath gateway. */
  gatewayUrl: string;
  /** Sent by the client as RDCleanPath proxy_auth. */
  token: string;
  /** `host:port`, sent by the client as RDCleanPath destination (checked against the token). */
  destination: string;
  /** Hyper-V VM id (Nova's internal_access_path), sent as the pre-connection blob. */
  preConnectionBlob?: string;
  /** Hyper-V's console order (PCB, TLS, CredSSP, X.224) instead of the standard one. */
  vmconnect: boolean;
  /** Credentials known for this destination (remembered, or the cloud's console credentials). */
  credentials?: Credentials;
}

/**
 * What the relay grants (VNC and serial) share: a loopback WebSocket to the main process, which opens the outside
 * connection itself (the console proxy's WebSocket without a page Origin, or TCP to a `vnc://` address) and relays
 * raw bytes as binary frames. The URL carries a single-use grant bound to that one destination.
 */
interface RelayGrantBase extends GrantBase {
  /** ws://127.0.0.1:PORT/relay?grant=… (single use, expires if unused). */
  relayUrl: string;
  /** Where the relay connects, for the tab to show: the proxy's host:port or the VNC address. Never the token. */
  endpoint: string;
}

/** One VNC session: the relay checks the server's RFB greeting before the page gets a byte. */
export interface VncGrant extends RelayGrantBase {
  protocol: 'vnc';
}

/**
 * One serial console session through Nova's serial proxy (`ws(s)://host:6083/?token=…`): raw bytes of the guest's
 * serial port both ways (UTF-8 text in practice), no handshake of any kind.
 */
export interface SerialGrant extends RelayGrantBase {
  protocol: 'serial';
}

export type RelayGrant = VncGrant | SerialGrant;

export type SessionGrant = RdpGrant | VncGrant | SerialGrant;

/** A server as the details view shows it: what Nova answers to GET /servers/{id}, taken apart. */
export interface ServerDetails {
  cloud: string;
  id: string;
  name: string;
  /** Nova's status (ACTIVE, SHUTOFF, PAUSED, SUSPENDED, REBOOT, HARD_REBOOT, BUILD, ERROR…). */
  status: string;
  /** OS-EXT-STS:task_state (powering-off, rebooting…), null when idle. */
  taskState: string | null;
  /** OS-EXT-STS:vm_state (active, stopped, paused, suspended…). */
  vmState: string | null;
  /** OS-EXT-STS:power_state as Nova numbers it: 0 NOSTATE, 1 RUNNING, 3 PAUSED, 4 SHUTDOWN, 6 CRASHED, 7 SUSPENDED. */
  powerState: number | null;
  addresses: { network: string; address: string; version: 4 | 6; type?: 'fixed' | 'floating'; mac?: string }[];
  /** Flavor name (2.47+ embeds it) or id, and its size when Nova says it. */
  flavor: { id?: string; name?: string; vcpus?: number; ramMiB?: number; diskGiB?: number };
  /** Image id and name when known; null when the server boots from a volume. */
  image: { id: string; name?: string } | null;
  created: string;
  updated?: string;
  projectId: string;
  userId?: string;
  keyName?: string | null;
  availabilityZone?: string | null;
  locked?: boolean;
  /** Admins only (OS-EXT-SRV-ATTR:*): the compute host and hypervisor. */
  host?: string | null;
  hypervisorHostname?: string | null;
  instanceName?: string | null;
  /** Nova's fault record of an ERROR server. */
  fault?: { code: number; message: string } | null;
}

/**
 * What an administrator does next to a console. Each maps to one Nova server action: os-start, os-stop,
 * reboot SOFT / HARD, pause, unpause, suspend, resume.
 */
export type ServerAction = 'start' | 'stop' | 'reboot-soft' | 'reboot-hard' | 'pause' | 'unpause' | 'suspend' | 'resume';

/** A server's console log (os-getConsoleOutput). */
export interface ConsoleLog {
  /** The log as Nova returns it (may hold ANSI escapes; the page renders or strips them). */
  output: string;
  /** The `lines` asked for, or null for the whole log. */
  lines: number | null;
}

export interface Credentials {
  username: string;
  password: string;
  domain?: string;
}

/** A server certificate the gateway saw, shown in the trust prompt and in settings. */
export interface CertificateInfo {
  /** host:port the certificate is pinned for. */
  endpoint: string;
  /** SHA-256 of the DER certificate, upper-case hex pairs joined by ':'. */
  fingerprint: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
}

export interface TrustPrompt {
  promptId: string;
  sessionId: string;
  reason: 'first-use' | 'changed';
  certificate: CertificateInfo;
  /** The pinned certificate a changed one replaces. */
  previous?: CertificateInfo;
}

export type TrustDecision = 'trust-once' | 'trust-always' | 'reject';

/** The app's own settings (kept in its data folder). Passwords are write-only: the page never reads them back. */
export interface AppSettings {
  hideDemoCloud: boolean;
  /** Console (RDP) credentials per cloud name, used for every console of that cloud unless remembered per host. */
  consoleCredentials: Record<string, { username: string; domain?: string; hasPassword: boolean }>;
}

export interface SettingsPatch {
  hideDemoCloud?: boolean;
  /** Set (or clear, with `credentials: null`) one cloud's console credentials. */
  consoleCredentials?: { cloud: string; credentials: Credentials | null };
}

/** Every request: its argument and its result. */
export interface ConsoleRequests {
  'app.info': { args: void; result: { version: string; mode: 'electron' | 'browser' } };
  'clouds.list': { args: void; result: CloudSummary[] };
  /**
   * A failure the page handled without a request of its own (a clipboard write the server refused), for the main
   * process's log: one line, no secrets (the page writes the sentence it shows the user).
   */
  'app.log': { args: { message: string }; result: void };
  'servers.list': { args: ListServersArgs; result: ServerPage };
  /** Resolve a target and mint a gateway session for it. */
  'session.open': { args: ConsoleTarget; result: SessionGrant };
  /** Forget a session's grant (the tab closed). */
  'session.close': { args: { sessionId: string }; result: void };
  /** A server's details (GET /servers/{id}); `server` is an id or unique name. */
  'server.get': { args: { cloud: string; server: string }; result: ServerDetails };
  /**
   * One power action. Nova's refusals come back as Nova words them: 409 (wrong state) as 'conflict', 403 as
   * 'forbidden'. Resolves once Nova accepted the action (202); the change itself shows in `server.get`.
   */
  'server.action': { args: { cloud: string; server: string; action: ServerAction }; result: void };
  /** The last `lines` lines of a server's console log, or all of it; 'unavailable' when its driver keeps none. */
  'console.log': { args: { cloud: string; server: string; lines?: number }; result: ConsoleLog };
  /** Answer a trust prompt (event `trust.prompt`). */
  'trust.decide': { args: { promptId: string; decision: TrustDecision }; result: void };
  'trust.list': { args: void; result: CertificateInfo[] };
  /** Trust prompts still waiting for an answer: a page that (re)loads shows them again (events are not replayed). */
  'trust.pending': { args: void; result: TrustPrompt[] };
  'trust.revoke': { args: { endpoint: string }; result: void };
  /** Remember (or forget, with `credentials: null`) credentials for a destination `host:port`. */
  'credentials.save': { args: { endpoint: string; credentials: Credentials | null }; result: void };
  'settings.get': { args: void; result: AppSettings };
  'settings.update': { args: SettingsPatch; result: AppSettings };
}

/** Every event the services may push to the page. */
export interface ConsoleEvents {
  'clouds.changed': CloudSummary[];
  /** The gateway met a certificate that is not pinned (or changed): the session waits for `trust.decide`. */
  'trust.prompt': TrustPrompt;
  /**
   * What the gateway or relay knows about a session (the page learns the rest from its display engine). A `closed`
   * status says why in `reason` and what kind of end it was in `cause` (the page's auto-reconnect reads it).
   */
  'session.status': { sessionId: string; state: 'connecting' | 'connected' | 'closed'; reason?: string; cause?: SessionEndCause };
  /** Open a console the OS handed the app (a `nova-console://` link or an `.rdp` file), as if it had been pasted. */
  'app.open': { target: ConsoleTarget; label: string; username?: string; domain?: string };
  /**
   * A link or .rdp file the OS handed the app could not be opened: `message` says why (shown as an alert). It never
   * repeats the link itself (it may carry a console token); a file is named by its base name.
   */
  'app.openError': { source: 'link' | 'file'; message: string };
}

export type RequestName = keyof ConsoleRequests;
export type EventName = keyof ConsoleEvents;
export type Args<K extends RequestName> = ConsoleRequests[K]['args'];
export type Result<K extends RequestName> = ConsoleRequests[K]['result'];

/** What a transport carries back for a request: a result or an ApiError, never a thrown stack. */
export type Reply<K extends RequestName> = { ok: true; value: Result<K> } | { ok: false; error: ApiError };

/**
 * What both transports hand the page (the preload's `window.novaConsole`, or the browser-mode WebSocket client):
 * every request answers a Reply, also when the transport itself fails (then `unreachable`). The page unwraps
 * replies in one place (renderer/api/console-api.ts).
 */
export interface ApiTransport {
  request<K extends RequestName>(name: K, ...args: Args<K> extends void ? [] : [Args<K>]): Promise<Reply<K>>;
  on<E extends EventName>(event: E, listener: (payload: ConsoleEvents[E]) => void): () => void;
}

// Every request name once: a request added to ConsoleRequests and missing here (or listed here and unknown there)
// is a compile error, so the run-time list cannot drift from the contract.
const REQUEST_NAME_TABLE: { readonly [K in RequestName]: true } = {
  'app.info': true,
  'app.log': true,
  'clouds.list': true,
  'servers.list': true,
  'session.open': true,
  'session.close': true,
  'server.get': true,
  'server.action': true,
  'console.log': true,
  'trust.decide': true,
  'trust.list': true,
  'trust.pending': true,
  'trust.revoke': true,
  'credentials.save': true,
  'settings.get': true,
  'settings.update': true,
};

/** Names of every request, for transports that must reject unknown ones at run time. */
export const REQUEST_NAMES = Object.keys(REQUEST_NAME_TABLE) as readonly RequestName[];

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.hasOwn(REQUEST_NAME_TABLE, name);
}

/** Electron IPC channel names: one per request, namespaced so nothing else can be invoked. */
export const ipcChannel = (name: RequestName): string => `nova-console:${name}`;
export const IPC_EVENT_CHANNEL = 'nova-console:event';
