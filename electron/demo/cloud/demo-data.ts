// The demo cloud's fixed contents: one domain, two projects laid out as devstack does (admin's "admin" project and
// the member's "demo" project), two users, one application credential, flavors, images, networks and the servers of
// a mixed cloud: about a dozen Windows servers on Hyper-V hosts (RDP consoles) in the states an operator meets, and
// a few Linux servers on libvirt/KVM hosts (VNC consoles). Every id is fixed so tests and documentation can name
// them; `extraServers` generates more, deterministically, for scale work.
import type { DemoRelease } from './release.ts';

export interface Project {
  id: string;
  name: string;
}

export interface User {
  id: string;
  name: string;
  password: string;
  defaultProjectId: string;
  /** Role names per project id. */
  roles: Record<string, string[]>;
}

export interface ApplicationCredential {
  id: string;
  name: string;
  secret: string;
  userId: string;
  projectId: string;
  roles: string[];
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}

export type VmState = 'active' | 'building' | 'stopped' | 'error' | 'paused' | 'suspended';

/** Nova's hypervisor_type of the compute host a server runs on (os-hypervisors): Hyper-V's, or libvirt's QEMU/KVM. */
export type HypervisorType = 'hyperv' | 'QEMU';

export interface Address {
  addr: string;
  version: 4 | 6;
  type: 'fixed' | 'floating';
  mac: string;
}

export interface DemoServer {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  vmState: VmState;
  taskState: string | null;
  /** Nova's power_state numbers: 0 NOSTATE, 1 RUNNING, 3 PAUSED, 4 SHUTDOWN, 7 SUSPENDED. */
  powerState: number;
  /** The compute host; null while scheduling or after a scheduling failure (the console answers 409 then). */
  host: string | null;
  /** The kind of compute host it runs on, or was being scheduled to (its image decides). */
  hypervisorType: HypervisorType;
  instanceName: string;
  /**
   * The hypervisor's own VM id. Nova's Hyper-V driver reports the VM's WMI name (Msvm_ComputerSystem.Name), a GUID
   * Hyper-V assigns itself, as internal_access_path; it is not the Nova server id. WMI writes it in upper case.
   * A libvirt domain's UUID is the Nova server id itself.
   */
  vmId: string;
  /**
   * False for a libvirt domain without a console log file (its host runs no virtlogd while serial consoles are on):
   * Nova answers its console log with 404 ConsoleNotAvailable. Absent: the log exists.
   */
  consoleLogFile?: boolean;
  flavorId: string;
  imageId: string | null;
  addresses: Record<string, Address[]>;
  metadata: Record<string, string>;
  created: string;
  updated: string;
  launchedAt: string | null;
  keyName: string | null;
  description: string | null;
  tags: string[];
  fault?: { code: number; message: string; details: string; created: string };
}

export const DOMAIN = { id: 'default', name: 'Default' };
export const REGION = 'RegionOne';

export const PROJECTS: Project[] = [
  { id: '3f1c2a9be5d84c7f9a0b6d2e4f8a1c07', name: 'admin' },
  { id: 'b7e4d2c19a3f4e6b8d0c5a7f2e9b1d34', name: 'demo' },
];
const [ADMIN_PROJECT, DEMO_PROJECT] = PROJECTS;

export const USERS: User[] = [
  {
    id: 'a1d9f7c3e5b24a6d8f0e2c4b6a8d0f13',
    name: 'admin',
    password: 'demo-admin-secret',
    defaultProjectId: ADMIN_PROJECT.id,
    roles: { [ADMIN_PROJECT.id]: ['admin', 'member', 'reader'] },
  },
  {
    id: 'c5e8a2d4f6b1c3e5a7d9f1b3c5e7a9d2',
    name: 'demo',
    password: 'demo-member-secret',
    defaultProjectId: DEMO_PROJECT.id,
    roles: { [DEMO_PROJECT.id]: ['member', 'reader'] },
  },
];

export const APPLICATION_CREDENTIALS: ApplicationCredential[] = [
  {
    id: 'e2b4d6f8a0c24e6a8c0e2a4c6e8a0c2e',
    name: 'console-viewer',
    secret: 'demo-appcred-secret',
    userId: USERS[1].id,
    projectId: DEMO_PROJECT.id,
    roles: ['member', 'reader'],
  },
];

