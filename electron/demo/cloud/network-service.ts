// A minimal network service (Neutron v2.0 under /networking, devstack's layout) answering what the OpenStack
// command line asks: version discovery and the networks (list with Neutron's equality filters, and one by id).
// Read only; a member sees its project's networks and the shared ones, an admin every network.
import { sendJson, type Exchange } from './http.ts';
import { authenticate } from './token-check.ts';
import { NETWORKS, type DemoNetwork } from './demo-data.ts';
import type { Identity } from './keystone.ts';

function networkView(n: DemoNetwork): Record<string, unknown> {
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.projectId,
    project_id: n.projectId,
    admin_state_up: true,
    status: 'ACTIVE',
    subnets: [n.subnetId],
    shared: n.shared,
    'router:external': n.external,
    mtu: 1450,
    availability_zones: ['nova'],
    availability_zone_hints: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    port_security_enabled: true,
    is_default: n.external,
    description: '',
    tags: [],
    created_at: '2023-03-01T09:00:00Z',
    updated_at: '2023-03-01T09:00:00Z',
    revision_number: 1,
  };
}

/** Neutron's fault body. */
function neutronError(ex: Exchange, status: number, type: string, message: string): void {
  sendJson(ex.res, status, { NeutronError: { type, message, detail: '' } });
}

export class NetworkService {
  constructor(private readonly identity: Identity) {}

  handle(ex: Exchange, rest: string[]): void {
    const base = `${ex.origin}/networking`;
    if (rest.length === 0) {
      return sendJson(ex.res, 200, { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${base}/v2.0/`, rel: 'self' }] }] });
    }
    if (rest[0] !== 'v2.0') return neutronError(ex, 404, 'HTTPNotFound', 'The resource could not be found.');
    const caller = authenticate(ex, this.identity);
    if (!caller) return;
    if (ex.method !== 'GET') return neutronError(ex, 405, 'HTTPMethodNotAllowed', 'The method is not allowed for this resource.');
    const visible = NETWORKS.filter((n) => caller.isAdmin || n.shared || n.projectId === caller.projectId);
    const resource = rest[1]?.replace(/\.json$/, '');
    if (rest.length === 2 && resource === 'networks') {
      let list = visible;
      // Neutron filters by equality on any attribute given in the query (repeated values: any of them).
      for (const key of new Set(ex.url.searchParams.keys())) {
        if (key === 'fields' || key === 'limit' || key === 'marker' || key === 'sort_key' || key === 'sort_dir') continue;
        const wanted = ex.url.searchParams.getAll(key);
        list = list.filter((n) => wanted.includes(String(networkView(n)[key])));
      }
      return sendJson(ex.res, 200, { networks: list.map(networkView) });
    }
    if (rest.length === 3 && resource === 'networks') {
      const n = visible.find((x) => x.id === rest[2]);
      if (!n) return neutronError(ex, 404, 'NetworkNotFound', `Network ${rest[2]} could not be found.`);
      return sendJson(ex.res, 200, { network: networkView(n) });
    }
    neutronError(ex, 404, 'HTTPNotFound', 'The resource could not be found.');
  }
}
