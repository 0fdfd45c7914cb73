import type { WebSocket } from 'ws';

/** A message as one Buffer, whichever of its forms `ws` delivered it in. */
export function toBuffer(data: WebSocket.RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/**
 * A close reason cut to the 123 bytes a close frame has room for (RFC 6455 §5.5); `mark` ends a reason that was
 * cut (the relay's page shows it, so it says '…').
 */
export function closeReason(reason: string, mark = ''): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -2) + mark;
  return r;
}

/**
 * Flow control for bytes relayed into a WebSocket: past HIGH_WATER buffered, the source is paused; it resumes once
 * the buffer is below LOW_WATER again. The gap keeps a fast source from pausing and resuming on every frame.
 */
export const HIGH_WATER = 1 << 20;
export const LOW_WATER = 256 << 10;

export interface FlowHooks {
  /** The WebSocket holds more than HIGH_WATER: stop the source. */
  high?(): void;
  /** After `high`, a sent frame left less than LOW_WATER: the source may go on. */
  low(): void;
}

/** Sends binary frames to one WebSocket and tells the sender's source when to stop and go on (see HIGH_WATER). */
export class BinarySender {
  private high = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly hooks: FlowHooks,
  ) {}

  /** Sends one binary frame; false while the WebSocket holds too much (until `low`). Nothing is sent unless it is open. */
  send(data: Buffer): boolean {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return true;
    ws.send(data, { binary: true }, () => {
      if (this.high && ws.bufferedAmount < LOW_WATER) {
        this.high = false;
        this.hooks.low();
      }
    });
    if (!this.high && ws.bufferedAmount > HIGH_WATER) {
      this.high = true;
      this.hooks.high?.();
    }
    return !this.high;
  }
}
