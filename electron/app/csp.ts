/**
 * The page's Content-Security-Policy, one string for the built index.html (meta tag), browser mode's HTTP header and
 * Electron's session. 'wasm-unsafe-eval' lets the RDP engine compile its WebAssembly; connect-src admits the
 * loopback API and gateway sockets (ports chosen at run time) and data: (the engine loads its module from a data
 * URL). Nothing loads from anywhere but the app itself.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self' data: ws://127.0.0.1:*",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
].join('; ');

/** Header-only directives (ignored in a meta tag): nobody may frame the app. */
export const CSP_HEADER = `${CSP}; frame-ancestors 'none'`;
