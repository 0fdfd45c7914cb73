import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { RdCleanPathErrorInfo } from './rdcleanpath.ts';
import { tpktLength, X224Error } from './x224.ts';
import { RdCleanPathErrorCode, TlsAlert, WsaError } from '../common/rdcleanpath-codes.ts';

/**
 * The gateway's side toward the RDP server: TCP connect, read one TPKT, TLS handshake. Every failure becomes a
 * SessionFailure that names its cause for the administrator and says what to tell the RDP client.
 */

/** Windows socket error numbers: RDCleanPath reports network failures to the client in this vocabulary. */

export class SessionFailure extends Error {
  constructor(
    /** A sentence for the administrator; never contains secrets. */
    readonly reason: string,
    /** What the RDP client is told, when it can still be told (before the RDCleanPath response). */
    readonly client: RdCleanPathErrorInfo & { x224?: Buffer },
  ) {
    super(reason);
    this.name = 'SessionFailure';
  }
}

export function formatEndpoint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function networkFailure(err: unknown, host: string, port: number, during: string): SessionFailure {
  const endpoint = formatEndpoint(host, port);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return new SessionFailure(`connection refused by ${endpoint} (is an RDP server listening there?)`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connRefused });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new SessionFailure(`DNS lookup failed for ${host}: no such host name`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.hostNotFound });
    case 'ETIMEDOUT':
      return new SessionFailure(`timed out ${during} ${endpoint}`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.timedOut });
    case 'EHOSTUNREACH':
      return new SessionFailure(`${endpoint} is unreachable (no route to host)`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.hostUnreachable });
    case 'ENETUNREACH':
      return new SessionFailure(`${endpoint} is unreachable (network unreachable)`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.netUnreachable });
    case 'ECONNRESET':
    case 'EPIPE':
      return new SessionFailure(`${endpoint} reset the connection ${during}`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset });
    default:
      return new SessionFailure(`network error ${during} ${endpoint}: ${(err as Error | undefined)?.message ?? String(err)}`, {
        errorCode: RdCleanPathErrorCode.general,
        httpStatus: 502,
      });
  }
}

export function connectTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const fail = (err: SessionFailure) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(networkFailure({ code: 'ETIMEDOUT' }, host, port, 'connecting to')), timeoutMs);
    const onError = (err: Error) => fail(networkFailure(err, host, port, 'while connecting to'));
    const onAbort = () => fail(new SessionFailure('the client went away', { errorCode: RdCleanPathErrorCode.general }));
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      // From here on the session watches 'close'; this listener keeps a late socket error from being unhandled.
      socket.on('error', () => {});
      socket.setNoDelay(true);
      resolve(socket);
    });
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
        err.code === 'ECONNRESET' || err.code === 'EPIPE'
          ? new SessionFailure(`${endpoint} reset the connection during the RDP negotiation`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset })
          : new SessionFailure(`network error during the RDP negotiation with ${endpoint}: ${err.message}`, { errorCode: RdCleanPathErrorCode.general, httpStatus: 502 }),
      );
    const onClose = () =>
      done(new SessionFailure(`${endpoint} closed the connection during the RDP negotiation`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset }));
    const onAbort = () => done(new SessionFailure('the client went away', { errorCode: RdCleanPathErrorCode.general }));
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
export function startTls(socket: Socket, host: string, endpoint: string, timeoutMs: number, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      rejectUnauthorized: false,
      // SNI only for names; an IP literal as server name is not allowed.
      servername: isIP(host) ? undefined : host,
    });
    const done = (err?: SessionFailure) => {
      clearTimeout(timer);
      tls.off('error', onError);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err) {
        tls.destroy();
        reject(err);
      } else resolve(tls);
    };
    const onError = (err: Error & { code?: string }) =>
      done(
        err.code === 'ECONNRESET' || err.code === 'EPIPE'
          ? new SessionFailure(`${endpoint} reset the connection during the TLS handshake`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.connReset })
          : new SessionFailure(`TLS handshake with ${endpoint} failed: ${err.message}`, { errorCode: RdCleanPathErrorCode.general, tlsAlert: TlsAlert.handshakeFailure }),
      );
    const onClose = () => done(new SessionFailure(`${endpoint} closed the connection during the TLS handshake`, { errorCode: RdCleanPathErrorCode.general, tlsAlert: TlsAlert.handshakeFailure }));
    const onAbort = () => done(new SessionFailure('the client went away', { errorCode: RdCleanPathErrorCode.general }));
    const timer = setTimeout(
      () => done(new SessionFailure(`timed out during the TLS handshake with ${endpoint}`, { errorCode: RdCleanPathErrorCode.general, wsaLastError: WsaError.timedOut })),
      timeoutMs,
    );
    tls.once('error', onError);
    socket.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    tls.once('secureConnect', () => {
      tls.on('error', () => {}); // the session watches 'close' from here on
      done();
    });
  });
}

/** The server's certificate chain, leaf first, as DER. */
export function peerChain(tls: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: PeerCertificate | undefined = tls.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(Buffer.from(cert.raw));
    const next: PeerCertificate | undefined = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
    cert = next;
  }
  return chain;
}
