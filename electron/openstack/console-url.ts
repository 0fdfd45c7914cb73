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

/** Where a console's WebSocket proxy listens, as the client must call it. */
export interface ConsoleWebSocket {
  /** `ws://` for an http (or ws) URL, `wss://` for https (or wss); carries the token. */
  wsUrl: string;
  /** Host name of the proxy (no port, no brackets). */
  host: string;
  port: number;
  tls: boolean;
}

/** An RDP console URL (Hyper-V's rdp-html5): what parseConsoleUrl reads. */
export interface RdpConsoleUrl extends ParsedConsoleUrl {
  protocol: 'rdp';
}

/** A noVNC console URL and the WebSocket its page would open. */
export interface VncConsoleUrl {
  protocol: 'vnc';
  /** The URL as given, trimmed. */
  url: string;
  /** The console token, as given (websockify tokens are case-sensitive). */
  token: string;
  /** Horizon's `title=name(uuid)`, when present. */
  title?: ParsedConsoleUrl['title'];
  proxy: ConsoleWebSocket;
}

/** A serial console URL: the proxy's WebSocket itself. */
export interface SerialConsoleUrl extends ConsoleWebSocket {
  protocol: 'serial';
  /** The URL as given, trimmed. */
  url: string;
  token: string;
}

export type ClassifiedConsoleUrl = RdpConsoleUrl | VncConsoleUrl | SerialConsoleUrl;

/*
 * Console URL classification (classifyConsoleUrl). The first row that matches decides. "page" is the last segment of
 * the URL's path; a parameter is read from the query, else from the fragment (`#path=…`, `#?token=…`), as noVNC does.
 *
 * | URL                                                                 | result                                              |
 * |---------------------------------------------------------------------|-----------------------------------------------------|
 * | empty; not a URL; scheme other than http, https, ws, wss            | bad-url                                             |
 * | http(s), page `spice.html` or `spice_*.html` (spice-html5)          | unavailable: use remote-viewer, or VNC or serial    |
 * | http(s), path ending in `/nova` (spice-direct: a `.vv` file)        | unavailable: open it with remote-viewer             |
 * | http(s), page `mks.html` (VMware WebMKS)                            | unavailable: use a web browser, or the VNC console  |
 * | ws(s)://host[:port]/…?token=T                                       | serial: wsUrl = the URL without its fragment        |
 * | ws(s) without a token                                               | bad-url                                             |
 * | http(s), any page, `path=P` whose query holds `token=T`             | vnc: wsUrl = ws(s)://host[:port]/P                  |
 * | http(s), page `vnc.html` or `vnc_*.html` (or a `path=P` without a   | vnc: wsUrl = ws(s)://host[:port]/P?token=T, or      |
 * |   token), and `token=T`                                             |   without P <the page's folder>?token=T             |
 * | http(s), such a page or `path=`, but no token                       | bad-url                                             |
 * | any other http(s) URL with `token=T`                                | rdp, as parseConsoleUrl reads it (T: a UUID)        |
 * | any other http(s) URL                                               | bad-url                                             |
 *
 * ws for http and ws URLs, wss for https and wss; the port is the URL's, else 80 or 443. P is the decoded `path`
 * value without leading slashes (noVNC resolves it from the host's root: `path=novnc%2Fwebsockify%3Ftoken%3DT` →
 * `/novnc/websockify?token=T`); an operator's prefix stays: `https://cloud/vnc/vnc_lite.html?token=T` →
 * `wss://cloud/vnc/?token=T`. VNC and serial tokens: 1 to 256 characters of A-Z a-z 0-9 - . _ ~ (websockify's token
 * files allow any such name, not only UUIDs). No error message ever contains a token.
 */

const VNC_PAGE = /^vnc(_[a-z0-9]+)?\.html$/i;
const SPICE_PAGE = /^spice(_[a-z0-9]+)?\.html$/i;
const MKS_PAGE = /^mks\.html$/i;
const WS_TOKEN = /^[A-Za-z0-9._~-]+$/;
const MAX_TOKEN = 256;
const EXPECTED = 'expected http(s)://host:port/?token=…, a noVNC page such as …/vnc_lite.html?path=%3Ftoken%3D…, or ws(s)://host:port/?token=…';

/**
 * What kind of console a URL leads to, and how to reach it (the table above). Whitespace and quotes around a pasted
 * URL are ignored. Throws AppError 'bad-url' for what is no console URL and 'unavailable' for console types the app
 * cannot open yet (SPICE, WebMKS), each with a sentence saying why.
 */
