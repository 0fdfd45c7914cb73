// The embedded demo cloud: a mock Keystone + Nova on one loopback HTTP port, by default a mixed 2023.1 cloud (Hyper-V
// hosts with RDP consoles, libvirt hosts with VNC consoles; `release: '2024.1'` leaves only libvirt), laid out like
// devstack (/identity/v3, /compute/v2.1, /image, /networking) plus the seed's legacy /compute/v2 and /compute/v3
// roots and the RDP console page at /rdp/. The VNC console URLs name a noVNC proxy, which this module does not
// start (electron/demo/environment.ts does). The app starts it in-process; electron/demo/main.ts runs it standalone.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLarge, readBody, segments, sendJson, type Exchange } from './http.ts';
import { Identity } from './keystone.ts';
import { Compute } from './compute.ts';
import { SeedRoutes } from './seed-routes.ts';
import { ImageService } from './image-service.ts';
import { NetworkService } from './network-service.ts';
import { releaseRules, type DemoRelease } from './release.ts';
import { ConsoleBroker, type ConsoleEndpoint, type ConsoleToken } from './consoles.ts';
import { consolePage } from './console-page.ts';
import { novaFaultBody } from './errors.ts';
import { APPLICATION_CREDENTIALS, PROJECTS, REGION, USERS, buildServers, serverStatus, type DemoServer, type HypervisorType } from './demo-data.ts';
import { Guests } from './guests.ts';
import { PowerActions } from './power-actions.ts';
import type { Guest } from '../guest-os/guest.ts';

export interface DemoCloudOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Console token lifetime, Nova's [consoleauth] token_ttl; default 600. */
  tokenTtlSeconds?: number;
  /** Keystone token lifetime; default 3600. */
  keystoneTokenTtlSeconds?: number;
  /** Generates this many more servers (scale-00001, …) in the demo project. */
  extraServers?: number;
  /** What RDP console token lookups return as host/port (the Hyper-V console host); default 127.0.0.1:2179. */
  consoleHost?: ConsoleEndpoint;
  /** '2023.1' (the default): Hyper-V and libvirt hosts. '2024.1': libvirt only, RDP refused as Nova 29 refuses it. */
  release?: DemoRelease;
  /** Nova's [vnc] novncproxy_base_url; default http://127.0.0.1:6080/vnc_auto.html (nothing listens there). */
  novncProxyBaseUrl?: string;
  /**
   * Where a libvirt VM's VNC server listens, for VNC tokens; default 127.0.0.1 and 5900 + the VM's place among the
   * libvirt servers (nothing listens there either: the environment passes its VNC hosts' real endpoints).
   */
  vncEndpoint?: (server: MockCloudServer) => Promise<ConsoleEndpoint>;
  /** Nova's [serial_console] base_url; default ws://127.0.0.1:6083/ (nothing listens there). */
  serialProxyBaseUrl?: string;
  /**
   * Where a libvirt VM's serial port listens, for serial tokens; default 127.0.0.1 and 10000 + the VM's place among
   * the libvirt servers (Nova's [serial_console] port_range starts at 10000; nothing listens there either).
   */
  serialEndpoint?: (server: MockCloudServer) => Promise<ConsoleEndpoint>;
  /** Clock in milliseconds, injectable so tests can expire tokens without waiting. */
  now?: () => number;
  /**
   * Multiplies the time power actions take (about 1-3 s each at 1) and the guests' boot steps and idle messages;
   * tests pass something small. Default 1.
   */
  timeScale?: number;
  /** Called whenever a power action changed a server's status, task or power state, so its consoles can show it. */
  onServerStatus?: (server: MockCloudServer) => void;
}

export interface MockCloudUser {
  username: string;
  password: string;
  project_name: string;
  roles: string[];
}

export interface MockCloudServer {
  id: string;
  name: string;
  status: string;
  /**
   * The hypervisor's VM id: for Hyper-V the VM id the console host routes by (what RDP token lookups return as
   * internal_access_path); for libvirt the domain UUID, which is the server id.
   */
  vm_id: string;
  /** 'hyperv' (RDP console) or 'QEMU' (libvirt, VNC and serial consoles), as Nova's os-hypervisors names them. */
  hypervisor_type: HypervisorType;
  /** Nova's power_state: 1 running, 3 paused, 4 shut down, 7 suspended. */
  power_state: number;
  task_state: string | null;
}

export interface MockCloudApplicationCredential {
  id: string;
  name: string;
  secret: string;
  username: string;
  project_name: string;
}

export interface MockCloudInfo {
  auth_url: string;
  region: string;
  users: MockCloudUser[];
  servers: MockCloudServer[];
  application_credentials: MockCloudApplicationCredential[];
  /** The release the cloud answers as. */
  release: DemoRelease;
  /** Where RDP console tokens point (the Hyper-V console host); absent in a cloud without Hyper-V. */
  console_host?: ConsoleEndpoint;
  /** The console host's credentials, when the demo started one (startDemoEnvironment). */
  console_credentials?: { username: string; password: string };
  /** The noVNC proxy VNC console URLs lead to, when the demo started one (startDemoEnvironment). */
  novnc_proxy?: ConsoleEndpoint;
  /** The serial console proxy serial console URLs lead to, when the demo started one (startDemoEnvironment). */
  serial_proxy?: ConsoleEndpoint;
}

