import type {
  AppSettings,
  CertificateInfo,
  CloudSummary,
  ConsoleProtocol,
  ConsoleLog,
  ConsoleTarget,
  Credentials,
  ListServersArgs,
  ServerAction,
  ServerDetails,
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

/** A fresh console URL of a server (ConsoleService.consoleUrl). */
export interface ConsoleUrlResult {
  cloud: string;
  serverId: string;
  url: string;
  /** The server's name as Nova knows it (tab titles), where the service has it. */
  name?: string;
  /**
   * The console type of `url`: the one asked for, or the one picked when none was. electron/openstack always sets
   * it; optional only so that older implementations (test doubles) still compile: read a missing one as 'rdp'.
   */
  protocol?: ConsoleProtocol;
}

/**
 * What the handlers need from the OpenStack side. electron/openstack implements it over real clouds; tests may
 * implement it over anything. Methods throw AppError with a message an administrator understands.
 */
export interface ConsoleService {
  listClouds(): Promise<CloudSummary[]>;
  listServers(args: ListServersArgs): Promise<ServerPage>;
  /**
   * A fresh console URL of a server (id or unique name). With `protocol`: that type, or an 'unavailable' AppError
   * quoting Nova. Without: the first type the server offers in the app's order (VNC, RDP, serial; SPICE is never
   * picked), trying first the type that last worked in that cloud; one 'unavailable' AppError naming each type's
   * answer when Nova refuses them all.
   */
  consoleUrl(cloud: string, server: string, protocol?: ConsoleProtocol): Promise<ConsoleUrlResult>;
  resolve(url: string, cloud?: string): Promise<ConsoleConnectInfo>;
  /** The name of a server by id (GET /servers/{id}); undefined when unknown. Optional: titles fall back to the id. */
  serverName?(cloud: string, serverId: string): Promise<string | undefined>;
}

/**
 * A server beside its console: details, power actions and the console log (electron/openstack implements it).
 * `server` is an id or a unique name. Nova's refusals become AppErrors quoting Nova: 409 'conflict', 403 'forbidden',
 * 404 'not-found', a driver without a console log 'unavailable'.
 */
export interface ServerService {
  details(cloud: string, server: string): Promise<ServerDetails>;
  action(cloud: string, server: string, action: ServerAction): Promise<void>;
  consoleLog(cloud: string, server: string, lines?: number): Promise<ConsoleLog>;
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
