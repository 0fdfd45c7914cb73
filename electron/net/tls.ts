import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { NetError } from './errors.ts';
import type { StepLimits } from './tcp.ts';

export interface TlsOptions extends StepLimits {
  /** The name or address the socket is connected to: sent as SNI when it is a name, and checked against the certificate. */
  host: string;
  /** ALPN protocols to offer; none when absent. */
  alpn?: string[];
  /** CA certificates (PEM) trusted besides Node's store. */
  extraCa?: readonly string[];
}

/**
 * A TLS handshake over a connected socket. No certificate is refused here: RDP servers are mostly self-signed, and a
 * console proxy's certificate may be pinned. Each caller decides from `authorized` and `peerChain` before it sends
 * anything that matters. Rejects with a NetError: `error` (the socket's or OpenSSL's code), `closed` (the peer hung
 * up during the handshake), `timeout` or `aborted`; the TLS socket and the socket under it are destroyed then.
 */
export function startTls(socket: Socket, { host, timeoutMs, signal, alpn, extraCa }: TlsOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      socket.destroy();
      return reject(new NetError('aborted'));
    }
    const options: ConnectionOptions = {
      socket,
      host,
      // SNI only for names; an IP literal as server name is not allowed.
      servername: isIP(host) ? undefined : host,
      rejectUnauthorized: false,
    };
    if (alpn) options.ALPNProtocols = alpn;
    // A `ca` option replaces Node's store instead of adding to it, so the store is listed too.
    if (extraCa?.length) options.ca = [...rootCertificates, ...extraCa];
    const tls = tlsConnect(options);
    const done = (err?: NetError) => {
      clearTimeout(timer);
      tls.off('error', onError);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err) {
        tls.destroy();
        socket.destroy();
        reject(err);
        return;
      }
      tls.on('error', () => {}); // the owner watches 'close' from here on
      resolve(tls);
    };
    const onError = (err: Error) => done(new NetError('error', err));
    const onClose = () => done(new NetError('closed'));
    const onAbort = () => done(new NetError('aborted'));
    const timer = setTimeout(() => done(new NetError('timeout')), timeoutMs);
    tls.once('error', onError);
    socket.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    tls.once('secureConnect', () => done());
  });
}

/** The peer's certificate chain, leaf first, as DER. */
export function peerChain(tls: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: PeerCertificate | undefined = tls.getPeerCertificate(true);
  // A self-signed root names itself as its issuer: the fingerprints stop the walk there.
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(Buffer.from(cert.raw));
    cert = (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return chain;
}
