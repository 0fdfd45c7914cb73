import { join } from 'node:path';
import type { Credentials } from '../common/contract.ts';
import type { CloudConfig } from '../openstack/clouds-config.ts';
import type { DemoCloud } from '../demo/cloud/index.ts';
import type { DemoConsoleHost } from '../demo/console-host/index.ts';
import { startDemoEnvironment } from '../demo/environment.ts';

export const DEMO_CLOUD_NAME = 'demo';
export const DEMO_CLOUD_LABEL = 'Demo cloud (offline)';

export interface EmbeddedDemo {
  cloud: CloudConfig;
  /** host:port of the demo's console host, whose certificate and credentials are trusted from the start. */
  consoleEndpoint: string;
  /** PEM of the console host's certificate (pre-trusted: the offline demo shows no prompt). */
  consoleCertificate: string;
  consoleCredentials: Credentials;
  demoCloud: DemoCloud;
  consoleHost: DemoConsoleHost;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** The demo desktops' certificate lives here (created once, so pins survive restarts). */
  dataDir: string;
  /** Generated servers on top of the dozen hand-made ones (scale work). */
  extraServers?: number;
  /** Console host port: Hyper-V's 2179 when free (the default), else any; 0 for any. */
  consolePort?: number;
  /** Frame rate of the demo desktops' animated region. */
  fps?: number;
  log: (line: string) => void;
}

/**
 * The offline demo, in-process: the emulated Hyper-V console host with one live demo desktop per VM, and the demo
 * Keystone + Nova pointing its console tokens at that host, signed in as its admin (token lookups need admin, and
 * the demo servers live in two projects).
 */
export async function startEmbeddedDemo(opts: DemoOptions): Promise<EmbeddedDemo> {
  const env = await startDemoEnvironment({ dataDir: join(opts.dataDir, 'demo'), extraServers: opts.extraServers, consolePort: opts.consolePort, fps: opts.fps, log: opts.log });
  const demoCloud = env.cloud;
  const consoleHost = env.consoleHost!;
  const admin = demoCloud.info.users.find((u) => u.roles.includes('admin')) ?? demoCloud.info.users[0];
  const cloud: CloudConfig = {
    name: DEMO_CLOUD_NAME,
    label: DEMO_CLOUD_LABEL,
    isDemo: true,
    authType: 'password',
    auth: {
      auth_url: demoCloud.authUrl,
      username: admin.username,
      password: admin.password,
      project_name: admin.project_name,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    regionName: demoCloud.info.region,
    source: 'the embedded demo cloud',
  };
  return {
    cloud,
    consoleEndpoint: `${consoleHost.host}:${consoleHost.port}`,
    consoleCertificate: env.certificate!.cert,
    consoleCredentials: { ...consoleHost.credentials },
    demoCloud,
    consoleHost,
    close: () => env.close(),
  };
}
