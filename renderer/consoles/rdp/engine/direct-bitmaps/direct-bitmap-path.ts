/**
 * The direct bitmap path: bitmap updates drawn by the worker itself, everything else left to IronRDP.
 *
 * Why: IronRDP 0.7.0 repacks every region it draws twice after decoding it (into the `softbuffer` crate's buffer and
 * back), and that per-pixel work, not the decoding, is where a streaming session's time went: about 21 million
 * pixels a second on a 2-core machine, 26 screens of 1024×768. Classic bitmap updates (interleaved RLE, planar,
 * uncompressed: what xrdp, FreeRDP's servers and Windows without RemoteFX send) are simple to decode, so the worker
 * decodes them here and hands the page the regions; IronRDP never sees them. It still does everything else:
 * security, the connection sequence, input, channels, pointers, frame acknowledgements, RemoteFX.
 *
 * Rules that keep the picture right:
 * - Order. The server's PDUs are handled in the order they came. IronRDP handles what it is given in the same task
 *   (its futures run as microtasks), so before a bitmap that follows anything IronRDP draws or any slow-path PDU (a
 *   reactivation may resize the desktop), the path waits for a later task.
 * - One owner of the picture. IronRDP's own copy of the desktop lacks what this path drew, and it repaints whole rows
 *   from that copy. So once this path has drawn and IronRDP is about to draw too (a server mixing RemoteFX and
 *   bitmaps, a bitmap this path cannot decode), the path hands everything back to IronRDP for the rest of the session
 *   and asks the server to send the whole desktop again (Refresh Rect), which fills IronRDP's copy.
 * - Nothing lost. Bytes the path cannot follow (before the connection sequence ends, after framing fails) reach
 *   IronRDP as they came.
 */
import type { Region } from '../frame-shipper.ts';
import { regionsOf, Undrawable } from './rectangles.ts';
import { confirmActiveIds, refreshRectPdu, type ShareIds } from './refresh-rect.ts';
import { ServerStream } from './server-stream.ts';
import { concat } from './bytes.ts';
import { UpdateSorter, type Item } from './updates.ts';

export interface DirectPathHost {
  /** Hands bytes to IronRDP as one WebSocket message from the server. */
  deliver(bytes: Uint8Array): void;
  /** Puts regions on the tab's canvas (through the frame shipper, in order with what IronRDP draws). */
  draw(regions: Region[]): void;
  /** The desktop's size now (IronRDP sizes the canvas, also when a reactivation changes it). */
  desktop(): { width: number; height: number };
  /** Sends bytes to the server beside IronRDP's own messages. */
  send(bytes: Uint8Array): void;
  /** Runs `fn` in a later task, once IronRDP has handled what it was given. */
  later(fn: () => void): void;
}

export interface DirectPathStats {
  /** Bitmap updates (PDUs or reassembled fragments) this path drew. */
  updatesDrawn: number;
  rectanglesDrawn: number;
  /** Bitmap updates left to IronRDP (undecodable, or after handing back). */
  updatesPassed: number;
  /** Why drawing went back to IronRDP, if it did. */
  handedBack?: string;
}

export class DirectBitmapPath {
  readonly stats: DirectPathStats = { updatesDrawn: 0, rectanglesDrawn: 0, updatesPassed: 0 };
  private readonly stream = new ServerStream();
  private readonly sorter = new UpdateSorter(() => this.stream.ioChannel);
  private queue: Item[] = [];
  /** What is gathered for IronRDP while the queue is handled, given to it as one message. */
  private batch: Uint8Array[] = [];
  /** A bitmap waits for IronRDP to handle what came before it. */
  private waiting = false;
  private direct = true;
  private drewAny = false;
  private ids: ShareIds | undefined;

  constructor(private readonly host: DirectPathHost) {}

  /**
   * Whether the picture is this path's: it has drawn, and has not handed drawing back. Meanwhile IronRDP's own copy
   * of the desktop is stale, and whatever IronRDP draws from it is dropped (it is given nothing that draws: such a
   * PDU hands drawing back before IronRDP gets it). IronRDP 0.7.0 does draw one pixel, at (0, 0), for each frame
   * marker: an empty region, which it still extracts from its copy.
   */
  get ownsPicture(): boolean {
    return this.direct && this.drewAny;
  }

  /** A message from the gateway (the server's bytes). */
  fromServer(message: Uint8Array): void {
    try {
      this.take(message);
    } catch (err) {
      // A defect here must not stall the session: IronRDP gets everything from now on, nothing held back is lost.
      this.giveBack(`internal error: ${(err as Error).message}`, message);
    }
  }

