// The whole offline demo in one call: the mock Keystone + Nova, and what its console URLs lead to:
//  - for the Hyper-V servers, the emulated Hyper-V console host with a live demo desktop per VM (RDP);
//  - for the libvirt servers, a VNC server per VM showing the same kind of live desktop, behind a noVNC proxy that
//    behaves like nova-novncproxy, and a serial port per VM (a login and a small shell on the guest's ttyS0) behind
//    a serial proxy that behaves like nova-serialproxy.
// Power actions reach every console of the VM: a stopped or suspended VM's sessions end, a paused one's freeze.
// The app (electron/app/demo.ts) and the standalone command (main.ts) both start it here, so they are wired the
// same way.
import { startDemoCloud, type DemoCloud, type MockCloudInfo } from './cloud/index.ts';
import type { ConsoleEndpoint } from './cloud/consoles.ts';
import { buildServers, serverStatus } from './cloud/demo-data.ts';
import type { DemoRelease } from './cloud/release.ts';
import { startDemoConsoleHost, type DemoConsoleHost, type RelayBackend } from './console-host/index.ts';
import { loadOrCreateCertificate, type CertificateFiles } from './demo-desktop/certificate.ts';
import { startNovncProxy, type NovncProxy } from './novnc-proxy/proxy.ts';
import { startVncHosts, type VncHosts } from './vnc-desktop/vnc-hosts.ts';
import { startSerialPorts, type SerialPorts } from './serial-console/serial-ports.ts';
import { startSerialProxy, type SerialProxy } from './serial-proxy/proxy.ts';
import type { DemoDesktop } from './demo-desktop/desktop.ts';

export interface DemoEnvironmentOptions {
  /** The demo desktops' certificate (cert.pem, key.pem) lives here, created once so pins survive restarts. */
  dataDir: string;
  /** The cloud's HTTP port; 0 (the default) picks a free one. */
  cloudPort?: number;
  /** The console host's port: Hyper-V's 2179 when free (the default), else any; 0 for any. */
  consolePort?: number;
  /** Point RDP console tokens at this host instead of starting the demo's own console host. */
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
  /**
   * '2023.1' (the default): a mixed cloud, Hyper-V and libvirt hosts. '2024.1': a cloud of 2024.1 or later, where
   * Nova has no Hyper-V driver: only the libvirt servers exist, RDP is refused, and no RDP console host starts.
   */
  release?: DemoRelease;
  /** The noVNC proxy's port: Nova's 6080 when free (the default), else any; 0 for any. */
  novncPort?: number;
  /** The serial console proxy's port: Nova's 6083 when free (the default), else any; 0 for any. */
  serialPort?: number;
  /**
   * Multiplies how long power actions take (about 1-3 s each at 1, the default) and the guests' boot and log pace;
   * tests pass something small, 0 finishes transitions at once.
   */
  timeScale?: number;
  log?: (line: string) => void;
}

export interface DemoEnvironment {
  cloud: DemoCloud;
  /** The cloud's description plus, with the demo's own console host, console_credentials, novnc_proxy and serial_proxy. */
  info: MockCloudInfo;
  /** Absent when RDP console tokens point at an external host, and in a cloud without Hyper-V. */
  consoleHost?: DemoConsoleHost;
  /** The console host's TLS identity (PEM), with the console host. */
  certificate?: CertificateFiles;
  /** The libvirt VMs' demo desktops and VNC servers. */
  vncHosts: VncHosts;
  novncProxy: NovncProxy;
  /** The libvirt VMs' serial ports and the proxy in front of them. */
  serialPorts: SerialPorts;
  serialProxy: SerialProxy;
  close(): Promise<void>;
}

/** Shows a server's new status on a demo desktop: off ends its sessions, paused freezes them, else it is drawn. */
function showStatus(desktop: DemoDesktop | undefined, status: string): void {
  if (!desktop) return;
  if (status === 'SHUTOFF' || status === 'SUSPENDED') desktop.turnOff(status);
  else if (status === 'PAUSED') desktop.freeze();
  else if (desktop.frozen || desktop.status !== status) desktop.setStatus(status);
}

/** A --backend VM id that is no demo server's vm_id; the message names it. */
export class UnknownBackendVm extends Error {
  override name = 'UnknownBackendVm';
}

