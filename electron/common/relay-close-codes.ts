/**
 * The close codes the console relay (electron/relay) ends the page's WebSocket with, named once for the relay that
 * sends them and the page that explains them. Each names a cause; the close reason is a one-line sentence for the
 * user (never a token). Plain values: both runtimes import this file.
 *
 * Groups: 40xx the relay and the page, 41xx reaching the server, 42xx TLS, 43xx the console proxy's WebSocket,
 * 44xx the end of a session that had started, 45xx what answered is not a VNC server.
 */
export const RelayCloseCode = {
  /** Something failed inside the relay itself. */
  internal: 4000,
  /** The page's grant is unknown, already used, expired or revoked: nothing was opened (open the console again). */
  grantRefused: 4001,
  /** The app ended the session (the tab closed, the grant was revoked, the relay stopped). */
  closedByApp: 4002,
  /** The page sent more than the relay holds before the server was ready. */
  pageOverflow: 4003,
  /** TCP connection refused. */
  refused: 4100,
  /** DNS lookup failed. */
  dnsFailure: 4101,
  /** Connecting, the TLS handshake or the WebSocket upgrade took too long. */
  timeout: 4102,
  /** No route, network unreachable, or another network error while connecting. */
  unreachable: 4103,
  /** The TLS handshake with the console proxy failed. */
  tlsFailure: 4200,
  /** The proxy's certificate was not trusted (rejected by the user, or changed from the pinned one). */
  certificateNotTrusted: 4201,
  /** The console proxy refused the WebSocket upgrade (an HTTP status, or it hung up without one). */
  upgradeRefused: 4300,
  /** The console proxy closed the WebSocket right after the upgrade, before any byte: Nova's answer to a bad or expired token. */
  closedAtOnce: 4301,
  /** The console proxy broke the WebSocket protocol (no binary subprotocol, a text frame, an invalid frame). */
  proxyProtocolError: 4302,
  /** The server (or the proxy in front of it) closed a session that had started. */
  serverClosed: 4400,
  /** The connection broke without a proper close (reset, a WebSocket closed without a close frame). */
  connectionLost: 4401,
  /** The first bytes were not an RFB ProtocolVersion (`RFB xxx.yyy\n`), or none came. */
  notVnc: 4500,
} as const;

export type RelayCloseCode = (typeof RelayCloseCode)[keyof typeof RelayCloseCode];
