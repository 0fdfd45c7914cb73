// GET /servers, /servers/detail and /servers/{id} as Nova 2023.1 answers them: project scoping, all_tenants for
// admins only (a member's all_tenants is refused by the os_compute_api:servers:*:get_all_tenants policy), name
// (regular expression), status and ip filters, limit/marker paging with a "next" link whenever a page is full, and
// the detail fields that change with the microversion or the caller's role.
import { createHash } from 'node:crypto';
import { NovaError, msg } from './errors.ts';
import { FLAVORS, serverStatus, type DemoServer } from './demo-data.ts';
import type { AuthContext } from './keystone.ts';
import type { ApiVersion } from './microversions.ts';

export interface RequestScope {
  caller: AuthContext;
  version: ApiVersion;
  /** http://host/compute: links are built on it, as Nova builds them on the request's application URL. */
  computeUrl: string;
  /** The project id segment of the request path, when the client used /v2.1/{project_id}/... */
  pathProjectId?: string;
}

const MAX_LIMIT = 1000; // [api] max_limit

// Every status Nova's status filter understands (nova/api/openstack/common.py), upper-cased.
const KNOWN_STATUSES = new Set([
  'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING', 'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD',
  'RESCUE', 'RESIZE', 'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF', 'SOFT_DELETED', 'SUSPENDED',
  'UNKNOWN', 'VERIFY_RESIZE',
]);

function truthy(text: string): boolean {
  // oslo's bool_from_string(strict=True); an empty value counts as "on" for all_tenants.
  const t = text.trim().toLowerCase();
  if (t === '' || ['1', 't', 'true', 'on', 'y', 'yes'].includes(t)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(t)) return false;
  throw new NovaError(
    400,
    `Invalid input received: Unrecognized value '${text}', acceptable values are: ` +
      "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
  );
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'iu');
  } catch {
    // MySQL would reject the pattern; matching it literally is kinder to a demo user.
    return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'iu');
  }
}

function link(scope: RequestScope, path: string): string {
  const project = scope.pathProjectId ? `/${scope.pathProjectId}` : '';
  return `${scope.computeUrl}/v2.1${project}/${path}`;
}

function bookmark(scope: RequestScope, path: string): string {
  const project = scope.pathProjectId ? `/${scope.pathProjectId}` : '';
  return `${scope.computeUrl}${project}/${path}`;
}

function serverLinks(scope: RequestScope, s: DemoServer) {
  return [
    { rel: 'self', href: link(scope, `servers/${s.id}`) },
    { rel: 'bookmark', href: bookmark(scope, `servers/${s.id}`) },
  ];
}

/** Nova's hostId: sha224 of project id + host name, so projects cannot correlate hosts; empty without a host. */
function hostId(s: DemoServer): string {
  return s.host ? createHash('sha224').update(s.projectId + s.host).digest('hex') : '';
}

export function detailView(scope: RequestScope, s: DemoServer): Record<string, unknown> {
  const v = scope.version;
  const admin = scope.caller.isAdmin;
  const flavor = FLAVORS.find((f) => f.id === s.flavorId)!;
  const addresses: Record<string, unknown[]> = {};
  for (const [net, list] of Object.entries(s.addresses)) {
    addresses[net] = list.map((a) => ({
      version: a.version,
      addr: a.addr,
      'OS-EXT-IPS:type': a.type,
      'OS-EXT-IPS-MAC:mac_addr': a.mac,
    }));
  }
  const view: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status: serverStatus(s),
    tenant_id: s.projectId,
    user_id: s.userId,
    metadata: s.metadata,
    hostId: hostId(s),
    image: s.imageId
      ? { id: s.imageId, links: [{ rel: 'bookmark', href: bookmark(scope, `images/${s.imageId}`) }] }
      : '',
    flavor: v.atLeast('2.47')
      ? { vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: 0, swap: 0, original_name: flavor.name, extra_specs: {} }
      : { id: flavor.id, links: [{ rel: 'bookmark', href: bookmark(scope, `flavors/${flavor.id}`) }] },
    created: s.created,
    updated: s.updated,
    addresses,
    accessIPv4: '',
    accessIPv6: '',
    links: serverLinks(scope, s),
    'OS-DCF:diskConfig': 'MANUAL',
    progress: 0,
    'OS-EXT-AZ:availability_zone': s.host ? 'nova' : '',
    config_drive: '',
    key_name: s.keyName,
    'OS-SRV-USG:launched_at': s.launchedAt ? s.launchedAt.replace('Z', '.000000') : null,
    'OS-SRV-USG:terminated_at': null,
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:vm_state': s.vmState,
    'OS-EXT-STS:power_state': s.powerState,
    'os-extended-volumes:volumes_attached': [],
    security_groups: s.host ? [{ name: 'default' }] : undefined,
  };
  if (view.security_groups === undefined) delete view.security_groups;
  if (admin) {
    view['OS-EXT-SRV-ATTR:host'] = s.host;
    view['OS-EXT-SRV-ATTR:instance_name'] = s.instanceName;
    view['OS-EXT-SRV-ATTR:hypervisor_hostname'] = s.host ? `${s.host}.demo.local` : null;
    if (v.atLeast('2.3')) {
      view['OS-EXT-SRV-ATTR:reservation_id'] = `r-${s.id.slice(0, 8)}`;
      view['OS-EXT-SRV-ATTR:launch_index'] = 0;
      view['OS-EXT-SRV-ATTR:hostname'] = s.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'server';
      view['OS-EXT-SRV-ATTR:kernel_id'] = '';
      view['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      // Hyper-V attaches the root disk as SCSI, libvirt as virtio.
      view['OS-EXT-SRV-ATTR:root_device_name'] = s.host ? (s.hypervisorType === 'QEMU' ? '/dev/vda' : '/dev/sda') : null;
      view['OS-EXT-SRV-ATTR:user_data'] = null;
    }
  }
  if (v.atLeast('2.9')) view.locked = false;
  if (v.atLeast('2.16') && s.host) view.host_status = admin ? 'UP' : '';
  if (v.atLeast('2.19')) view.description = s.description;
  if (v.atLeast('2.26')) view.tags = s.tags;
  if (v.atLeast('2.63')) view.trusted_image_certificates = null;
  if (v.atLeast('2.73')) view.locked_reason = null;
  // 2.96 (2024.1): the availability zone the server was pinned to at creation; none of the demo's were.
  if (v.atLeast('2.96')) view.pinned_availability_zone = null;
  if (s.fault) {
    // The fault's details (a traceback in real life) are for admins only.
    view.fault = { code: s.fault.code, created: s.fault.created, message: s.fault.message, ...(admin ? { details: s.fault.details } : {}) };
  }
  return view;
}

