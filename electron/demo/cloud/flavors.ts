// GET /flavors, /flavors/detail and /flavors/{id} as Nova's flavor views write them
// (nova/api/openstack/compute/views/flavors.py): `openstack server list` and `server show` fetch them to print
// flavor names. All demo flavors are public; paging is not needed for three.
import { NovaError } from './errors.ts';
import { FLAVORS, type Flavor } from './demo-data.ts';
import type { RequestScope } from './servers.ts';

function links(scope: RequestScope, id: string) {
  const project = scope.pathProjectId ? `/${scope.pathProjectId}` : '';
  return [
    { rel: 'self', href: `${scope.computeUrl}/v2.1${project}/flavors/${id}` },
    { rel: 'bookmark', href: `${scope.computeUrl}${project}/flavors/${id}` },
  ];
}

function summary(scope: RequestScope, f: Flavor): Record<string, unknown> {
  return { id: f.id, name: f.name, links: links(scope, f.id), ...(scope.version.atLeast('2.55') ? { description: null } : {}) };
}

function detail(scope: RequestScope, f: Flavor): Record<string, unknown> {
  const v = scope.version;
  return {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    // No swap is "" until 2.75 made it 0.
    swap: v.atLeast('2.75') ? 0 : '',
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': true,
    rxtx_factor: 1.0,
    links: links(scope, f.id),
    ...(v.atLeast('2.55') ? { description: null } : {}),
    ...(v.atLeast('2.61') ? { extra_specs: {} } : {}),
  };
}

/** The flavor routes below /v2.1: `rest` is the path after "flavors". */
export function flavorRoute(scope: RequestScope, rest: string[]): unknown {
  if (rest.length === 0) return { flavors: FLAVORS.map((f) => summary(scope, f)) };
  if (rest.length === 1 && rest[0] === 'detail') return { flavors: FLAVORS.map((f) => detail(scope, f)) };
  if (rest.length === 1) {
    const flavor = FLAVORS.find((f) => f.id === rest[0]);
    if (!flavor) throw new NovaError(404, `Flavor ${rest[0]} could not be found.`);
    return { flavor: detail(scope, flavor) };
  }
  throw new NovaError(404, 'The resource could not be found.');
}