export const ROLE_IDS: Record<string, string> = {
  admin: '9fe2ff9ee4384b1894a90878d3e92bab',
  member: '4e7a3c2b1d0f4e8a9b6c5d4e3f2a1b0c',
  reader: '7c1b2a3d4e5f4a6b8c9d0e1f2a3b4c5d',
};

export const FLAVORS: Flavor[] = [
  { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
  { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
  { id: '4', name: 'm1.large', vcpus: 4, ram: 8192, disk: 80 },
];

export const IMAGES = {
  win2022: 'a3c1e5f7-2b4d-4f6a-8c0e-1d3f5a7b9c2e',
  win2019: 'b4d2f6a8-3c5e-4a7b-9d1f-2e4a6b8c0d3f',
  win11: 'c5e3a7b9-4d6f-4b8c-8e2a-3f5b7c9d1e4a',
  ubuntu2404: 'd6f4b8c0-5e7a-4c9d-9f3b-4a6c8d0e2f5b',
  debian12: 'e7a5c9d1-6f8b-4dae-8a4c-5b7d9e1f3a6c',
  fedora40: 'f8b6dae2-7a9c-4ebf-9b5d-6c8eaf2a4b7d',
  rocky9: '09c7ebf3-8bad-4fc0-8c6e-7d9fb03b5c8e',
};

/** The images the image service lists (every server's image is among them). */
export interface DemoImage {
  id: string;
  name: string;
  osDistro: string;
  osVersion: string;
  /** Bytes of the image file. */
  size: number;
  minDisk: number;
  created: string;
}

export const IMAGE_LIST: DemoImage[] = [
  { id: IMAGES.win2022, name: 'windows-server-2022', osDistro: 'windows', osVersion: '2022', size: 9_663_676_416, minDisk: 40, created: '2023-03-01T10:00:00Z' },
  { id: IMAGES.win2019, name: 'windows-server-2019', osDistro: 'windows', osVersion: '2019', size: 8_589_934_592, minDisk: 40, created: '2023-03-01T10:05:00Z' },
  { id: IMAGES.win11, name: 'windows-11-enterprise', osDistro: 'windows', osVersion: '11', size: 10_737_418_240, minDisk: 40, created: '2023-03-01T10:10:00Z' },
  { id: IMAGES.ubuntu2404, name: 'ubuntu-24.04', osDistro: 'ubuntu', osVersion: '24.04', size: 614_465_536, minDisk: 10, created: '2023-03-02T09:00:00Z' },
  { id: IMAGES.debian12, name: 'debian-12', osDistro: 'debian', osVersion: '12', size: 377_487_360, minDisk: 10, created: '2023-03-02T09:05:00Z' },
  { id: IMAGES.fedora40, name: 'fedora-40', osDistro: 'fedora', osVersion: '40', size: 524_288_000, minDisk: 10, created: '2023-03-02T09:10:00Z' },
  { id: IMAGES.rocky9, name: 'rocky-9', osDistro: 'rocky', osVersion: '9', size: 1_073_741_824, minDisk: 10, created: '2023-03-02T09:15:00Z' },
];

/** Compute hosts: Hyper-V nodes (the RDP console host stands in for their VMMS) and libvirt/KVM nodes (VNC). */
const HOSTS = ['hv-node-01', 'hv-node-02', 'hv-node-03'];
export const KVM_HOSTS = ['compute-kvm-01', 'compute-kvm-02'];

/** Networks as the network service lists them; servers' addresses are keyed by these names. */
export interface DemoNetwork {
  id: string;
  name: string;
  projectId: string;
  shared: boolean;
  external: boolean;
  subnetId: string;
  cidr: string;
}

let macCounter = 0;
function nic(addr: string, type: 'fixed' | 'floating' = 'fixed'): Address {
  macCounter += 1;
  const version = addr.includes(':') ? 6 : 4;
  const h = macCounter.toString(16).padStart(6, '0');
  return { addr, version, type, mac: `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}` };
}

type Seed = Omit<DemoServer, 'instanceName' | 'updated' | 'launchedAt' | 'description' | 'tags' | 'keyName' | 'metadata' | 'hypervisorType'> &
  Partial<Pick<DemoServer, 'description' | 'tags' | 'keyName' | 'metadata' | 'hypervisorType' | 'consoleLogFile'>>;

function server(seed: Seed, index: number): DemoServer {
  const launched = seed.vmState === 'building' || (seed.vmState === 'error' && seed.host === null) ? null : addSeconds(seed.created, 95);
  return {
    description: null,
    tags: [],
    keyName: null,
    metadata: {},
    hypervisorType: 'hyperv',
    ...seed,
    instanceName: `instance-${index.toString(16).padStart(8, '0')}`,
    launchedAt: launched,
    updated: addSeconds(seed.created, seed.vmState === 'building' ? 4 : 3600),
  };
}

function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const A = ADMIN_PROJECT.id;
const D = DEMO_PROJECT.id;
const [UA, UD] = [USERS[0].id, USERS[1].id];

export const NETWORKS: DemoNetwork[] = [
  { id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c01', name: 'private', projectId: D, shared: false, external: false, subnetId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d01', cidr: '10.0.0.0/16' },
  { id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c02', name: 'réseau-privé', projectId: D, shared: false, external: false, subnetId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d02', cidr: '10.0.1.0/24' },
  { id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c03', name: 'mgmt', projectId: A, shared: false, external: false, subnetId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d03', cidr: '192.168.50.0/24' },
  { id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c04', name: 'public', projectId: A, shared: true, external: true, subnetId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d04', cidr: '172.24.4.0/24' },
];

/** A name long enough to test truncation, mixing CJK, emoji, accents and Greek. */
export const LONG_UNICODE_NAME =
  '財務報告サーバー・東京第二データセンター 🖥️🚀 — Ångström Çédille Ñoño Ελληνικά Überprüfung Ré-sumé 数据库镜像';

const SEEDS: Seed[] = [
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a01', name: 'win2022-web-01', projectId: D, userId: UD,
    vmState: 'active', taskState: null, powerState: 1, host: HOSTS[0],
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D01', flavorId: '3', imageId: IMAGES.win2022,
    addresses: { private: [nic('10.0.0.11'), nic('172.24.4.11', 'floating')] },
    created: '2023-04-03T09:12:41Z', metadata: { role: 'web' }, keyName: 'ops-key', tags: ['web'],
  },
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a02', name: 'win2022-web-02', projectId: D, userId: UD,
    vmState: 'active', taskState: null, powerState: 1, host: HOSTS[1],
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D02', flavorId: '3', imageId: IMAGES.win2022,
    addresses: { private: [nic('10.0.0.12')] },
    created: '2023-04-03T09:14:05Z', metadata: { role: 'web' }, tags: ['web'],
  },
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a03', name: 'win2019-sql-01', projectId: D, userId: UD,
    vmState: 'active', taskState: null, powerState: 1, host: HOSTS[2],
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D03', flavorId: '4', imageId: IMAGES.win2019,
    addresses: { private: [nic('10.0.0.21'), nic('fd12:3456:789a::21')] },
    created: '2023-04-04T14:30:00Z', metadata: { role: 'database' }, description: 'Reporting database',
  },
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a04', name: 'build-agent-07', projectId: D, userId: UD,
    vmState: 'building', taskState: 'spawning', powerState: 0, host: null,
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D04', flavorId: '2', imageId: IMAGES.win2022,
    addresses: {}, created: '2023-04-12T08:00:00Z',
  },
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a05', name: 'win11-kiosk', projectId: D, userId: UD,
    vmState: 'stopped', taskState: null, powerState: 4, host: HOSTS[0],
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D05', flavorId: '2', imageId: IMAGES.win11,
    addresses: { private: [nic('10.0.0.31')] }, created: '2023-04-05T11:45:10Z',
  },
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a06', name: 'legacy-2012r2', projectId: D, userId: UD,
    vmState: 'error', taskState: null, powerState: 0, host: null,
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D06', flavorId: '4', imageId: null,
    addresses: {}, created: '2023-04-06T16:20:33Z',
    fault: {
      code: 500,
      message: 'No valid host was found. There are not enough hosts available.',
      details: 'Traceback omitted: scheduler found no host with enough memory',
      created: '2023-04-06T16:20:40Z',
    },
  },
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a07', name: LONG_UNICODE_NAME, projectId: D, userId: UD,
    vmState: 'active', taskState: null, powerState: 1, host: HOSTS[1],
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D07', flavorId: '3', imageId: IMAGES.win2022,
    addresses: { 'réseau-privé': [nic('10.0.1.7')] }, created: '2023-04-07T07:07:07Z',
    metadata: { 'propriétaire': 'Zoë Ångström' },
  },
  {
    id: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a08', name: 'win2019-paused', projectId: D, userId: UD,
    vmState: 'paused', taskState: null, powerState: 3, host: HOSTS[2],
    vmId: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D08', flavorId: '2', imageId: IMAGES.win2019,
    addresses: { private: [nic('10.0.0.41')] }, created: '2023-04-08T10:00:00Z',
  },
  {
    id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c01', name: 'ad-dc-01', projectId: A, userId: UA,
    vmState: 'active', taskState: null, powerState: 1, host: HOSTS[0],
    vmId: '2B4C6D8E-0F1A-4B3C-9D5E-7F8A9B0C1D01', flavorId: '3', imageId: IMAGES.win2022,
    addresses: { mgmt: [nic('192.168.50.10')] }, created: '2023-03-30T12:00:00Z', description: 'Domain controller',
  },
  {
    id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c02', name: 'jump-host', projectId: A, userId: UA,
    vmState: 'active', taskState: null, powerState: 1, host: HOSTS[1],
    vmId: '2B4C6D8E-0F1A-4B3C-9D5E-7F8A9B0C1D02', flavorId: '2', imageId: IMAGES.win2022,
    addresses: { mgmt: [nic('192.168.50.20'), nic('172.24.4.20', 'floating')] }, created: '2023-03-30T12:30:00Z',
  },
  {
    id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c03', name: 'patch-staging', projectId: A, userId: UA,
    vmState: 'stopped', taskState: null, powerState: 4, host: HOSTS[2],
    vmId: '2B4C6D8E-0F1A-4B3C-9D5E-7F8A9B0C1D03', flavorId: '3', imageId: IMAGES.win2019,
    addresses: { mgmt: [nic('192.168.50.30')] }, created: '2023-04-01T03:15:00Z',
  },
  {
    id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c04', name: 'failed-resize', projectId: A, userId: UA,
    vmState: 'error', taskState: null, powerState: 1, host: HOSTS[0],
    vmId: '2B4C6D8E-0F1A-4B3C-9D5E-7F8A9B0C1D04', flavorId: '4', imageId: IMAGES.win2022,
    addresses: { mgmt: [nic('192.168.50.40')] }, created: '2023-04-02T18:00:00Z',
    fault: {
      code: 500,
      message: 'Resize error: not enough free disk on the target host.',
      details: 'Traceback omitted: migration disk copy failed',
      created: '2023-04-10T08:30:00Z',
    },
  },
  {
    id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c05', name: 'ops-scheduling', projectId: A, userId: UA,
    vmState: 'building', taskState: 'scheduling', powerState: 0, host: null,
    vmId: '2B4C6D8E-0F1A-4B3C-9D5E-7F8A9B0C1D05', flavorId: '2', imageId: IMAGES.win11,
    addresses: {}, created: '2023-04-12T08:01:00Z',
  },
];

