import { randomBytes } from 'node:crypto';

/**
 * One-time grants: the main process decides where a session may connect and hands the page a random token for it.
 * A token is taken out of the table when presented, whatever follows (a leaked token is good for nothing), and
 * expires unused after the table's time to live.
 */
export class GrantTable<G extends { sessionId: string }> {
  private readonly grants = new Map<string, { grant: G; expiresAt: number; timer: NodeJS.Timeout }>();

  /** `onDropped` hears of every grant that goes unused: expired, revoked or cleared (not one that was taken). */
  constructor(
    private readonly ttlMs: number,
    private readonly onDropped?: (grant: G) => void,
  ) {}

  /** Stores a grant under a fresh 256-bit token (base64url) and returns the token. */
  issue(grant: G): string {
    const token = randomBytes(32).toString('base64url');
    // The timer only frees the memory; `take` checks the time itself, as a timer can fire late.
    const timer = setTimeout(() => this.drop(token), this.ttlMs);
    timer.unref();
    this.grants.set(token, { grant, expiresAt: Date.now() + this.ttlMs, timer });
    return token;
  }

  /** The grant a token names, removed from the table; undefined when the token is unknown, used or expired. */
  take(token: string | null | undefined): G | undefined {
    if (!token) return undefined;
    const entry = this.grants.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.drop(token);
      return undefined;
    }
    this.forget(token);
    return entry.grant;
  }

  /** Forgets every unused grant of a session. */
  revoke(sessionId: string): void {
    for (const [token, entry] of this.grants) if (entry.grant.sessionId === sessionId) this.drop(token);
  }

  clear(): void {
    for (const token of [...this.grants.keys()]) this.drop(token);
  }

  private drop(token: string): void {
    const entry = this.grants.get(token);
    if (!entry) return;
    this.forget(token);
    this.onDropped?.(entry.grant);
  }

  private forget(token: string): void {
    clearTimeout(this.grants.get(token)?.timer);
    this.grants.delete(token);
  }
}
