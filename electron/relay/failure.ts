import { RelayCloseCode } from '../common/relay-close-codes.ts';
import { errnoCause } from '../net/errors.ts';
import { closeReason as cutCloseReason } from '../net/websocket.ts';

/**
 * Why a relayed session ended: a close code for the page (electron/common/relay-close-codes.ts) and one sentence
 * naming the cause, shown in the tab and written to the log. Sentences name the far side by its role ("the VNC
 * server", "the serial console proxy"): the tab already shows the endpoint, and a host name can be long. Never a token.
 */
export class RelayFailure extends Error {
  constructor(
    readonly code: RelayCloseCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'RelayFailure';
  }
}

/** What the relay connects to, as the sentences name it. */
export type Subject = 'the VNC server' | 'the console proxy' | 'the serial console proxy';

/** A network failure while connecting (or later), named by its errno code. */
export function networkFailure(err: unknown, subject: Subject, host: string, during = 'connecting to'): RelayFailure {
  switch (errnoCause(err)) {
    case 'refused':
      return new RelayFailure(RelayCloseCode.refused, `${subject} refused the connection: nothing listens on that port`);
    case 'dns':
      return new RelayFailure(RelayCloseCode.dnsFailure, `DNS lookup failed for ${host}: no such host name`);
    case 'timed-out':
      return new RelayFailure(RelayCloseCode.timeout, `timed out ${during} ${subject}`);
    case 'no-route':
      return new RelayFailure(RelayCloseCode.unreachable, `${subject} is unreachable (no route to host)`);
    case 'network-unreachable':
      return new RelayFailure(RelayCloseCode.unreachable, `${subject} is unreachable (network unreachable)`);
    case 'reset':
      return new RelayFailure(RelayCloseCode.connectionLost, `${subject} reset the connection`);
    case undefined: {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      return new RelayFailure(RelayCloseCode.unreachable, `network error ${during} ${subject}: ${code ?? printable((err as Error | undefined)?.message ?? String(err), 80)}`);
    }
  }
}

/** The page goes away while the relay waits (connecting, a trust decision): not a failure anyone is shown. */
export class PageGone extends Error {
  constructor() {
    super('the page closed the session');
    this.name = 'PageGone';
  }
}

/** Text from the far side (a close reason, the first bytes) made safe for a one-line sentence: printable ASCII, bounded. */
export function printable(text: string, max: number): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '.');
  return clean.length > max ? clean.slice(0, max - 1) + '…' : clean;
}

/** A close reason that fits a close frame; the page shows it, so a cut one ends in '…'. */
export function closeReason(reason: string): string {
  return cutCloseReason(reason, '…');
}