/**
 * Linux servers on libvirt/KVM hosts: their consoles are VNC through the noVNC proxy. Created before every Windows
 * server, so lists (newest first) still start with the Hyper-V ones that older tests and habits pick first.
 */
const LIBVIRT_SEEDS: Seed[] = [
  {
    id: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01', name: 'ubuntu-24-04-web', projectId: D, userId: UD,
    vmState: 'active', taskState: null, powerState: 1, host: KVM_HOSTS[0], hypervisorType: 'QEMU',
    vmId: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01', flavorId: '2', imageId: IMAGES.ubuntu2404,
    addresses: { private: [nic('10.0.2.11'), nic('172.24.4.51', 'floating')] },
    created: '2023-03-20T08:30:00Z', metadata: { role: 'web' }, keyName: 'ops-key', tags: ['web', 'linux'],
  },
  {
    id: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e02', name: 'debian-12-db', projectId: D, userId: UD,
    vmState: 'active', taskState: null, powerState: 1, host: KVM_HOSTS[1], hypervisorType: 'QEMU',
    vmId: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e02', flavorId: '3', imageId: IMAGES.debian12,
    addresses: { private: [nic('10.0.2.21'), nic('fd12:3456:789a::2:21')] },
    created: '2023-03-20T08:45:00Z', metadata: { role: 'database' }, description: 'PostgreSQL primary',
  },
  {
    id: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e03', name: 'fedora-40-dev', projectId: D, userId: UD,
    vmState: 'stopped', taskState: null, powerState: 4, host: KVM_HOSTS[0], hypervisorType: 'QEMU',
    vmId: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e03', consoleLogFile: false, flavorId: '2', imageId: IMAGES.fedora40,
    addresses: { private: [nic('10.0.2.31')] }, created: '2023-03-21T13:00:00Z',
  },
  {
    id: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e11', name: 'rocky-9-monitor', projectId: A, userId: UA,
    vmState: 'active', taskState: null, powerState: 1, host: KVM_HOSTS[1], hypervisorType: 'QEMU',
    vmId: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e11', flavorId: '3', imageId: IMAGES.rocky9,
    addresses: { mgmt: [nic('192.168.50.60')] }, created: '2023-03-22T09:00:00Z', description: 'Monitoring',
  },
];

