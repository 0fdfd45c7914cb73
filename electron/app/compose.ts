import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { CloudSummary } from '../common/contract.ts';
import type { EventSink, Services } from '../api/handlers.ts';
import type { ConsoleService } from '../api/services.ts';
import { loadCloudConfigs, type CloudConfig, type ConfigSources } from '../openstack/clouds-config.ts';
import { createOpenStackConsoles } from '../openstack/console-service.ts';
import { join } from 'node:path';
import { RdpGateway } from '../rdp/gateway.ts';
import { ConsoleRelay, type RelayTimeouts } from '../relay/relay.ts';
import { ConsoleSessions } from './console-sessions.ts';
import { CertificateTrust, TrustStore } from '../rdp/trust-store.ts';
import { formatEndpoint } from '../net/address.ts';
import { createXrdpRepair } from '../rdp/xrdp-repair/index.ts';
import { AdminRoles } from './admin-roles.ts';
import { createCredentialStore } from './credential-store.ts';
import { EndpointClouds, sessionCredentials } from './session-credentials.ts';
import { visibleClouds } from './visible-clouds.ts';
import { startEmbeddedDemo, type EmbeddedDemo } from './demo.ts';
import type { SecretBox } from './secret-box.ts';
import { createSettingsStore, type SettingsStore } from './settings-store.ts';

export interface ComposeOptions {
  mode: 'electron' | 'browser';
  dataDir: string;
  version?: string;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Browser mode: the gateway shares the page's loopback server (one port); Electron gives none (own port). */
  httpServer?: Server;
  /** Origins allowed to open gateway sockets (browser mode: the page's own). */
  allowedOrigins?: string[];
  /** Electron: safeStorage, so remembered secrets may be written to disk. */
  secretBox?: SecretBox;
  /**
   * Start the embedded demo cloud (default true); `servers` adds generated servers for scale work, `consolePort`
   * picks the console host's port (default 2179 when free; 0 for any), `fps` the demo desktops' animation rate.
   */
  demo?: boolean | { servers?: number; consolePort?: number; fps?: number };
  /** Where clouds.yaml is looked for (tests point this at an empty folder). */
  cloudSources?: ConfigSources;
  /** The console relay's limits (tests shorten the keepalive to see a half-open connection found in seconds). */
  relayTimeouts?: Partial<RelayTimeouts>;
}

/** Everything the app runs, wired together; both Electron and browser mode start exactly this. */
export interface ComposedApp {
  services: Services;
  settings: SettingsStore;
  /** Clouds from clouds.yaml and the environment, plus the demo cloud (hidden or not). */
  clouds: CloudConfig[];
  /** The embedded demo (cloud, console host), when started. */
  demo?: EmbeddedDemo;
  /** ws:// address of the RDP gateway (on the shared HTTP server in browser mode). */
  gatewayUrl: string;
  /** Connects the services' events to the transport once it exists. */
  bindEvents(emit: EventSink): void;
  close(): Promise<void>;
}

/** The xrdp repair as the gateway's server→client filter (the gateway starts it where RDP proper begins). */
function xrdpRepairFilter(): (chunk: Buffer) => Buffer[] {
  const repair = createXrdpRepair();
  return (chunk) => repair.push(chunk);
}

/**
 * `NOVA_CONSOLE_DEMO_PORT`: the demo console host's port (0: any free one), for runs that must not take Hyper-V's
 * 2179 (tests, a second app on one machine). Unset or invalid: the default (2179 when free).
 */
function demoPortFromEnv(env: NodeJS.ProcessEnv, log: (line: string) => void): number | undefined {
  const raw = env.NOVA_CONSOLE_DEMO_PORT;
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+$/.test(raw) && Number(raw) <= 65535) return Number(raw);
  log(`NOVA_CONSOLE_DEMO_PORT=${JSON.stringify(raw)} is not a port number (0 to 65535); using the default.`);
  return undefined;
}

