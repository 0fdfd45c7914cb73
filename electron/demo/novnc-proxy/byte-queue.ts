// Bytes arriving in pieces (WebSocket messages from the browser, TCP reads from the VM) read back as exact
// lengths, for the security proxy's short handshake; `drain()` then hands the rest to plain relaying.

export class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(private readonly name: string) {}

  push(data: Buffer): void {
    this.chunks.push(data);
    this.size += data.length;
    this.wake();
  }

  /** The source ended or failed: pending and later reads reject with this. */
  fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  /** Exactly `n` bytes, waiting for them up to `timeoutMs`. */
  async read(n: number, timeoutMs = 15_000): Promise<Buffer> {
    const timer = setTimeout(() => this.fail(new Error(`timed out waiting for the ${this.name}`)), timeoutMs);
    try {
      while (this.size < n) {
        if (this.failure) throw this.failure;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
      const all = Buffer.concat(this.chunks);
      this.chunks = [all.subarray(n)];
      this.size -= n;
      return all.subarray(0, n);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Everything queued and not read. */
  drain(): Buffer {
    const rest = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    return rest;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
