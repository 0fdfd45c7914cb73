import type {
  AppSettings,
  CertificateInfo,
  CloudSummary,
  ConsoleTarget,
  Credentials,
  ListServersArgs,
  ServerPage,
  SessionGrant,
  SettingsPatch,
  TrustDecision,
  TrustPrompt,
} from '../common/contract.ts';

/** Where a console URL's token leads (Nova's token lookup): services-side only, the page never sees it. */
export interface ConsoleConnectInfo {
  cloud: string;
  instanceUuid: string;
  host: string;
  port: number;
  /** Hyper-V: the VM id, sent as the RDP pre-connection blob. */
  internalAccessPath?: string;
}

/**
 * What the handlers need from the OpenStack side. electron/openstack implements it over real clouds; tests may
 * implement it over anything. Methods throw AppError with a message an administrator understands.
 */
export interface ConsoleService {
  listClouds(): Promise<CloudSummary[]>;
  listServers(args: ListServersArgs): Promise<ServerPage>;
  /** `name`: the server's name as Nova knows it (tab titles), where the service has it. */
  consoleUrl(cloud: string, server: string): Promise<{ cloud: string; serverId: string; url: string; name?: string }>;
  resolve(url: string, cloud?: string): Promise<ConsoleConnectInfo>;
  /** The name of a server by id (GET /servers/{id}); undefined when unknown. Optional: titles fall back to the id. */
  serverName?(cloud: string, serverId: string): Promise<string | undefined>;
}

/** Gateway sessions (electron/rdp): resolves a target through ConsoleService, then mints a one-time grant. */
export interface SessionService {
  open(target: ConsoleTarget): Promise<SessionGrant>;
  close(sessionId: string): Promise<void>;
}

/** Pinned certificates (trust on first use) and the answers to pending trust prompts. */
export interface TrustService {
  decide(promptId: string, decision: TrustDecision): Promise<void>;
  list(): Promise<CertificateInfo[]>;
  revoke(endpoint: string): Promise<void>;
  /** Prompts still waiting for an answer (absent: none are ever pending). */
  pendingPrompts?(): TrustPrompt[];
}

/** Remembered credentials per `host:port` (OS keychain in Electron, memory in browser mode). */
export interface CredentialService {
  get(endpoint: string): Promise<Credentials | undefined>;
  save(endpoint: string, credentials: Credentials | null): Promise<void>;
}

/** The app's settings in its data folder (electron/app). */
export interface SettingsService {
  get(): Promise<AppSettings>;
  update(patch: SettingsPatch): Promise<AppSettings>;
}
