import { AppError } from './errors.ts';

export interface ParsedConsoleUrl {
  /** The console token, lower case. */
  token: string;
  /** The URL as given, trimmed. */
  url: string;
  /** host name of the console proxy (no port). */
  host: string;
  port: number;
  /** Horizon's `title=name(uuid)`, when present. */
  title?: { name: string; instanceUuid?: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a console URL as Nova and Horizon hand it out: `http(s)://proxy:port/?token=<uuid>`, optionally with
 * Horizon's `&title=name(uuid)`, or noVNC's `?path=%3Ftoken%3D<uuid>`. Whitespace and quotes around a pasted URL
 * are ignored. Anything else is a bad-url error saying what is wrong (the token itself is never echoed).
 */
export function parseConsoleUrl(input: string): ParsedConsoleUrl {
  const text = stripWrapping(String(input ?? ''));
  if (text === '') throw new AppError('bad-url', 'The console URL is empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new AppError('bad-url', `Not a console URL: ${quoteShort(text)} (expected http(s)://host:port/?token=…)`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('bad-url', `Not a URL: ${quoteShort(text)} (expected http(s)://host:port/?token=…)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('bad-url', `A console URL starts with http:// or https://, not ${url.protocol}//`);
  }
  if (url.hostname === '') throw new AppError('bad-url', 'The console URL has no host');

  const token = findToken(url);
  if (token === undefined) {
    throw new AppError('bad-url', `${url.protocol}//${url.host}${url.pathname} is not a Nova console URL: it has no token parameter (expected ?token=…)`);
  }
  if (token === '') throw new AppError('bad-url', 'The console URL has an empty token');
  if (!UUID.test(token)) {
    throw new AppError('bad-url', `The token in the console URL is not a UUID (Nova console tokens look like 8-4-4-4-12 hex digits; got ${token.length} characters)`);
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { token: token.toLowerCase(), url: text, host: url.hostname.replace(/^\[|\]$/g, ''), port, title: parseTitle(url.searchParams.get('title')) };
}

function stripWrapping(s: string): string {
  let t = s.trim();
  // Quotes and angle brackets from chat programs, shells and Markdown: peel matching pairs.
  for (let i = 0; i < 3; i++) {
    const m = /^(["'`<])([\s\S]*)(["'`>])$/.exec(t);
    if (!m) break;
    const pair = m[1] === '<' ? '>' : m[1];
    if (m[3] !== pair) break;
    t = m[2].trim();
  }
  return t;
}

function findToken(url: URL): string | undefined {
  const direct = url.searchParams.get('token');
  if (direct !== null) return direct.trim();
  // noVNC: the token rides inside the `path` parameter (`?path=%3Ftoken%3D…`, or `websockify?token=…`).
  const path = url.searchParams.get('path');
  if (path !== null) {
    const q = path.indexOf('?');
    const inner = new URLSearchParams(q >= 0 ? path.slice(q + 1) : path);
    const t = inner.get('token');
    if (t !== null) return t.trim();
  }
  // Some proxies put the query after a fragment (`/#?token=…`).
  const hash = url.hash.replace(/^#/, '');
  const h = hash.indexOf('?') >= 0 ? hash.slice(hash.indexOf('?') + 1) : hash;
  const fromHash = new URLSearchParams(h).get('token');
  return fromHash === null ? undefined : fromHash.trim();
}

function parseTitle(title: string | null): ParsedConsoleUrl['title'] {
  if (!title) return undefined;
  const m = /^(.*)\(([0-9a-f-]{36})\)\s*$/i.exec(title);
  return m ? { name: m[1], instanceUuid: m[2].toLowerCase() } : { name: title };
}

function quoteShort(text: string): string {
  const s = text.replace(/(token(=|%3D))[^&\s]*/gi, '$1…');
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);
}
