import type { ServerDetails } from '../common/contract.ts';
import { isObject, scalarText } from './envelope.ts';

/**
 * Takes apart one server record of `GET /servers/{id}` into what the details view shows. Nova's record is read
 * defensively: every field may be missing (older microversions, policy hiding the extended attributes), and a
 * missing field stays absent rather than becoming a guess.
 */
export function readServerDetails(cloud: string, s: Record<string, unknown>): ServerDetails {
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const nullableText = (v: unknown): string | null | undefined => (v === null ? null : text(v));
  const power = s['OS-EXT-STS:power_state'];
  const fault = isObject(s.fault) ? { code: Number(s.fault.code) || 0, message: scalarText(s.fault.message) } : null;
  return {
    cloud,
    id: scalarText(s.id),
    name: scalarText(s.name),
    status: scalarText(s.status, 'UNKNOWN'),
    taskState: text(s['OS-EXT-STS:task_state']) ?? null,
    vmState: text(s['OS-EXT-STS:vm_state']) ?? null,
    powerState: typeof power === 'number' && Number.isInteger(power) ? power : null,
    addresses: readAddresses(s.addresses),
    flavor: readFlavor(s.flavor),
    image: readImage(s.image),
    created: scalarText(s.created),
    updated: text(s.updated),
    projectId: scalarText(s.tenant_id ?? s.project_id),
    userId: text(s.user_id),
    keyName: nullableText(s.key_name),
    availabilityZone: nullableText(s['OS-EXT-AZ:availability_zone']),
    locked: typeof s.locked === 'boolean' ? s.locked : undefined,
    host: nullableText(s['OS-EXT-SRV-ATTR:host']),
    hypervisorHostname: nullableText(s['OS-EXT-SRV-ATTR:hypervisor_hostname']),
    instanceName: nullableText(s['OS-EXT-SRV-ATTR:instance_name']),
    fault,
  };
}

/** `addresses` is `{network: [{addr, version, OS-EXT-IPS:type, OS-EXT-IPS-MAC:mac_addr}]}`. */
function readAddresses(value: unknown): ServerDetails['addresses'] {
  if (!isObject(value)) return [];
  const out: ServerDetails['addresses'] = [];
  for (const [network, list] of Object.entries(value)) {
    if (!Array.isArray(list)) continue;
    for (const a of list) {
      if (!isObject(a) || typeof a.addr !== 'string') continue;
      const type = a['OS-EXT-IPS:type'];
      const mac = a['OS-EXT-IPS-MAC:mac_addr'];
      out.push({
        network,
        address: a.addr,
        version: Number(a.version) === 6 || a.addr.includes(':') ? 6 : 4,
        type: type === 'fixed' || type === 'floating' ? type : undefined,
        mac: typeof mac === 'string' ? mac : undefined,
      });
    }
  }
  return out;
}

/** From 2.47 Nova embeds the flavor (`original_name`, sizes); before, only `{id, links}`. */
function readFlavor(value: unknown): ServerDetails['flavor'] {
  if (!isObject(value)) return {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    id: typeof value.id === 'string' ? value.id : undefined,
    name: typeof value.original_name === 'string' ? value.original_name : undefined,
    vcpus: num(value.vcpus),
    ramMiB: num(value.ram),
    diskGiB: num(value.disk),
  };
}

/** A server booted from a volume has `"image": ""` (an empty string, not null). */
function readImage(value: unknown): ServerDetails['image'] {
  if (isObject(value) && typeof value.id === 'string' && value.id !== '') return { id: value.id };
  return null;
}
