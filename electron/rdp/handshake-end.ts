/**
 * Puts the end of the RDP connection sequence at the end of a WebSocket message.
 *
 * IronRDP's web client reads the connection sequence through a framed reader and, once the server's Font Map has
 * arrived, starts the session on the bare socket: whatever that reader had already taken past the Font Map is dropped
 * (ironrdp-web's connect ends with `into_inner_no_leftover`). Servers commonly send their first screen right behind
 * the Font Map, and what reaches the gateway in one read goes to the page as one message, so the first screen (or
 * part of it) was lost and stayed black until it changed.
 *
 * From the first byte of RDP proper, this splits the server's stream into whole PDUs (TPKT or fast-path framing)
 * until it has passed a Font Map, cutting the chunk right after it; the next bytes leave as a message of their own.
 * After that, and as soon as anything does not parse as expected, chunks pass untouched: it can only ever cut a chunk
 * in two, never change, drop or reorder a byte.
 */

import { fontMapChannel, pduLength } from '../common/rdp-framing.ts';

/** Whether the PDU at `at` is the Font Map ('short': its headers are cut). */
const isFontMap = (b: Buffer, at: number): boolean | 'short' => {
  const channel = fontMapChannel(b, at);
  return channel === 'short' ? 'short' : channel !== false;
};

export class HandshakeEnd {
  private done = false;
  /** Bytes of a PDU whose end has not arrived yet (its start is in an earlier chunk, already forwarded). */
  private pending = 0;
  /** That PDU is the Font Map: the cut goes where it ends. */
  private pendingFontMap = false;
  /** The first bytes of a PDU split over chunks, while its header is incomplete or it may be the Font Map. */
  private head: Buffer = Buffer.alloc(0);

  /** Whether the Font Map has gone by (the guard passes everything from then on). */
  get passed(): boolean {
    return this.done;
  }

  /** The chunk as one or two parts to send as separate messages. */
  push(chunk: Buffer): Buffer[] {
    if (this.done) return [chunk];
    // Held header bytes go out with the chunk they complete (they were not sent yet).
    const data = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
    this.head = Buffer.alloc(0);
    let at = 0;
    if (this.pending > 0) {
      const skip = Math.min(this.pending, data.length);
      this.pending -= skip;
      at = skip;
      if (this.pending > 0) return [data];
      if (this.pendingFontMap) {
        this.done = true;
        return at < data.length ? [data.subarray(0, at), data.subarray(at)] : [data];
      }
    }
    while (at < data.length) {
      const length = pduLength(data, at);
      if (length === 'short') {
        // The PDU's header (or, for what may be a Font Map, its share header) is cut: keep it for the next chunk.
        this.head = Buffer.from(data.subarray(at));
        return at > 0 ? [data.subarray(0, at)] : [];
      }
      if (length === 'unknown') return this.giveUp(data);
      const end = at + length;
      if (end > data.length) {
        const fontMap = isFontMap(data, at);
        if (fontMap === 'short') {
          this.head = Buffer.from(data.subarray(at));
          return at > 0 ? [data.subarray(0, at)] : [];
        }
        this.pending = end - data.length;
        this.pendingFontMap = fontMap;
        return [data];
      }
      if (isFontMap(data, at) === true) {
        this.done = true;
        return end < data.length ? [data.subarray(0, end), data.subarray(end)] : [data];
      }
      at = end;
    }
    return [data];
  }

  /** Anything unexpected: pass it and everything after, as the gateway did without this guard. */
  private giveUp(data: Buffer): Buffer[] {
    this.done = true;
    return [data];
  }
}
