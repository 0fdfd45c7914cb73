import type {
  AppSettings,
  CertificateInfo,
  CloudSummary,
  ConsoleProtocol,
  ConsoleTarget,
  Credentials,
  ErrorCode,
  ServerAction,
  ServerDetails,
  ServerSummary,
  SessionEndCause,
  SessionGrant,
  TrustDecision,
  TrustPrompt,
} from '../../electron/common/contract.ts';
import type { ConsoleApi } from '../api/console-api.ts';
import type { AutoReconnect } from '../logic/auto-reconnect.ts';

export interface CloudsSlice {
  clouds: CloudSummary[];
  cloudsState: 'loading' | 'ready' | 'error';
  cloudsError?: string;
  loadClouds: () => Promise<void>;
  setClouds: (clouds: CloudSummary[]) => void;
}

/** The servers of one cloud, fetched page by page. */
export interface CloudServers {
  state: 'idle' | 'loading' | 'ready' | 'error';
  servers: ServerSummary[];
  /** More pages are being fetched in the background. */
  more: boolean;
  error?: string;
  /** The error's code, so the sidebar can tell a cloud out of reach from one that answered with a failure. */
  errorCode?: ErrorCode;
  allProjects: boolean;
  /** Bumped on refresh so a slower earlier fetch cannot overwrite a newer one. */
  generation: number;
}

export interface ServersSlice {
  servers: Record<string, CloudServers>;
  query: string;
  setQuery: (query: string) => void;
  loadServers: (cloud: string, opts?: { allProjects?: boolean }) => Promise<void>;
}

/**
 * What a tab was opened from, so Reconnect asks for the same thing again. A server remembers the console type that
 * opened ("Open as", or the one the app's order found), so a reconnect does not switch types.
 */
export type TabOrigin =
  | { kind: 'server'; cloud: string; serverId: string; serverName: string; protocol?: ConsoleProtocol }
  | { kind: 'url'; url: string; cloud?: string }
  | Extract<ConsoleTarget, { kind: 'address' }>;

/** Where a tab's session connects (host:port), for remembering credentials. */
export function grantEndpoint(grant: SessionGrant): string {
  return grant.protocol === 'rdp' ? grant.destination : grant.endpoint;
}

export type TabState = 'opening' | 'connecting' | 'connected' | 'disconnected';

/**
 * Who said why a tab's session ended: the gateway (the main process, which holds the server's socket), the display
 * engine (which sees only its WebSocket to the gateway), the engine reporting a refused login, or the server's own
 * state as Nova reports it (stopped, suspended: see server-follow.ts). See setTabState.
 */
export type ReasonSource = 'engine' | 'gateway' | 'login' | 'server';

/**
 * What the server of a cloud console tab is doing that the console follows (server-follow.ts): a stopped, suspended
 * or rebooting server ended the session and brings it back when ACTIVE again; a paused one keeps it.
 */
export type ServerHold = 'stopped' | 'suspended' | 'rebooting' | 'paused';

/** A tab that shows a remote console (RDP, VNC). */
export interface ConsoleTab {
  kind: 'console';
  id: string;
  title: string;
  origin: TabOrigin;
  state: TabState;
  /** Why the tab is disconnected, or why it never got a console. */
  reason?: string;
  /** Who gave `reason` (a more specific source is not overwritten by a vaguer one). */
  reasonFrom?: ReasonSource;
  grant?: SessionGrant;
  /** Credentials typed in the credentials dialog for this tab (override the grant's). */
  credentials?: Credentials;
  /** Bumped on every (re)connect so the display starts a fresh session. */
  attempt: number;
  /** User name (and domain) suggested by an .rdp file, for the credentials dialog. */
  userHint?: { username: string; domain?: string };
  /** The last thing that went wrong without ending the session (or a toolbar action's answer), for the status line. */
  note?: string;
  /** `good`: the note reports a recovery (the session came back), not a problem. */
  noteTone?: 'good';
  /** What the cloud server is doing that this console follows (absent while it runs normally). */
  serverHold?: ServerHold;
  /** Where reconnecting by itself stands after a lost session (logic/auto-reconnect.ts); absent when not. */
  autoReconnect?: AutoReconnect;
}

/** How much of a console log to ask for: the last 100 or 1000 lines, or all of it. */
export type LogLines = 100 | 1000 | 'all';

/**
 * A tab that shows a server's console log (read-only, followed while visible). It has no session: the console-only
 * fields are declared absent so code that looks for a tab's session (`t.grant?.sessionId`) needs no narrowing.
 */
export interface LogTab {
  kind: 'log';
  id: string;
  title: string;
  origin: Extract<TabOrigin, { kind: 'server' }>;
  /** loading: no answer yet; ready: the log is shown; unavailable: the driver keeps none; error: the last fetch failed. */
  state: 'loading' | 'ready' | 'unavailable' | 'error';
  /** Why the log is unavailable or the last fetch failed (the last text stays shown). */
  reason?: string;
  lines: LogLines;
  /** The log as last fetched (raw: ANSI escapes are rendered or stripped by the view). */
  output?: string;
  /** When the log was last fetched (ms since the epoch). */
  fetchedAt?: number;
  /** Bumped on every fetch, so an older fetch's answer is dropped. */
  attempt: number;
  reasonFrom?: undefined;
  autoReconnect?: undefined;
  grant?: undefined;
  credentials?: undefined;
  userHint?: undefined;
  note?: undefined;
}

export type Tab = ConsoleTab | LogTab;

