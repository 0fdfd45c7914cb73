import type { Socket } from 'node:net';
import type { Subject } from './failure.ts';
import type { RelayTimeouts, ResolvedDestination } from './session.ts';
import { connectUpstream, proxyTls, TcpUpstream, upgradeProxy, type TlsResult, type Upstream } from './upstream.ts';

/** Largest frame taken from a console proxy. */
const MAX_PROXY_FRAME = 16 << 20;

/**
 * How far the relay got toward a destination without asking anyone: all the way (an upstream to bind), or a TLS
 * connection to a console proxy whose certificate the CA store does not verify, which needs the trust store's (or
 * the user's) word before the upgrade request, and the console token in it, may be sent.
 */
export type Reached = { upstream: Upstream } | { unverified: TlsResult; socket: Socket; url: URL };

/** TCP to a VNC server; or TCP, TLS for wss, and the upgrade to a console proxy unless its certificate needs a word. */
export async function reach(d: ResolvedDestination, subject: Subject, t: RelayTimeouts, signal: AbortSignal, extraCa?: readonly string[]): Promise<Reached> {
  if (d.kind === 'tcp') return { upstream: new TcpUpstream(await connectUpstream(d.host, d.port, subject, t.connectMs, signal)) };
  const socket = await connectUpstream(d.host, d.port, subject, t.connectMs, signal);
  let carrier: Socket = socket;
  if (d.secure) {
    let tls: TlsResult;
    try {
      tls = await proxyTls(socket, d.host, subject, t.tlsMs, signal, extraCa);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    if (!tls.authorized) return { unverified: tls, socket, url: d.url };
    carrier = tls.tls;
  }
  return { upstream: await upgradeToProxy(d.url, carrier, subject, t, signal) };
}

/** The console proxy's WebSocket over a connection that is trusted (or plain ws). */
export function upgradeToProxy(url: URL, carrier: Socket, subject: Subject, t: RelayTimeouts, signal: AbortSignal): Promise<Upstream> {
  return upgradeProxy(url, carrier, {
    subject,
    timeoutMs: t.upgradeMs,
    signal,
    maxPayload: MAX_PROXY_FRAME,
    keepalive: { intervalMs: t.keepaliveMs, silenceMs: t.silenceMs },
  });
}

/** Closes what `reach` got to, unused. */
export function abandon(reached: Reached): void {
  if ('upstream' in reached) reached.upstream.close(false);
  else {
    reached.unverified.tls.destroy();
    reached.socket.destroy();
  }
}
