import type { Credentials } from '../api/contract.ts';
import type { CloudConfig } from '../openstack/clouds-config.ts';
import { startMockCloud, type MockCloud } from '../mock/cloud/index.ts';

export const DEMO_CLOUD_NAME = 'demo';
export const DEMO_CLOUD_LABEL = 'Demo cloud (offline)';

export interface EmbeddedDemo {
  cloud: CloudConfig;
  /** host:port of the demo's console host, whose certificate and credentials are trusted from the start. */
  consoleEndpoint: string;
  consoleCredentials?: Credentials;
  mock: MockCloud;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** Generated servers on top of the dozen hand-made ones (scale work). */
  extraServers?: number;
  log: (line: string) => void;
}

/**
 * The offline demo, in-process: the mock Keystone + Nova on a free loopback port, signed in as its admin (so token
 * lookups work and every project shows).
 */
export async function startEmbeddedDemo(opts: DemoOptions): Promise<EmbeddedDemo> {
  const mock = await startMockCloud({ port: 0, extraServers: opts.extraServers });
  const admin = mock.info.users.find((u) => u.roles.includes('admin')) ?? mock.info.users[0];
  const cloud: CloudConfig = {
    name: DEMO_CLOUD_NAME,
    label: DEMO_CLOUD_LABEL,
    isDemo: true,
    authType: 'password',
    auth: {
      auth_url: mock.authUrl,
      username: admin.username,
      password: admin.password,
      project_name: admin.project_name,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    regionName: mock.info.region,
    source: 'the embedded demo cloud',
  };
  const host = mock.info.console_host;
  const creds = mock.info.console_credentials as { username?: string; password?: string } | undefined;
  return {
    cloud,
    consoleEndpoint: `${host.host}:${host.port}`,
    ...(creds?.username ? { consoleCredentials: { username: creds.username, password: creds.password ?? '' } } : {}),
    mock,
    close: () => mock.close(),
  };
}