export function classifyConsoleUrl(input: string): ClassifiedConsoleUrl {
  const text = stripWrapping(String(input ?? ''));
  if (text === '') throw new AppError('bad-url', 'The console URL is empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new AppError('bad-url', `Not a console URL: ${quoteShort(text)} (${EXPECTED})`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('bad-url', `Not a URL: ${quoteShort(text)} (${EXPECTED})`);
  }
  const scheme = url.protocol;
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(scheme)) {
    throw new AppError('bad-url', `A console URL starts with http://, https://, ws:// or wss://, not ${scheme}//`);
  }
  if (url.hostname === '') throw new AppError('bad-url', 'The console URL has no host');
  const tls = scheme === 'https:' || scheme === 'wss:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  const shown = `${scheme}//${url.host}${url.pathname}`;

  if (scheme === 'ws:' || scheme === 'wss:') {
    const token = checkToken(param(url, 'token'), shown);
    const ws = new URL(url.href);
    ws.hash = '';
    return { protocol: 'serial', url: text, token, wsUrl: ws.href, host, port, tls };
  }

  const page = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  if (SPICE_PAGE.test(page)) {
    throw new AppError(
      'unavailable',
      "SPICE consoles are not supported yet (this is a spice-html5 console URL): open the server's SPICE console with remote-viewer (virt-viewer), or ask for its VNC or serial console instead",
    );
  }
  if (/\/nova$/.test(url.pathname)) {
    throw new AppError(
      'unavailable',
      "SPICE direct consoles are not supported yet (this URL serves a .vv file for remote-viewer): open it with remote-viewer (virt-viewer), or ask for the server's VNC or serial console instead",
    );
  }
  if (MKS_PAGE.test(page)) {
    throw new AppError(
      'unavailable',
      "VMware WebMKS consoles are not supported yet (this is an mks.html console URL): open it in a web browser, or ask for the server's VNC console instead",
    );
  }

  const path = param(url, 'path');
  const pathQuery = path === undefined ? undefined : pathWithQuery(path);
  const tokenInPath = pathQuery === undefined ? undefined : new URLSearchParams(pathQuery.slice(pathQuery.indexOf('?') + 1)).get('token') ?? undefined;
  const direct = param(url, 'token');
  if (tokenInPath !== undefined || path !== undefined || VNC_PAGE.test(page)) {
    let target: string;
    if (tokenInPath !== undefined) {
      checkToken(tokenInPath, shown);
      target = pathQuery!;
    } else {
      const token = checkToken(direct, shown, 'a noVNC console URL carries its token in ?path=%3Ftoken%3D… or ?token=…');
      // noVNC 0.x adds the token to a given path; without one the proxy sits beside the page (an operator's prefix).
      target = path !== undefined ? `${path.replace(/^\/+/, '')}${path.includes('?') ? '&' : '?'}token=${token}` : `${url.pathname.slice(1, url.pathname.lastIndexOf('/') + 1)}?token=${token}`;
    }
    const ws = new URL(`${tls ? 'wss:' : 'ws:'}//${url.host}/${target}`);
    ws.hash = '';
    // What the proxy will read: the WebSocket URL's own token, on the page's host.
    const token = ws.searchParams.get('token');
    if (ws.host !== url.host || token === null) {
      throw new AppError('bad-url', `${shown} is a noVNC console URL whose path parameter is not a path on the proxy`);
    }
    checkToken(token, shown);
    const title = parseTitle(param(url, 'title') ?? null);
    return { protocol: 'vnc', url: text, token, ...(title ? { title } : {}), proxy: { wsUrl: ws.href, host, port, tls } };
  }

  if (direct === undefined) {
    throw new AppError('bad-url', `${shown} is not a Nova console URL: it has no token parameter (${EXPECTED})`);
  }
  return { protocol: 'rdp', ...parseConsoleUrl(text) };
}

/** A parameter from the query, else from the fragment (noVNC reads both); undefined when absent. */
function param(url: URL, name: string): string | undefined {
  const fromQuery = url.searchParams.get(name);
  if (fromQuery !== null) return fromQuery.trim();
  const hash = url.hash.replace(/^#\??/, '');
  const fromHash = new URLSearchParams(hash).get(name);
  return fromHash === null ? undefined : fromHash.trim();
}

/** A `path` value as a path with a query (`?token=T` may be written without its `?`); undefined when it has no query. */
function pathWithQuery(path: string): string | undefined {
  const p = path.replace(/^\/+/, '');
  if (p.includes('?')) return p;
  return /^token=/.test(p) ? '?' + p : undefined;
}

/** A VNC or serial token: present, at most 256 characters of URL-safe text. The token itself is never quoted. */
function checkToken(token: string | undefined, shown: string, hint = 'expected ?token=…'): string {
  if (token === undefined) throw new AppError('bad-url', `${shown} is not a console URL: it has no token (${hint})`);
  if (token === '') throw new AppError('bad-url', 'The console URL has an empty token');
  if (token.length > MAX_TOKEN) throw new AppError('bad-url', `The token in the console URL is too long (${token.length} characters; at most ${MAX_TOKEN})`);
  if (!WS_TOKEN.test(token)) {
    throw new AppError('bad-url', `The token in the console URL has characters a console token cannot have (letters, digits, '-', '.', '_' and '~' only; got ${token.length} characters)`);
  }
  return token;
}
