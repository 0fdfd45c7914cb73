// Plain HTTP requests to the demo's noVNC proxy. The real nova-novncproxy serves noVNC's own files here
// (vnc_auto.html, vnc_lite.html, vnc.html); the demo answers those names with a page saying what the address is and
// whether its token is still valid, and refuses other methods with 405 as websockify does.
import type { IncomingMessage, ServerResponse } from 'node:http';

const PAGES = new Set(['/', '/vnc_auto.html', '/vnc_lite.html', '/vnc.html']);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The token of a console URL: inside the URL-encoded `path` parameter (noVNC ≥ 1.1), or a plain `token`. */
export function consoleUrlToken(requestUrl: string): string {
  const params = new URL(requestUrl, 'http://proxy').searchParams;
  const path = params.get('path');
  if (path !== null) {
    const inner = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '').get('token');
    if (inner) return inner;
  }
  return params.get('token') ?? '';
}

export function proxyPage(req: IncomingMessage, res: ServerResponse, isValid: (token: string) => unknown): void {
  const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': String(bytes.length) });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=UTF-8', 'Method not allowed\n', { Allow: 'GET, HEAD' });
  const url = req.url ?? '/';
  if (!PAGES.has(new URL(url, 'http://proxy').pathname)) return send(404, 'text/plain; charset=UTF-8', 'File not found\n');
  const token = consoleUrlToken(url);
  const state = !token
    ? 'This address needs a console token (?path=%3Ftoken%3D…).'
    : isValid(token)
      ? 'The token is valid: open this URL in Nova Console Viewer or noVNC to see the console.'
      : 'The token is unknown or has expired: ask the cloud for a new console URL.';
  send(
    200,
    'text/html; charset=UTF-8',
    `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Demo cloud VNC console</title></head>
<body>
<h1>Demo cloud VNC console</h1>
<p>This is the noVNC proxy (novncproxy_base_url) of the embedded demo cloud, a stand-in for OpenStack Nova with
libvirt. Its WebSocket, on any path of this address with the token, carries the VM's VNC console.</p>
<p>${escapeHtml(state)}</p>
</body>
</html>
`,
  );
}
