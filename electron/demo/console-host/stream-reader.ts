import type { Duplex } from 'node:stream';
import { ProtocolError } from '../demo-desktop/bytes.ts';
import { connectionErrorText } from '../demo-desktop/connection-error.ts';

/**
 * Pull-style reads from a stream for the short exchanges before a session starts (pre-connection PDU, CredSSP):
 * `read(n)` / `readUntil(fn)` resolve with whole messages; `release()` detaches and hands back unread bytes.
 */
export class StreamReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  private readonly onData = (d: Buffer): void => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (this.buf.length > 256 * 1024) this.fail(new ProtocolError('too much data before the session started'));
    this.wake();
  };
  private readonly onEnd = (): void => this.fail(new ProtocolError('client closed the connection'));
  private readonly onError = (e: Error): void => this.fail(new ProtocolError(`connection error: ${connectionErrorText(e)}`));

  constructor(private readonly stream: Duplex) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Waits until `measure(buffer)` returns a length available in the buffer, then takes that many bytes. */
  async readMessage(measure: (buf: Buffer) => number | null, timeoutMs = 15000): Promise<Buffer> {
    const timer = setTimeout(() => this.fail(new ProtocolError('timed out waiting for the client')), timeoutMs);
    try {
      for (;;) {
        const n = this.buf.length ? measure(this.buf) : null;
        if (n !== null && this.buf.length >= n) {
          const msg = this.buf.subarray(0, n);
          this.buf = this.buf.subarray(n);
          return msg;
        }
        if (this.failure) throw this.failure;
        await new Promise<void>((res) => (this.waiter = res));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for at least one byte without consuming it. */
  async peek(timeoutMs = 15000): Promise<Buffer> {
    await this.readMessage(() => 0, timeoutMs);
    return this.buf;
  }

  /**
   * Stops listening and returns the bytes read but not consumed. The stream is left paused, so nothing is lost
   * while the next owner gets ready; it resumes the stream when it listens.
   */
  release(): Buffer {
    this.stream.pause();
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }
}
