/**
 * How a network step failed, without sentences. The RDP gateway and the console relay tell their clients in
 * different terms (RDCleanPath error fields, WebSocket close codes), so this module says only what happened and
 * each of them words it.
 */

/**
 * - `timeout`: the step took longer than the caller allowed.
 * - `aborted`: the caller's signal fired (its page or client went away).
 * - `closed`: the peer closed the connection before the step was done.
 * - `error`: the socket reported an error; `code` holds its code when it had one.
 */
export type NetErrorKind = 'timeout' | 'aborted' | 'closed' | 'error';

export class NetError extends Error {
  /** The socket error's code for kind `error` ('ECONNREFUSED', 'ENOTFOUND', an OpenSSL code during TLS). */
  readonly code?: string;

  constructor(
    readonly kind: NetErrorKind,
    cause?: NodeJS.ErrnoException,
  ) {
    // A socket error keeps its own message and code, so code that reads `code` and `message` of a Node socket
    // error reads this the same way.
    super(cause?.message ?? DEFAULT_MESSAGES[kind], { cause });
    this.name = 'NetError';
    this.code = cause?.code;
  }
}

const DEFAULT_MESSAGES: Record<NetErrorKind, string> = {
  timeout: 'timed out',
  aborted: 'aborted',
  closed: 'the peer closed the connection',
  error: 'socket error',
};

/** The errno codes grouped by what they mean for whoever connects. */
export type ErrnoCause = 'refused' | 'dns' | 'timed-out' | 'no-route' | 'network-unreachable' | 'reset';

/**
 * What a socket error means, by its code (`err.code`), or undefined for one outside these groups. Node reports a name
 * that does not resolve as ENOTFOUND; the getaddrinfo codes are listed too, for a resolver that passes them through.
 */
export function errnoCause(err: unknown): ErrnoCause | undefined {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return 'dns';
    case 'ETIMEDOUT':
      return 'timed-out';
    case 'EHOSTUNREACH':
      return 'no-route';
    case 'ENETUNREACH':
      return 'network-unreachable';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    default:
      return undefined;
  }
}

/**
 * Awaits a network step and throws what `word` makes of its NetError instead: each side says a failure in its own
 * terms. Anything else thrown (a programming error) passes unchanged.
 */
export async function reword<T>(step: Promise<T>, word: (err: NetError) => Error): Promise<T> {
  try {
    return await step;
  } catch (err) {
    throw err instanceof NetError ? word(err) : err;
  }
}