export interface DemoCloud {
  /** Exactly the JSON object the standalone command prints. */
  info: MockCloudInfo;
  /** http://127.0.0.1:P/identity/v3 */
  authUrl: string;
  /** A console token's record while it is valid, as Nova's console proxies look tokens up. */
  lookupConsoleToken(token: string): ConsoleToken | undefined;
  /** The server's VM (its console log, its serial port); undefined for an unknown server or one without a host. */
  guest(serverId: string): Guest | undefined;
  close(): Promise<void>;
}

/** The info object lists each server as it was at start; `onServerStatus` passes the current one. */
function describeServer(s: DemoServer): MockCloudServer {
  return {
    id: s.id,
    name: s.name,
    status: serverStatus(s),
    vm_id: s.vmId,
    hypervisor_type: s.hypervisorType,
    power_state: s.powerState,
    task_state: s.taskState,
  };
}

export async function startDemoCloud(opts: DemoCloudOptions = {}): Promise<DemoCloud> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const consoleHost = opts.consoleHost ?? { host: '127.0.0.1', port: 2179 };
  const release = releaseRules(opts.release ?? '2023.1');
  const servers = buildServers(opts.extraServers ?? 0, release.release);
  const libvirtIds = servers.filter((s) => s.hypervisorType === 'QEMU').map((s) => s.id);
  const vncEndpoint =
    opts.vncEndpoint ?? ((s: MockCloudServer) => Promise.resolve({ host: '127.0.0.1', port: 5900 + libvirtIds.indexOf(s.id) }));
  const serialEndpoint =
    opts.serialEndpoint ?? ((s: MockCloudServer) => Promise.resolve({ host: '127.0.0.1', port: 10000 + libvirtIds.indexOf(s.id) }));
  const timeScale = opts.timeScale ?? 1;
  const guests = new Guests({ now, timeScale });

  // The base URL needs the port, known only after listen(); requests arrive only after that.
  let baseUrl = '';
  let identity!: Identity;
  let broker!: ConsoleBroker;
  let compute!: Compute;
  let images!: ImageService;
  let networks!: NetworkService;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the mock must still look like a Nova 500, not a dropped connection.
      if (!res.headersSent) sendJson(res, 500, novaFaultBody(500, 'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.'));
      else res.destroy();
      process.emitWarning(`demo cloud: ${err instanceof Error ? err.message : String(err)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) return sendJson(res, 413, novaFaultBody(413, 'Request is too large.'));
      throw err;
    }
    const ex: Exchange = { req, res, method: req.method ?? 'GET', url, body, origin: req.headers.host ? `http://${req.headers.host}` : baseUrl };
    const identityPath = segments(url.pathname, '/identity');
    if (identityPath) return identity.handle(ex, identityPath);
    const computePath = segments(url.pathname, '/compute');
    if (computePath) return compute.handle(ex, computePath);
    const imagePath = segments(url.pathname, '/image');
    if (imagePath) return images.handle(ex, imagePath);
    const networkPath = segments(url.pathname, '/networking');
    if (networkPath) return networks.handle(ex, networkPath);
    if (url.pathname === '/rdp/' || url.pathname === '/rdp') return consolePage(ex, broker);
    sendJson(res, 404, { error: { code: 404, message: 'The resource could not be found.', title: 'Not Found' } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;

  identity = new Identity({ baseUrl, ttlSeconds: opts.keystoneTokenTtlSeconds ?? 3600, now });
  broker = new ConsoleBroker({
    rdpProxyBaseUrl: `${baseUrl}/rdp/`,
    novncProxyBaseUrl: opts.novncProxyBaseUrl ?? 'http://127.0.0.1:6080/vnc_auto.html',
    ttlSeconds: opts.tokenTtlSeconds ?? 600,
    now,
    consoleHost,
    vncEndpoint: (s) => vncEndpoint(describeServer(s)),
    serialProxyBaseUrl: opts.serialProxyBaseUrl ?? 'ws://127.0.0.1:6083/',
    serialEndpoint: (s) => serialEndpoint(describeServer(s)),
    release,
  });
  const seed = new SeedRoutes({ identity, broker, servers });
  const onChange = opts.onServerStatus && ((s: DemoServer) => opts.onServerStatus!(describeServer(s)));
  const power = new PowerActions({ guests, now, timeScale, onChange });
  compute = new Compute({ identity, broker, servers, seed, power, guests, release });
  images = new ImageService(identity);
  networks = new NetworkService(identity);

  const projectName = (id: string) => PROJECTS.find((p) => p.id === id)!.name;
  const info: MockCloudInfo = {
    auth_url: `${baseUrl}/identity/v3`,
    region: REGION,
    users: USERS.map((u) => ({
      username: u.name,
      password: u.password,
      project_name: projectName(u.defaultProjectId),
      roles: u.roles[u.defaultProjectId],
    })),
    servers: servers.map(describeServer),
    application_credentials: APPLICATION_CREDENTIALS.map((c) => ({
      id: c.id,
      name: c.name,
      secret: c.secret,
      username: USERS.find((u) => u.id === c.userId)!.name,
      project_name: projectName(c.projectId),
    })),
    release: release.release,
    ...(release.hyperV ? { console_host: { ...consoleHost } } : {}),
  };

  let closing: Promise<void> | undefined;
  return {
    info,
    authUrl: info.auth_url,
    lookupConsoleToken: (token) => broker.lookup(token),
    guest(serverId) {
      const s = servers.find((x) => x.id === serverId);
      return s && guests.get(s);
    },
    close() {
      power.close();
      guests.close();
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
