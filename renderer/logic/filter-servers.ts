import type { ServerSummary } from '../../electron/common/contract.ts';

/**
 * Search as you type: a server matches when its name contains the query (any case), its id starts with it, or one
 * of its addresses contains it. A plain loop over plain strings: 10,000 servers filter well inside a frame.
 */
export function filterServers(servers: readonly ServerSummary[], query: string): readonly ServerSummary[] {
  const q = query.trim().toLowerCase();
  if (q === '') return servers;
  const out: ServerSummary[] = [];
  for (const s of servers) {
    if (s.name.toLowerCase().includes(q) || s.id.toLowerCase().startsWith(q) || s.addresses.some((a) => a.includes(q))) {
      out.push(s);
    }
  }
  return out;
}

/** The badge colour class of a Nova status. */
export function statusTone(status: string): 'ok' | 'busy' | 'off' | 'bad' {
  switch (status.toUpperCase()) {
    case 'ACTIVE':
      return 'ok';
    case 'BUILD':
    case 'REBUILD':
    case 'RESIZE':
    case 'VERIFY_RESIZE':
    case 'MIGRATING':
    case 'REBOOT':
    case 'HARD_REBOOT':
      return 'busy';
    case 'ERROR':
      return 'bad';
    default:
      return 'off';
  }
}
