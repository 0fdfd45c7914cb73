import { isIP } from 'node:net';
import { RelayCloseCode } from '../common/relay-close-codes.ts';

/**
 * Why a relayed session ended: a close code for the page (electron/common/relay-close-codes.ts) and one sentence
 * naming the cause, shown in the tab and written to the log. Sentences name the far side by its role ("the VNC
 * server", "the console proxy"): the tab already shows the endpoint, and a host name can be long. Never a token.
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
export type Subject = 'the VNC server' | 'the console proxy';

export function formatEndpoint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A network failure while connecting (or later), named by its errno code. */
export function networkFailure(err: unknown, subject: Subject, host: string, during = 'connecting to'): RelayFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return new RelayFailure(RelayCloseCode.refused, `${subject} refused the connection: nothing listens on that port`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return new RelayFailure(RelayCloseCode.dnsFailure, `DNS lookup failed for ${host}: no such host name`);
    case 'ETIMEDOUT':
      return new RelayFailure(RelayCloseCode.timeout, `timed out ${during} ${subject}`);
    case 'EHOSTUNREACH':
      return new RelayFailure(RelayCloseCode.unreachable, `${subject} is unreachable (no route to host)`);
    case 'ENETUNREACH':
      return new RelayFailure(RelayCloseCode.unreachable, `${subject} is unreachable (network unreachable)`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new RelayFailure(RelayCloseCode.connectionLost, `${subject} reset the connection`);
    default:
      return new RelayFailure(RelayCloseCode.unreachable, `network error ${during} ${subject}: ${code ?? printable((err as Error | undefined)?.message ?? String(err), 80)}`);
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

/** WebSocket close reasons are limited to 123 bytes (RFC 6455 §5.5). */
export function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -2) + '…';
  return r;
}
