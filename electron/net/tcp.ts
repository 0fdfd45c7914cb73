import { connect as netConnect, type Socket } from 'node:net';
import { NetError } from './errors.ts';

/** The limits of one network step: how long it may take, and the signal that ends it when its caller goes away. */
export interface StepLimits {
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * Idle time before the kernel's first keepalive probe. RDP and RFB have no keepalive of their own and an idle screen
 * sends nothing, so silence proves nothing on these connections; the kernel's probes find a peer that vanished
 * without a FIN or a reset (after its own probe interval and count: net.ipv4.tcp_keepalive_intvl and _probes).
 */
export const TCP_KEEPALIVE_IDLE_MS = 10_000;

/**
 * Opens a TCP connection with Nagle off (both ends relay interactive input) and TCP keepalive on. Rejects with a NetError: `error`
 * (with the errno code), `timeout` or `aborted`; the socket is destroyed then.
 */
export function connectTcp(host: string, port: number, { timeoutMs, signal }: StepLimits): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Nobody is waiting for this connection any more: do not open it.
    if (signal.aborted) return reject(new NetError('aborted'));
    const socket = netConnect({ host, port });
    const fail = (err: NetError) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new NetError('timeout')), timeoutMs);
    const onError = (err: Error) => fail(new NetError('error', err));
    const onAbort = () => fail(new NetError('aborted'));
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      // From here on the owner watches 'close'; this listener keeps a late socket error from being unhandled.
      socket.on('error', () => {});
      socket.setNoDelay(true);
      socket.setKeepAlive(true, TCP_KEEPALIVE_IDLE_MS);
      resolve(socket);
    });
  });
}
