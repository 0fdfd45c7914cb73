import type {
  AppSettings,
  CertificateInfo,
  CloudSummary,
  ConsoleProtocol,
  ConsoleTarget,
  Credentials,
  ServerSummary,
  SessionGrant,
  TrustDecision,
  TrustPrompt,
} from '../../electron/common/contract.ts';
import type { ConsoleApi } from '../api/console-api.ts';

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
 * engine (which sees only its WebSocket to the gateway), or the engine reporting a refused login. See setTabState.
 */
export type ReasonSource = 'engine' | 'gateway' | 'login';

export interface Tab {
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
}

export interface TabsSlice {
  tabs: Tab[];
  activeTabId?: string;
  /** The message of the last rejected paste, shown as an alert. */
  inputError?: string;
  /** Opens (or shows) a server's console: of `protocol` ("Open as"), else the first type the app's order finds. */
  openServer: (cloud: string, server: ServerSummary, protocol?: ConsoleProtocol) => Promise<void>;
  /** A pasted or typed target: no tab opens unless the main process accepts it. */
  openTarget: (target: ConsoleTarget, label: string, userHint?: Tab['userHint']) => Promise<boolean>;
  setInputError: (message: string | undefined) => void;
  reconnect: (tabId: string) => Promise<void>;
  closeTab: (tabId: string) => Promise<void>;
  activateTab: (tabId: string) => void;
  cycleTab: (delta: 1 | -1) => void;
  moveTab: (tabId: string, delta: number) => void;
  moveTabTo: (tabId: string, index: number) => void;
  /** A state for the tab's current attempt (`attempt` of an older one is ignored); `source` says who gave `reason`. */
  setTabState: (tabId: string, attempt: number, state: TabState, reason?: string, source?: ReasonSource) => void;
  setTabCredentials: (tabId: string, credentials: Credentials) => void;
  /** A sentence for the tab's status line (a toolbar action's answer). */
  showNote: (tabId: string, message: string) => void;
  /** A failure that did not end the tab's session: shown in its status line and written to the main process log. */
  reportProblem: (tabId: string, message: string) => void;
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

export type AppState = AppContext & CloudsSlice & ServersSlice & TabsSlice & SettingsSlice & DialogsSlice;
