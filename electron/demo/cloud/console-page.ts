// GET /rdp/?token=…: the page behind the console URLs the demo cloud hands out (Nova's html5_proxy_base_url). A
// browser that opens one learns what it is and whether the token is still valid; the console itself is opened by
// Nova Console Viewer, which resolves the token through the compute API.
import { send, type Exchange } from './http.ts';
import type { ConsoleBroker } from './consoles.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function consolePage(ex: Exchange, broker: ConsoleBroker): void {
  if (ex.method !== 'GET' && ex.method !== 'HEAD') {
    send(ex.res, 405, 'text/plain; charset=UTF-8', 'Method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  const token = ex.url.searchParams.get('token') ?? '';
  const record = token ? broker.lookup(token) : undefined;
  const state = !token
    ? 'This address needs a console token (?token=…).'
    : record
      ? `The token is valid for instance ${escapeHtml(record.instanceUuid)}.`
      : 'The token is unknown or has expired: ask the cloud for a new console URL.';
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Demo cloud RDP console</title></head>
<body>
<h1>Demo cloud RDP console</h1>
<p>This is the RDP console address (html5_proxy_base_url) of the embedded demo cloud, a stand-in for OpenStack Nova
with Hyper-V. Open this URL in Nova Console Viewer to see the server's console.</p>
<p>${state}</p>
</body>
</html>
`;
  send(ex.res, record || !token ? 200 : 404, 'text/html; charset=UTF-8', ex.method === 'HEAD' ? '' : html);
}
