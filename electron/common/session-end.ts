import { RelayCloseCode } from './relay-close-codes.ts';

/**
 * What kind of end a console session had, told with its reason so the page can decide whether to reconnect by
 * itself. Plain values: both runtimes import this file.
 *
 * - `lost`: a session that had started broke for a network cause (the server or proxy closed it, a reset, no close
 *   frame, no answer to keepalives). The page reconnects by itself.
 * - `unreachable`: nothing could be reached (refused, DNS, timeout, no route, a TLS handshake that broke). Not a
 *   reason to start reconnecting, but while reconnecting it is one more failed try (a hypervisor restarting).
 * - `refused`: the far side turned this session away: the console proxy refused or dropped the console token at
 *   once, or the RDP server ended authentication. Final for a pasted URL (its token cannot be renewed).
 * - `certificate`: the certificate was not trusted (rejected, or changed from the pinned one). Always final.
 * - `closed-by-app`: the app or the page ended it (tab closed, grant revoked, the engine closed its socket).
 * - `failed`: anything else (not a VNC server, a protocol error, an internal error): retrying would fail the same way.
 */
export type SessionEndCause = 'lost' | 'unreachable' | 'refused' | 'certificate' | 'closed-by-app' | 'failed';

/** The cause behind each relay close code (electron/common/relay-close-codes.ts). */
export function relayEndCause(code: number): SessionEndCause {
  switch (code) {
    case RelayCloseCode.serverClosed:
    case RelayCloseCode.connectionLost:
      return 'lost';
    case RelayCloseCode.refused:
    case RelayCloseCode.dnsFailure:
    case RelayCloseCode.timeout:
    case RelayCloseCode.unreachable:
    case RelayCloseCode.tlsFailure:
      return 'unreachable';
    case RelayCloseCode.grantRefused:
    case RelayCloseCode.upgradeRefused:
    case RelayCloseCode.closedAtOnce:
      return 'refused';
    case RelayCloseCode.certificateNotTrusted:
      return 'certificate';
    case RelayCloseCode.closedByApp:
      return 'closed-by-app';
    default:
      return 'failed';
  }
}
