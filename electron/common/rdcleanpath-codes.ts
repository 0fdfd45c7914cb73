/**
 * The numbers an RDCleanPath error carries (PROTOCOLS.md §3), named once for the gateway that sends them and the
 * page that explains them. Plain values: both runtimes import this file.
 */

/** `error_code`: a general failure, or the server refused the security negotiation. */
export const RdCleanPathErrorCode = { general: 1, negotiation: 2 } as const;

/** `tls_alert`: TLS alert descriptions (RFC 8446 §6.2) the gateway reports: a failed handshake, an untrusted certificate. */
export const TlsAlert = { handshakeFailure: 40, badCertificate: 42 } as const;

/** `wsa_last_error`: the Windows socket error numbers IronRDP's client understands, for the same socket failures. */
export const WsaError = {
  netUnreachable: 10051,
  connReset: 10054,
  timedOut: 10060,
  connRefused: 10061,
  hostUnreachable: 10065,
  hostNotFound: 11001,
} as const;