export async function startDemoEnvironment(opts: DemoEnvironmentOptions): Promise<DemoEnvironment> {
  const release = opts.release ?? '2023.1';
  const servers = buildServers(opts.extraServers ?? 0, release);
  const hyperV = servers.filter((s) => s.hypervisorType === 'hyperv');
  const libvirt = servers.filter((s) => s.hypervisorType === 'QEMU');
  // Hyper-V VM ids are GUIDs; a relay named in lower case still means that VM.
  const vmIds = new Map(hyperV.map((s) => [s.vmId.toUpperCase(), s.vmId]));
  const backends = new Map<string, RelayBackend>();
  for (const [id, backend] of opts.backends ?? []) {
    const vmId = vmIds.get(id.toUpperCase());
    if (!vmId) throw new UnknownBackendVm(`--backend ${id}: no demo server has that VM id`);
    backends.set(vmId, backend);
  }

  // Everything started so far, closed in reverse if a later step fails.
  const started: Array<{ close(): Promise<void> }> = [];
  const closeStarted = () => Promise.all(started.reverse().map((s) => s.close())).then(() => undefined);
  try {
    const vncHosts = startVncHosts({
      vms: libvirt.map((s) => ({ id: s.id, name: s.name, status: serverStatus(s), domainName: s.instanceName })),
      fps: opts.fps,
      animation: opts.animation,
      log: opts.log,
    });
    started.push(vncHosts);
    // The proxy looks tokens up in the cloud, which needs the proxy's address first: the lookup is bound late.
    let cloud: DemoCloud | undefined;
    const novncProxy = await startNovncProxy({ port: opts.novncPort, lookupToken: (token) => cloud?.lookupConsoleToken(token), log: opts.log });
    started.push(novncProxy);
    const serialPorts = startSerialPorts({ guest: (id) => cloud?.guest(id), log: opts.log });
    started.push(serialPorts);
    const serialProxy = await startSerialProxy({ port: opts.serialPort, lookupToken: (token) => cloud?.lookupConsoleToken(token), log: opts.log });
    started.push(serialProxy);

    let consoleHost: DemoConsoleHost | undefined;
    let certificate: CertificateFiles | undefined;
    if (!opts.externalConsoleHost && hyperV.length > 0) {
      certificate = await loadOrCreateCertificate(opts.dataDir);
      // The console host routes by Hyper-V VM id, what token lookups return as internal_access_path.
      consoleHost = await startDemoConsoleHost({
        servers: hyperV.map((s) => ({ id: s.vmId, name: s.name, status: serverStatus(s) })),
        dataDir: opts.dataDir,
        port: opts.consolePort,
        fps: opts.fps,
        animation: opts.animation,
        requireNla: opts.requireNla,
        credentials: opts.credentials,
        backends,
        log: opts.log,
      });
      started.push(consoleHost);
    }
    const rdpHost = consoleHost ?? opts.externalConsoleHost;
    cloud = await startDemoCloud({
      port: opts.cloudPort ?? 0,
      extraServers: opts.extraServers,
      tokenTtlSeconds: opts.tokenTtlSeconds,
      release,
      consoleHost: rdpHost && { host: rdpHost.host, port: rdpHost.port },
      novncProxyBaseUrl: novncProxy.baseUrl,
      vncEndpoint: (s) => vncHosts.endpoint(s.id),
      serialProxyBaseUrl: serialProxy.baseUrl,
      serialEndpoint: (s) => serialPorts.endpoint(s.id),
      timeScale: opts.timeScale,
      // The serial ports follow their guests themselves; the desktops are told here.
      onServerStatus: (s) => showStatus(s.hypervisor_type === 'QEMU' ? vncHosts.desktops.get(s.id) : consoleHost?.desktops.get(s.vm_id), s.status),
    });
    const info: MockCloudInfo = {
      ...cloud.info,
      ...(consoleHost ? { console_credentials: { ...consoleHost.credentials } } : {}),
      novnc_proxy: { host: novncProxy.host, port: novncProxy.port },
      serial_proxy: { host: serialProxy.host, port: serialProxy.port },
    };
    const running = cloud;
    let closing: Promise<void> | undefined;
    return {
      cloud: running,
      info,
      consoleHost,
      certificate,
      vncHosts,
      novncProxy,
      serialPorts,
      serialProxy,
      close() {
        closing ??= Promise.all([running.close(), closeStarted()]).then(() => undefined);
        return closing;
      },
    };
  } catch (err) {
    await closeStarted();
    throw err;
  }
}