export interface TabsSlice {
  tabs: Tab[];
  activeTabId?: string;
  /** The message of the last rejected paste, shown as an alert. */
  inputError?: string;
  /** Opens (or shows) a server's console: of `protocol` ("Open as"), else the first type the app's order finds. */
  openServer: (cloud: string, server: ServerSummary, protocol?: ConsoleProtocol) => Promise<void>;
  /** A pasted or typed target: no tab opens unless the main process accepts it. */
  openTarget: (target: ConsoleTarget, label: string, userHint?: ConsoleTab['userHint']) => Promise<boolean>;
  setInputError: (message: string | undefined) => void;
  /** Reconnects now (the user's Reconnect): a fresh grant, and for a cloud tab a fresh console URL. */
  reconnect: (tabId: string) => Promise<void>;
  /** Stops reconnecting by itself; the tab stays disconnected with its reason. */
  stopReconnecting: (tabId: string) => void;
  closeTab: (tabId: string) => Promise<void>;
  activateTab: (tabId: string) => void;
  cycleTab: (delta: 1 | -1) => void;
  moveTab: (tabId: string, delta: number) => void;
  moveTabTo: (tabId: string, index: number) => void;
  /**
   * A state for the tab's current attempt (`attempt` of an older one is ignored); `source` says who gave `reason`,
   * and `cause` what kind of end the gateway or relay saw (it decides whether the tab reconnects by itself).
   */
  setTabState: (tabId: string, attempt: number, state: TabState, reason?: string, source?: ReasonSource, cause?: SessionEndCause) => void;
  setTabCredentials: (tabId: string, credentials: Credentials) => void;
  /** A sentence for the tab's status line (a toolbar action's answer). */
  showNote: (tabId: string, message: string) => void;
  /** A failure that did not end the tab's session: shown in its status line and written to the main process log. */
  reportProblem: (tabId: string, message: string) => void;
  /** Lets every console tab of a server follow what server.get said about it (server-follow.ts). */
  followServer: (cloud: string, server: string, details: ServerDetails) => void;
  /** Opens (or shows) a server's console log in its own tab. */
  openConsoleLog: (cloud: string, server: { id: string; name: string }) => void;
  /** Fetches a log tab's log again (its `lines`); a failure keeps the last text and says why. */
  refreshLog: (tabId: string) => Promise<void>;
  /** How much of the log a log tab asks for; fetches at once. */
  setLogLines: (tabId: string, lines: LogLines) => Promise<void>;
}

/** What the page knows of one server, for the details panel and for the consoles that follow it. */
export interface ServerInfo {
  details?: ServerDetails;
  /** Why the last server.get failed (the last details stay shown). */
  error?: string;
  /** The action on its way to Nova. */
  busy?: ServerAction;
  /** Nova's refusal of the last action, as Nova words it. */
  actionError?: string;
  /** After an action, poll fast until this time (ms since the epoch), before Nova's task state shows. */
  fastUntil?: number;
  /** Bumped by every action, so the panel's poller restarts at once. */
  actions: number;
}

export interface ServerInfoSlice {
  /** Keyed by serverKey(cloud, server). */
  serverInfo: Record<string, ServerInfo>;
  /** The details side panel of cloud console tabs: open or collapsed (one choice for the whole run). */
  detailsOpen: boolean;
  setDetailsOpen: (open: boolean) => void;
  /**
   * Asks Nova for a server's details once and lets every console tab of that server follow what it says
   * (server-follow.ts). Never throws: a failure is kept in serverInfo.
   */
  refreshServer: (cloud: string, server: string) => Promise<void>;
  /** One power action; Nova's refusal is kept as `actionError`, and the server is then polled fast. */
  runServerAction: (cloud: string, server: string, action: ServerAction) => Promise<void>;
  /** "Details" from the sidebar: the server's console tab, with the details panel open. */
  showServerDetails: (cloud: string, server: ServerSummary) => Promise<void>;
}

export interface SettingsSlice {
  settings?: AppSettings;
  certificates: CertificateInfo[];
  loadSettings: () => Promise<void>;
  setHideDemoCloud: (hide: boolean) => Promise<void>;
  setConsoleCredentials: (cloud: string, credentials: Credentials | null) => Promise<void>;
  loadCertificates: () => Promise<void>;
  revokeCertificate: (endpoint: string) => Promise<void>;
}

export type Dialog =
  | { kind: 'settings' }
  | { kind: 'credentials'; tabId: string };

export interface DialogsSlice {
  /** Trust prompts waiting for an answer, oldest first (shown one at a time). */
  trustPrompts: TrustPrompt[];
  dialog?: Dialog;
  /** Error from a dialog action, shown inside it. */
  dialogError?: string;
  openDialog: (dialog: Dialog) => void;
  closeDialog: () => void;
  pushTrustPrompt: (prompt: TrustPrompt) => void;
  decideTrust: (promptId: string, decision: TrustDecision) => Promise<void>;
  /** Credentials dialog: use for this tab, optionally remember for its destination, and reconnect. */
  submitCredentials: (tabId: string, credentials: Credentials, remember: boolean) => Promise<void>;
}

export interface AppContext {
  api: ConsoleApi;
  mode?: 'electron' | 'browser';
  /** Lost connection to the services (browser mode host stopped). */
  fatal?: string;
  setFatal: (message: string) => void;
}

export type AppState = AppContext & CloudsSlice & ServersSlice & TabsSlice & ServerInfoSlice & SettingsSlice & DialogsSlice;
