import { EngineError } from './types.ts';
import { TlsAlert, WsaError } from '../../../../electron/common/rdcleanpath-codes.ts';

/**
 * IronRDP reports failures as IronError objects with a numeric kind (not exported by the package's typings):
 * 0 general, 1 wrong password, 2 logon failure, 3 access denied, 4 RDCleanPath (the gateway answered with an
 * error), 5 proxy connect (the gateway could not be reached), 6 negotiation failure.
 */
export const IronErrorKind = { general: 0, wrongPassword: 1, logonFailure: 2, accessDenied: 3, rdcleanpath: 4, proxyConnect: 5, negotiationFailure: 6 } as const;

interface IronErrorLike {
  kind(): number;
  backtrace?(): string;
  rdcleanpathDetails?(): { httpStatusCode?: number; wsaErrorCode?: number; tlsAlertCode?: number } | undefined;
}

const isIronError = (e: unknown): e is IronErrorLike => typeof (e as IronErrorLike | null)?.kind === 'function';

/** Windows socket errors the gateway uses to say why it could not reach the server. */
const WSA: Record<number, string> = {
  [WsaError.connRefused]: 'the server refused the connection (is RDP enabled and listening on that port?)',
  [WsaError.timedOut]: 'the server did not answer in time',
  [WsaError.hostUnreachable]: 'the server is unreachable (no route to host)',
  [WsaError.netUnreachable]: 'the server is unreachable (network unreachable)',
  [WsaError.connReset]: 'the server closed the connection while it was being set up',
  [WsaError.hostNotFound]: 'the server name could not be resolved (DNS)',
};

export function describeIronError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  if (!isIronError(err)) {
    const text = err instanceof Error ? err.message : String(err);
    return new EngineError('internal', text || 'the RDP client failed');
  }
  const trace = firstLine(safeCall(() => err.backtrace?.()) ?? '');
  switch (err.kind()) {
    case IronErrorKind.wrongPassword:
      return new EngineError('credentials', 'wrong user name or password');
    case IronErrorKind.logonFailure:
      return new EngineError('credentials', 'the server refused the logon (check the user name, password and domain)');
    case IronErrorKind.accessDenied:
      return new EngineError('credentials', 'the server denied this user access');
    case IronErrorKind.proxyConnect:
      return new EngineError('gateway', 'the local RDP gateway could not be reached');
    case IronErrorKind.negotiationFailure:
      return new EngineError('negotiation', 'the server refused the security negotiation (it may require Network Level Authentication)');
    case IronErrorKind.rdcleanpath: {
      const d = safeCall(() => err.rdcleanpathDetails?.());
      if (d?.httpStatusCode === 403) return new EngineError('gateway', 'the gateway refused the session: its token is invalid, already used or expired');
      if (d?.wsaErrorCode !== undefined && WSA[d.wsaErrorCode]) return new EngineError('network', WSA[d.wsaErrorCode]);
      if (d?.tlsAlertCode === TlsAlert.badCertificate) return new EngineError('gateway', "the server's certificate was not trusted");
      if (d?.tlsAlertCode !== undefined) return new EngineError('network', 'the TLS handshake with the server failed');
      return new EngineError('gateway', 'the gateway could not connect to the server' + (trace ? ` (${trace})` : ''));
    }
    default:
      // CredSSP failures reach the WASM client only as a dropped connection ("not enough bytes"): say what it means.
      if (/credssp|not enough bytes|nla/i.test(trace)) {
        return new EngineError('credentials', 'login failed or the server closed the connection during authentication');
      }
      return new EngineError('protocol', 'the RDP connection failed' + (trace ? `: ${trace}` : ''));
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim().slice(0, 300);
}

function safeCall<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
