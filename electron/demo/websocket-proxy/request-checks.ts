// What Nova's console proxies (nova/console/websocketproxy.py on websockify: nova-novncproxy, nova-serialproxy)
// check in a WebSocket request, as plain functions: the console token (query parameter, else cookie), the subprotocol,
// and the Origin header.

/**
 * The token: the last non-empty `token` query parameter (Python's parse_qs drops empty ones), else a `token` cookie
 * (noVNC's old convention). The path itself is never looked at.
 */
export function tokenFromRequest(requestUrl: string, cookieHeader: string | undefined): string {
  const query = new URL(requestUrl, 'http://proxy').searchParams.getAll('token').filter((t) => t !== '');
  if (query.length > 0) return query[query.length - 1];
  for (const part of (cookieHeader ?? '').split(';')) {
    const m = /^\s*token=(.*)$/.exec(part);
    // SimpleCookie takes a quoted value without its quotes.
    if (m) return m[1].trim().replace(/^"(.*)"$/, '$1');
  }
  return '';
}

/**
 * websockify's subprotocol choice: `binary` when offered, none when nothing is offered, and a refused handshake
 * (HTTP 400) when protocols are offered without `binary`. Like websockify it splits on commas without trimming,
 * so only an exact `binary` entry counts.
 */
export function chooseSubprotocol(header: string | undefined): { protocol: string | null } | { refused: string } {
  if (header === undefined) return { protocol: null };
  return header.split(',').includes('binary') ? { protocol: 'binary' } : { refused: 'Invalid protocol selected' };
}

/** The host part of a Host header, as oslo's parse_host_port reads it (IPv6 without brackets). */
function hostOfHostHeader(host: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1];
  const parts = host.split(':');
  return parts.length === 2 ? parts[0] : host;
}

/**
 * Nova's Origin check, made after the token was found valid: no Origin is a non-browser client and passes; an
 * Origin must name the Host header's host (or one of [console] allowed_origins) and a scheme the console URL allows
 * (its own scheme; for ws/wss URLs also http/https). X-Forwarded-Proto, when present, stands for the scheme.
 * Returns why the request is refused, or null.
 */
export function originRefusal(
  headers: { origin?: string; host?: string; 'x-forwarded-proto'?: string },
  accessUrlBase: string,
  allowedOrigins: string[] = [],
): string | null {
  if (headers.origin === undefined) return null;
  let hostname = '';
  let scheme = '';
  try {
    const origin = new URL(headers.origin);
    hostname = origin.hostname.replace(/^\[|\]$/g, '');
    scheme = origin.protocol.replace(/:$/, '');
  } catch {
    // "null" (an opaque origin) and other unparsable values have no host: refused below.
  }
  scheme = headers['x-forwarded-proto'] ?? scheme;
  if (hostname === '' || scheme === '') return 'Origin header not valid.';
  const expected = [...allowedOrigins, hostOfHostHeader(headers.host ?? '')];
  if (!expected.includes(hostname)) return 'Origin header does not match this host.';
  const base = new URL(accessUrlBase).protocol.replace(/:$/, '');
  const schemes = [base, ...(base === 'ws' ? ['http'] : []), ...(base === 'wss' ? ['https'] : [])];
  if (!schemes.includes(scheme)) return 'Origin header protocol does not match this host.';
  return null;
}