const SCALE_EPOCH = Date.parse('2023-05-01T00:00:00Z');

/**
 * The `n`th generated server (1-based): ids, names and states derived from n only. They run Windows on the Hyper-V
 * hosts, except in a cloud without Hyper-V (2024.1 and later), where they run Ubuntu on the libvirt hosts.
 */
function scaleServer(n: number, onLibvirt: boolean): Seed {
  const hex = n.toString(16).padStart(12, '0');
  const state: Pick<DemoServer, 'vmState' | 'taskState' | 'powerState'> =
    n % 25 === 0
      ? { vmState: 'building', taskState: 'spawning', powerState: 0 }
      : n % 10 === 0
        ? { vmState: 'stopped', taskState: null, powerState: 4 }
        : { vmState: 'active', taskState: null, powerState: 1 };
  return {
    id: `5ca1e000-0000-4000-8000-${hex}`,
    name: `scale-${String(n).padStart(5, '0')}`,
    projectId: D,
    userId: UD,
    ...state,
    host: state.vmState === 'building' ? null : onLibvirt ? KVM_HOSTS[n % KVM_HOSTS.length] : HOSTS[n % HOSTS.length],
    hypervisorType: onLibvirt ? 'QEMU' : 'hyperv',
    vmId: onLibvirt ? `5ca1e000-0000-4000-8000-${hex}` : `5CA1E000-0000-4000-9000-${hex.toUpperCase()}`,
    flavorId: '2',
    imageId: onLibvirt ? IMAGES.ubuntu2404 : IMAGES.win2022,
    addresses: state.vmState === 'building' ? {} : { private: [nic(`10.${20 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`)] },
    created: new Date(SCALE_EPOCH + n * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/**
 * The servers of a cloud of the given release: every server in 2023.1 (the last release with Hyper-V); only the
 * libvirt ones from 2024.1, which removed the Hyper-V driver. Instance names are numbered over the full list, so a
 * server has the same one in either cloud.
 */
export function buildServers(extra = 0, release: DemoRelease = '2023.1'): DemoServer[] {
  macCounter = 0;
  const withHyperV = release === '2023.1';
  const seeds = [...SEEDS, ...LIBVIRT_SEEDS];
  for (let n = 1; n <= extra; n++) seeds.push(scaleServer(n, !withHyperV));
  return seeds.map((s, i) => server(s, i + 1)).filter((s) => withHyperV || s.hypervisorType !== 'hyperv');
}

/** Nova's user-facing status: the vm_state's, or for an active server a reboot's (nova/api/openstack/common.py). */
export function serverStatus(s: DemoServer): string {
  switch (s.vmState) {
    case 'active':
      if (s.taskState === 'rebooting' || s.taskState === 'reboot_pending' || s.taskState === 'reboot_started') return 'REBOOT';
      if (s.taskState === 'rebooting_hard' || s.taskState === 'reboot_pending_hard' || s.taskState === 'reboot_started_hard') return 'HARD_REBOOT';
      return 'ACTIVE';
    case 'building':
      return 'BUILD';
    case 'stopped':
      return 'SHUTOFF';
    case 'error':
      return 'ERROR';
    case 'paused':
      return 'PAUSED';
    case 'suspended':
      return 'SUSPENDED';
  }
}
