import type { ServerSummary } from '../../electron/common/contract.ts';

/**
 * A server list made ready for search as you type. Each server's id, name and addresses are lowercased once, into one
 * string `id NUL name NUL address NUL …`, and a keystroke only compares: lowercasing 10,000 names and ids per
 * keystroke allocated 20,000 strings each time (and the garbage collections after them), and one string per server
 * takes two comparisons where separate fields took three or more.
 */
export interface ServerIndex {
  readonly servers: readonly ServerSummary[];
  /** Per server: its search text, and where its name starts in it (the id before that matches by prefix only). */
  readonly texts: readonly string[];
  readonly nameAt: readonly number[];
}

/** Between the fields of a search text. No query can contain it (a search box cannot), so no match spans two fields. */
const SEP = '\u0000';

const textOf = (s: ServerSummary) => [s.id, s.name, ...s.addresses].join(SEP).toLowerCase();

/**
 * Prepares a list for searchServers (once per list, not per query). `previous`, the index of the list this one
 * replaces, lends its texts where the same server object sits at the same place: a page appended to the list
 * lowercases only its own servers, not the whole list again.
 */
export function indexServers(servers: readonly ServerSummary[], previous?: ServerIndex): ServerIndex {
  const texts = servers.map((s, i) => (previous?.servers[i] === s ? previous.texts[i] : textOf(s)));
  // Taken from the text, not from s.id.length: lowercasing may change a string's length (İ becomes i̇).
  return { servers, texts, nameAt: texts.map((t) => t.indexOf(SEP) + 1) };
}

/** An indexServers that remembers its last index and builds the next one from it (one per list shown). */
export function createServerIndexer(): (servers: readonly ServerSummary[]) => ServerIndex {
  let last: ServerIndex | undefined;
  return (servers) => {
    if (last?.servers !== servers) last = indexServers(servers, last);
    return last;
  };
}

/**
 * Search as you type: a server matches when its name contains the query, its id starts with it, or one of its
 * addresses contains it, all in any case (an IPv6 address may come in capitals). An empty query lists every server
 * (the same array, so nothing downstream sees a change).
 */
export function searchServers(index: ServerIndex, query: string): readonly ServerSummary[] {
  const q = query.trim().toLowerCase();
  if (q === '') return index.servers;
  if (q.includes(SEP)) return [];
  const { servers, texts, nameAt } = index;
  const out: ServerSummary[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    if (text.startsWith(q) || text.includes(q, nameAt[i])) out.push(servers[i]);
  }
  return out;
}

/** One-off search of a list (tests, callers that search once); the sidebar keeps an index per list. */
export function filterServers(servers: readonly ServerSummary[], query: string): readonly ServerSummary[] {
  return searchServers(indexServers(servers), query);
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
