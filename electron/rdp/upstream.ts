import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { RdCleanPathErrorInfo } from './rdcleanpath.ts';
import { tpktLength, X224Error } from './x224.ts';
import { RdCleanPathErrorCode, TlsAlert, WsaError } from '../common/rdcleanpath-codes.ts';
import type { SessionEndCause } from '../common/session-end.ts';
import { formatEndpoint } from '../net/address.ts';
import { errnoCause, reword } from '../net/errors.ts';
import { connectTcp } from '../net/tcp.ts';
import { startTls } from '../net/tls.ts';

/**
 * The gateway's side toward the RDP server: TCP connect, read one TPKT, TLS handshake. Every failure becomes a
 * SessionFailure that names its cause for the administrator and says what to tell the RDP client.
 */

/** Windows socket error numbers: RDCleanPath reports network failures to the client in this vocabulary. */

export class SessionFailure extends Error {
  /** What kind of end this is for the page's auto-reconnect (electron/common/session-end.ts). */
  readonly endCause: SessionEndCause;

  constructor(
    /** A sentence for the administrator; never contains secrets. */
    readonly reason: string,
    /** What the RDP client is told, when it can still be told (before the RDCleanPath response). */
    readonly client: RdCleanPathErrorInfo & { x224?: Buffer },
    cause?: SessionEndCause,
  ) {
    super(reason);
    this.name = 'SessionFailure';
    this.endCause = cause ?? causeOf(client);
  }
}

/**
 * The kind of end a failure is, read from what the client is told: RDCleanPath reports network failures by their
 * Windows socket error and a broken TLS handshake by its alert, so those are a server out of reach; a certificate
 * alert is a certificate not trusted; the rest (a negotiation refused, a server that is not RDP) would fail again.
 */
function causeOf(client: RdCleanPathErrorInfo): SessionEndCause {
  if (client.wsaLastError !== undefined) return 'unreachable';
  if (client.tlsAlert === TlsAlert.handshakeFailure) return 'unreachable';
  if (client.tlsAlert === TlsAlert.badCertificate) return 'certificate';
  return 'failed';
}

/** What the RDP client is told when it went away meanwhile (it reads nothing any more; the log does). */
export function clientGone(): SessionFailure {
  return new SessionFailure('the client went away', { errorCode: RdCleanPathErrorCode.general }, 'closed-by-app');
}

export function networkFailure(err: unknown, host: string, port: number, during: string): SessionFailure {
  const endpoint = formatEndpoint(host, port);
  switch (errnoCause(err)) {
    case 'refused':
      return new SessionFailure(`connection refused by ${endpoint} (is an RDP server listening there?)`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connRefused });
    case 'dns':
      return new SessionFailure(`DNS lookup failed for ${host}: no such host name`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.hostNotFound });
    case 'timed-out':
      return new SessionFailure(`timed out ${during} ${endpoint}`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.timedOut });
    case 'no-route':
      return new SessionFailure(`${endpoint} is unreachable (no route to host)`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.hostUnreachable });
    case 'network-unreachable':
      return new SessionFailure(`${endpoint} is unreachable (network unreachable)`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.netUnreachable });
    case 'reset':
      return new SessionFailure(`${endpoint} reset the connection ${during}`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset });
    case undefined:
      return new SessionFailure(
        `network error ${during} ${endpoint}: ${(err as Error | undefined)?.message ?? String(err)}`,
        { errorCode: RdCleanPathErrorCode.general, httpStatus: 502 },
        'unreachable',
      );
  }
}

/** TCP to the RDP server; a failure is said in RDCleanPath's terms. */
export function connectServer(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return reword(connectTcp(host, port, { timeoutMs, signal }), (err) => {
    switch (err.kind) {
      case 'aborted':
        return clientGone();
      case 'timeout':
        return networkFailure({ code: 'ETIMEDOUT' }, host, port, 'connecting to');
      case 'closed':
      case 'error':
        return networkFailure(err, host, port, 'while connecting to');
    }
  });
}

/**
 * Reads exactly one TPKT from a raw socket (the server's X.224 confirm), leaving the socket paused with any
 * read-ahead pushed back, so TLS can take the socket over next.
 */
export function readTpkt(socket: Socket, endpoint: string, timeoutMs: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: SessionFailure | undefined, pdu?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      socket.pause();
      if (err) reject(err);
      else resolve(pdu!);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      let len: number | undefined;
      try {
        len = tpktLength(buf);
      } catch (e) {
        done(
          new SessionFailure(`${endpoint} did not answer like an RDP server (${e instanceof X224Error ? e.message : 'bad data'})`, {
            errorCode: RdCleanPathErrorCode.general,
            httpStatus: 502,
          }),
        );
        return;
      }
      if (len === undefined || buf.length < len) return;
      const rest = buf.subarray(len);
      done(undefined, buf.subarray(0, len));
      if (rest.length) socket.unshift(rest);
    };
    const onError = (err: Error & { code?: string }) =>
      done(
        errnoCause(err) === 'reset'
          ? new SessionFailure(`${endpoint} reset the connection during the RDP negotiation`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset })
          : new SessionFailure(`network error during the RDP negotiation with ${endpoint}: ${err.message}`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 502 }),
      );
    const onClose = () =>
      done(new SessionFailure(`${endpoint} closed the connection during the RDP negotiation`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset }));
    const onAbort = () => done(clientGone());
    const timer = setTimeout(
      () => done(new SessionFailure(`timed out waiting for ${endpoint} to answer the RDP negotiation`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.timedOut })),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.resume();
  });
}

/**
 * TLS toward the RDP server. The certificate is not validated here (RDP servers are mostly self-signed): the
 * caller pins it through the trust store before the client is answered.
 */
export function startServerTls(socket: Socket, host: string, endpoint: string, timeoutMs: number, signal: AbortSignal): Promise<TLSSocket> {
  return reword(startTls(socket, { host, timeoutMs, signal }), (err) => {
    switch (err.kind) {
      case 'aborted':
        return clientGone();
      case 'timeout':
        return new SessionFailure(`timed out during the TLS handshake with ${endpoint}`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.timedOut });
      case 'closed':
        return new SessionFailure(`${endpoint} closed the connection during the TLS handshake`, { errorCode: RdCleanPathErrorCode.general, tlsAlert: TlsAlert.handshakeFailure });
      case 'error':
        return errnoCause(err) === 'reset'
          ? new SessionFailure(`${endpoint} reset the connection during the TLS handshake`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset })
          : new SessionFailure(`TLS handshake with ${endpoint} failed: ${err.message}`, { errorCode: RdCleanPathErrorCode.general, tlsAlert: TlsAlert.handshakeFailure });
    }
  });
}
