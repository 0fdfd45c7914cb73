// The whole offline demo in one call: the emulated Hyper-V console host with a live demo desktop per VM, and the
// mock Keystone + Nova whose console tokens point at that host. The app (electron/app/demo.ts) and the standalone
// command (main.ts) both start it here, so they are wired the same way.
import { startDemoCloud, type DemoCloud, type MockCloudInfo } from './cloud/index.ts';
import type { ConsoleEndpoint } from './cloud/consoles.ts';
import { buildServers, serverStatus } from './cloud/demo-data.ts';
import { startDemoConsoleHost, type DemoConsoleHost, type RelayBackend } from './console-host/index.ts';
import { loadOrCreateCertificate, type CertificateFiles } from './demo-desktop/certificate.ts';

export interface DemoEnvironmentOptions {
  /** The demo desktops' certificate (cert.pem, key.pem) lives here, created once so pins survive restarts. */
  dataDir: string;
  /** The cloud's HTTP port; 0 (the default) picks a free one. */
  cloudPort?: number;
  /** The console host's port: Hyper-V's 2179 when free (the default), else any; 0 for any. */
  consolePort?: number;
  /** Point console tokens at this host instead of starting the demo's own console host. */
  externalConsoleHost?: ConsoleEndpoint;
  requireNla?: boolean;
  /** VM id → RDP server the console host relays to instead of that VM's demo desktop. */
  backends?: Map<string, RelayBackend>;
  /** Frame rate of the demo desktops' animated region. */
  fps?: number;
  /** 'fullscreen' changes every pixel each frame, for streaming measurements. */
  animation?: 'box' | 'fullscreen';
  tokenTtlSeconds?: number;
  /** Generated servers on top of the hand-made ones. */
  extraServers?: number;
  /** Console credentials; a random password when not given. */
  credentials?: { username: string; password: string };
  log?: (line: string) => void;
}

export interface DemoEnvironment {
  cloud: DemoCloud;
  /** The cloud's description plus, with the demo's own console host, console_credentials. */
  info: MockCloudInfo;
  /** Absent when console tokens point at an external host. */
  consoleHost?: DemoConsoleHost;
  /** The console host's TLS identity (PEM). */
  certificate?: CertificateFiles;
  close(): Promise<void>;
}

/** A --backend VM id that is no demo server's vm_id; the message names it. */
export class UnknownBackendVm extends Error {
  override name = 'UnknownBackendVm';
}

export async function startDemoEnvironment(opts: DemoEnvironmentOptions): Promise<DemoEnvironment> {
  const servers = buildServers(opts.extraServers ?? 0);
  // Hyper-V VM ids are GUIDs; a relay named in lower case still means that VM.
  const vmIds = new Map(servers.map((s) => [s.vmId.toUpperCase(), s.vmId]));
  const backends = new Map<string, RelayBackend>();
  for (const [id, backend] of opts.backends ?? []) {
    const vmId = vmIds.get(id.toUpperCase());
    if (!vmId) throw new UnknownBackendVm(`--backend ${id}: no demo server has that VM id`);
    backends.set(vmId, backend);
  }

  if (opts.externalConsoleHost) {
    const cloud = await startDemoCloud({ port: opts.cloudPort ?? 0, extraServers: opts.extraServers, tokenTtlSeconds: opts.tokenTtlSeconds, consoleHost: opts.externalConsoleHost });
    return { cloud, info: cloud.info, close: () => cloud.close() };
  }

  const certificate = await loadOrCreateCertificate(opts.dataDir);
  // The console host routes by Hyper-V VM id, what token lookups return as internal_access_path.
  const consoleHost = await startDemoConsoleHost({
    servers: servers.map((s) => ({ id: s.vmId, name: s.name, status: serverStatus(s) })),
    dataDir: opts.dataDir,
    port: opts.consolePort,
    fps: opts.fps,
    animation: opts.animation,
    requireNla: opts.requireNla,
    credentials: opts.credentials,
    backends,
    log: opts.log,
  });
  let cloud: DemoCloud;
  try {
    cloud = await startDemoCloud({
      port: opts.cloudPort ?? 0,
      extraServers: opts.extraServers,
      tokenTtlSeconds: opts.tokenTtlSeconds,
      consoleHost: { host: consoleHost.host, port: consoleHost.port },
      // A stopped VM shows its powered-off screen in every open session, a started one its desktop again.
      onServerStatus: (s) => consoleHost.desktops.get(s.vm_id)?.setStatus(s.status),
    });
  } catch (err) {
    await consoleHost.close();
    throw err;
  }
  const info: MockCloudInfo = { ...cloud.info, console_credentials: { ...consoleHost.credentials } };
  let closing: Promise<void> | undefined;
  return {
    cloud,
    info,
    consoleHost,
    certificate,
    close() {
      closing ??= Promise.all([cloud.close(), consoleHost.close()]).then(() => undefined);
      return closing;
    },
  };
}
