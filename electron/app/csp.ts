/**
 * The page's Content-Security-Policy. 'wasm-unsafe-eval' lets the RDP engine compile its WebAssembly; data: in
 * connect-src lets the engine load its module from a data URL. Nothing loads from anywhere but the app itself.
 *
 * The built index.html carries CSP (meta tag) with connect-src open to any loopback WebSocket, because the gateway's
 * port is chosen at run time. Every response that serves the page also carries a header policy naming the exact
 * sockets of this run; a browser enforces both, so the narrower header decides.
 */
function policy(connectSrc: string): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src ${connectSrc}`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
}

/** The meta-tag policy of the built page: the widest the app ever needs. */
export const CSP = policy("'self' data: ws://127.0.0.1:*");

/**
 * The header policy: `sockets` are the only WebSocket origins the page may open (the gateway, in Electron mode), on
 * top of its own origin. frame-ancestors only works in a header: nobody may frame the app.
 */
export function cspHeader(sockets: string[] = []): string {
  return `${policy(["'self'", 'data:', ...sockets].join(' '))}; frame-ancestors 'none'`;
}

/** Browser mode: the page, its API socket and the gateway share one loopback origin, so 'self' covers them all. */
export const BROWSER_MODE_CSP_HEADER = cspHeader();

/** `ws://127.0.0.1:PORT/path` → `ws://127.0.0.1:PORT`, the form a CSP source takes. */
export function socketOrigin(wsUrl: string): string {
  const u = new URL(wsUrl);
  return `${u.protocol}//${u.host}`;
}
