import type { Subject } from './failure.ts';
import { abandon, reach, type Reached } from './reach.ts';
import type { RelayTimeouts, ResolvedDestination } from './session.ts';

/**
 * The way to a VNC console, started when its grant is minted rather than when the page presents it: TCP to a
 * `vnc://` address; TCP, TLS and the upgrade to a console proxy (stopping before the upgrade when the proxy's
 * certificate needs the user's word).
 *
 * Why: a VNC server sends its first screen on its own clock, counted from the client's connect. QEMU answers update
 * requests only on its display refresh, which it runs once right when a client connects and then every 30 ms (every
 * 80 ms until the client sends anything but its setup messages; noVNC does at once). Measured against QEMU 7.2: the
 * first screen comes 30–35 ms after the connect, however fast the handshake. Behind a console proxy the connect to
 * the VNC server comes after the proxy checked the token, one more wait. Started with the grant, all of that runs
 * while the page renders the new tab and starts noVNC instead of after it.
 *
 * Nothing is read or sent on the page's behalf before it comes: the server's greeting waits (in the socket, or in the
 * proxy's WebSocket), and the session that presents the grant takes the connection as if it had just made it,
 * failures included, in the same words. The destination is the one the main process resolved and granted (the
 * proxy's upgrade request carries the console token to the proxy it was issued for, as the session would). A grant
 * that goes unused (expired, revoked, burnt) closes what was opened. Serial consoles are not started early: their
 * proxy's refusal of a token shows only as a close soon after the upgrade, timed from it.
 */
export class EarlyUpstream {
  private readonly abort = new AbortController();
  private readonly reaching: Promise<Reached>;

  constructor(destination: ResolvedDestination, subject: Subject, timeouts: RelayTimeouts, extraCa?: readonly string[]) {
    this.reaching = reach(destination, subject, timeouts, this.abort.signal, extraCa);
    // A failure is the taking session's to report; a grant nobody presents has nobody to tell.
    this.reaching.catch(() => undefined);
  }

  /**
   * What was reached, for the session that presented the grant. Until then, the session's end (`signal`) stops the
   * way out; afterwards what it got belongs to the session.
   */
  take(signal: AbortSignal): Promise<Reached> {
    if (signal.aborted) this.drop();
    const onAbort = () => this.drop();
    signal.addEventListener('abort', onAbort, { once: true });
    return this.reaching.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Nobody will use it: stops the way out, or closes what it reached. */
  drop(): void {
    this.abort.abort();
    this.reaching.then(abandon, () => undefined);
  }
}