function summaryView(scope: RequestScope, s: DemoServer): Record<string, unknown> {
  return { id: s.id, links: serverLinks(scope, s), name: s.name };
}

/** Finds a server the caller may see: admins see every project's servers by id, members only their own. */
export function findServer(scope: RequestScope, servers: DemoServer[], id: string): DemoServer {
  const s = servers.find((x) => x.id === id);
  if (!s || (!scope.caller.isAdmin && s.projectId !== scope.caller.projectId)) {
    throw new NovaError(404, msg.instanceNotFound(id));
  }
  return s;
}

function newestFirst(a: DemoServer, b: DemoServer): number {
  return b.created.localeCompare(a.created) || b.id.localeCompare(a.id);
}

export function listServers(scope: RequestScope, servers: DemoServer[], query: URLSearchParams, detail: boolean): Record<string, unknown> {
  const v = scope.version;
  const caller = scope.caller;

  let allTenants = false;
  if (query.has('all_tenants')) allTenants = truthy(query.get('all_tenants')!);
  if (allTenants && !caller.isAdmin) {
    throw new NovaError(403, msg.policy(`os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`));
  }

  let selected = servers;
  if (!allTenants) {
    selected = selected.filter((s) => s.projectId === caller.projectId);
  } else {
    // tenant_id (or project_id) narrows an admin's all-projects listing; Nova ignores it without all_tenants.
    const tenant = query.get('tenant_id') ?? query.get('project_id');
    if (tenant) selected = selected.filter((s) => s.projectId === tenant);
  }

  const statuses = query.getAll('status').map((x) => x.toUpperCase());
  if (statuses.length > 0) {
    if (!statuses.some((x) => KNOWN_STATUSES.has(x))) {
      if (v.atLeast('2.38')) throw new NovaError(400, 'Invalid status value');
      return { servers: [] };
    }
    selected = selected.filter((s) => statuses.includes(serverStatus(s)));
  }
  const name = query.get('name');
  if (name !== null) {
    const re = regex(name);
    selected = selected.filter((s) => re.test(s.name));
  }
  const ip = query.get('ip');
  if (ip !== null) {
    const re = regex(ip);
    selected = selected.filter((s) => Object.values(s.addresses).some((l) => l.some((a) => a.version === 4 && re.test(a.addr))));
  }
  const ip6 = v.atLeast('2.5') ? query.get('ip6') : null;
  if (ip6 !== null) {
    const re = regex(ip6);
    selected = selected.filter((s) => Object.values(s.addresses).some((l) => l.some((a) => a.version === 6 && re.test(a.addr))));
  }

  selected = [...selected].sort(newestFirst);

  let limit = MAX_LIMIT;
  const limitText = query.get('limit');
  if (limitText !== null) {
    if (!/^[0-9]+$/.test(limitText)) {
      throw new NovaError(400, `Invalid input for query parameters limit. Value: ${limitText}. '${limitText}' does not match '^[0-9]*$'`);
    }
    limit = Math.min(MAX_LIMIT, Number(limitText) || MAX_LIMIT);
  }
  const marker = query.get('marker');
  if (marker !== null) {
    const at = selected.findIndex((s) => s.id === marker);
    if (at < 0) throw new NovaError(400, `marker [${marker}] not found`);
    selected = selected.slice(at + 1);
  }
  const page = selected.slice(0, limit);

  const body: Record<string, unknown> = {
    servers: page.map((s) => (detail ? detailView(scope, s) : summaryView(scope, s))),
  };
  // Nova offers a "next" link whenever the page is full, even if nothing follows (the next page is then empty).
  if (page.length > 0 && page.length === limit) {
    const params = new URLSearchParams();
    const keys = [...new Set([...query.keys()])].filter((k) => k !== 'marker');
    for (const k of [...keys, 'marker'].sort()) {
      if (k === 'marker') params.append('marker', page[page.length - 1].id);
      else for (const value of query.getAll(k)) params.append(k, value);
    }
    body.servers_links = [{ rel: 'next', href: `${link(scope, detail ? 'servers/detail' : 'servers')}?${params.toString()}` }];
  }
  return body;
}

export function showServer(scope: RequestScope, servers: DemoServer[], id: string): Record<string, unknown> {
  return { server: detailView(scope, findServer(scope, servers, id)) };
}