export async function composeApp(opts: ComposeOptions): Promise<ComposedApp> {
  const { log } = opts;
  const closers: Array<() => Promise<void> | void> = [];
  let emit: EventSink = () => undefined;
  const events: EventSink = (event, payload) => emit(event, payload);

  try {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const settings = createSettingsStore(opts.dataDir, opts.secretBox, log);
    const credentials = createCredentialStore(opts.dataDir, opts.secretBox, log);

    const clouds: CloudConfig[] = [];
    try {
      clouds.push(...loadCloudConfigs({ env: opts.env, ...opts.cloudSources }).clouds);
    } catch (err) {
      // A broken clouds.yaml must not keep the demo (or the direct-address tabs) from working.
      log(`Cloud configuration not loaded: ${(err as Error).message}`);
    }

    let demo: EmbeddedDemo | undefined;
    if (opts.demo !== false) {
      const d = typeof opts.demo === 'object' ? opts.demo : {};
      const consolePort = d.consolePort ?? demoPortFromEnv(opts.env ?? process.env, log);
      try {
        demo = await startEmbeddedDemo({ log, dataDir: opts.dataDir, extraServers: d.servers, consolePort, fps: d.fps });
      } catch (err) {
        // The app still serves real clouds and direct addresses without its demo.
        log(`The demo cloud could not start: ${(err as Error).message}`);
      }
    }
    if (demo) {
      const started = demo;
      closers.push(() => started.close());
      clouds.push(demo.cloud);
      // The offline demo shows no prompt: its console credentials are filled in (unless the user set others).
      settings.presetConsoleCredentials(demo.cloud.name, demo.consoleCredentials);
    }

    const openstack = createOpenStackConsoles({ clouds });
    closers.push(() => openstack.close());

    const listClouds = async (): Promise<CloudSummary[]> =>
      visibleClouds(await openstack.listClouds(), (await settings.get()).hideDemoCloud).map((c) => admins.annotate(c));
    const announceClouds = () =>
      listClouds().then(
        (list) => events('clouds.changed', list),
        (err: unknown) => log(`Cloud list not announced: ${err instanceof Error ? err.message : String(err)}`),
      );
    const admins = new AdminRoles((cloud) => openstack.nova(cloud).isAdmin(), () => void announceClouds());
    const endpointClouds = new EndpointClouds();
    const consoles: ConsoleService = {
      listClouds,
      listServers: async (args) => {
        const page = await openstack.listServers(args);
        await admins.learn(args.cloud);
        return page;
      },
      consoleUrl: (cloud, server, protocol) => openstack.consoleUrl(cloud, server, protocol),
      serverName: (cloud, serverId) => openstack.serverName(cloud, serverId),
      resolve: async (url, cloud) => {
        const info = await openstack.resolve(url, cloud);
        endpointClouds.remember(formatEndpoint(info.host, info.port), info.cloud);
        return info;
      },
    };

    const trustStore = new TrustStore(join(opts.dataDir, 'trusted-certificates.json'), log);
    if (demo) trustStore.addPreTrusted(demo.consoleEndpoint, demo.consoleCertificate);
    const trust = new CertificateTrust(trustStore, (prompt) => events('trust.prompt', prompt));
    const allowed = opts.allowedOrigins;
    const allowOrigin = allowed ? (origin: string | undefined) => origin !== undefined && allowed.includes(origin) : undefined;
    const gateway = new RdpGateway({
      verifyCertificate: trust.verify,
      onStatus: (status) => events('session.status', status),
      // IronRDP 0.7.0 draws padded bitmap rows (xrdp's) skewed; the repair rewrites only those rectangles.
      serverFilter: (opts.env ?? process.env).NOVA_CONSOLE_XRDP_REPAIR === '0' ? undefined : xrdpRepairFilter,
      allowOrigin,
      log,
    });
    // VNC (and later serial) consoles: the main process opens the proxy's WebSocket or the TCP connection itself.
    const relay = new ConsoleRelay({
      verifyCertificate: trust.verify,
      onStatus: (status) => events('session.status', status),
      allowOrigin,
      log,
      timeouts: opts.relayTimeouts,
    });
    if (opts.httpServer) {
      gateway.attach(opts.httpServer);
      relay.attach(opts.httpServer);
    } else {
      // Electron: gateway and relay share one loopback port of their own, so the page's CSP names one socket origin.
      await gateway.listen('127.0.0.1', 0);
      relay.attach(gateway.httpServer);
    }
    closers.push(() => gateway.close());
    closers.push(() => relay.close());
    const sessions = new ConsoleSessions({
      consoles,
      gateway,
      relay,
      credentials: sessionCredentials(credentials, (cloud) => settings.consoleCredentials(cloud), endpointClouds.cloudOf),
    });
    let lastHide: boolean | undefined;
    settings.onChange((s) => {
      if (s.hideDemoCloud === lastHide) return;
      lastHide = s.hideDemoCloud;
      void announceClouds();
    });

    const services: Services = {
      version: opts.version ?? '0.0.0',
      mode: opts.mode,
      consoles,
      sessions,
      servers: openstack,
      trust,
      credentials,
      settings,
      log,
      logInternalError: (request, err) => log(`internal error in ${request}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    };

    return {
      services,
      settings,
      clouds,
      demo,
      get gatewayUrl() {
        return gateway.url; // read late: in browser mode the shared server listens after composing
      },
      bindEvents(sink) {
        emit = sink;
      },
      async close() {
        for (const c of closers.reverse()) await c();
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await c();
    throw err;
  }
}
