import type { Socket } from 'node:net';
import type { Subject } from './failure.ts';
import { connectUpstream } from './upstream.ts';

/**
 * The TCP connection of a `vnc://` grant, opened when the grant is minted rather than when the page presents it.
 *
 * Why: a VNC server sends its first screen on its own clock, counted from the client's connect. QEMU answers update
 * requests only on its display refresh, which it runs once right when a client connects and then every 30 ms (and
 * only every 80 ms until the client sends anything but its setup messages; noVNC does at once). Measured against
 * QEMU 7.2: the first screen comes 30–35 ms after the connect, however fast the handshake. Connecting while the page
 * still renders the new tab and starts noVNC lets those 30 ms run beside that work instead of after it.
 *
 * Nothing is read or sent before the page comes: the server's greeting waits in the socket, and the session that
 * presents the grant takes the socket as if it had just connected it (failures included, in the same words). The
 * destination is the one the main process resolved and granted; a grant that goes unused (expired, revoked, burnt)
 * drops its connection.
 */
export class EarlyTcpConnection {
  private readonly abort = new AbortController();
  private readonly connecting: Promise<Socket>;

  constructor(host: string, port: number, subject: Subject, timeoutMs: number) {
    this.connecting = connectUpstream(host, port, subject, timeoutMs, this.abort.signal);
    // A failure is the taking session's to report; a grant nobody presents has nobody to tell.
    this.connecting.catch(() => undefined);
  }

  /** The connection, for the session that presented the grant; the session's `signal` ends it with the session. */
  take(signal: AbortSignal): Promise<Socket> {
    if (signal.aborted) this.drop();
    else signal.addEventListener('abort', () => this.drop(), { once: true });
    return this.connecting;
  }

  /** Nobody will use it: stops the connect, or closes the socket. */
  drop(): void {
    this.abort.abort();
    this.connecting.then(
      (socket) => socket.destroy(),
      () => undefined,
    );
  }
}