  private take(message: Uint8Array): void {
    const pieces = this.stream.push(message);
    if (pieces.kind === 'as-is') {
      if (!this.queue.length && !this.waiting) this.host.deliver(pieces.bytes);
      else this.queue.push({ kind: 'pass', bytes: pieces.bytes, draws: true, barrier: true });
      return;
    }
    for (let i = 0; i < pieces.pdus.length; i++) {
      try {
        this.queue.push(...this.sorter.sort(pieces.pdus[i]));
      } catch (err) {
        // This PDU and the ones after it go to IronRDP as they came, with the rest (giveBack).
        for (const pdu of pieces.pdus.slice(i)) this.queue.push({ kind: 'pass', bytes: pdu, draws: true, barrier: true });
        if (pieces.unframed) this.queue.push({ kind: 'pass', bytes: pieces.unframed, draws: true, barrier: true });
        throw err;
      }
    }
    if (pieces.unframed) {
      const held = this.sorter.drain();
      if (held) this.queue.push({ kind: 'pass', bytes: held, draws: true, barrier: true });
      // In its turn, after the bitmaps before it, this hands drawing back (IronRDP may draw from it).
      this.queue.push({ kind: 'pass', bytes: pieces.unframed, draws: true, barrier: true });
    }
    if (!this.waiting) this.pump();
  }

  /**
   * After a failure: hands drawing back, and gives IronRDP, in order, what was gathered for it, what was queued or
   * held back, and the message being handled if the stream had not taken it yet.
   */
  private giveBack(why: string, message: Uint8Array): void {
    this.handBack(why);
    const taken = this.stream.taken;
    const rest = [...this.batch, ...this.queue.map((i) => i.bytes), this.sorter.drain(), this.stream.giveUp(), taken ? null : message];
    this.batch = [];
    this.queue = [];
    this.waiting = false;
    const bytes = rest.filter((b): b is Uint8Array => b !== null);
    if (bytes.length) this.host.deliver(concat(bytes));
  }

  /** A message IronRDP sends: its Confirm Active names the ids a Refresh Rect needs. */
  fromClient(message: Uint8Array): void {
    this.ids = confirmActiveIds(message) ?? this.ids;
  }

  private pump(): void {
    try {
      this.drain();
    } catch (err) {
      this.giveBack(`internal error: ${(err as Error).message}`, new Uint8Array(0));
    }
  }

  /** Handles the queue in order, until it is empty or a bitmap must wait for IronRDP. */
  private drain(): void {
    while (this.queue.length) {
      const item = this.queue.shift()!;
      if (item.kind === 'bitmaps' && this.direct) {
        const { width, height } = this.host.desktop();
        try {
          const regions = regionsOf(item.rects, width, height);
          this.host.draw(regions);
          this.drewAny = true;
          this.stats.updatesDrawn++;
          this.stats.rectanglesDrawn += item.rects.length;
          continue;
        } catch (err) {
          if (!(err instanceof Undrawable)) {
            this.batch.push(item.bytes); // for IronRDP, with the rest (giveBack)
            throw err;
          }
          if (this.drewAny) this.handBack(`a bitmap IronRDP must draw: ${err.message}`);
        }
      }
      this.batch.push(item.bytes);
      if (item.kind === 'bitmaps') this.stats.updatesPassed++;
      const barrier = item.kind === 'bitmaps' || item.barrier;
      if (this.direct && this.drewAny && (item.kind === 'bitmaps' || item.draws)) this.handBack('the server also sends what IronRDP draws');
      if (barrier && this.direct && this.queue.some((i) => i.kind === 'bitmaps')) {
        this.flush();
        this.waiting = true;
        this.host.later(() => {
          this.waiting = false;
          this.pump();
        });
        return;
      }
    }
    if (!this.direct) {
      // From now on the stream goes to IronRDP as it comes: no more cutting, and what was held back goes now.
      for (const held of [this.sorter.drain(), this.stream.giveUp()]) if (held) this.batch.push(held);
    }
    this.flush();
  }

  /** Gives IronRDP what was gathered for it, as one message. */
  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length) this.host.deliver(concat(batch));
  }

  private handBack(why: string): void {
    if (!this.direct) return;
    this.direct = false;
    this.stats.handedBack = why;
    const { width, height } = this.host.desktop();
    if (this.ids) this.host.send(refreshRectPdu(this.ids, { left: 0, top: 0, right: width - 1, bottom: height - 1 }));
  }
}
