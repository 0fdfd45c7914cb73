/**
 * Cuts what the gateway sends a session (WebSocket messages, each any run of bytes) into whole RDP PDUs, once the
 * connection sequence is over.
 *
 * Until then the stream holds RDCleanPath, CredSSP and the connection sequence, whose framing differs from phase to
 * phase; those messages pass untouched. The gateway ends the message that carries the server's Font Map (the last PDU
 * of the connection sequence) right after it (electron/rdp/handshake-end.ts), so the message after it starts at a
 * PDU boundary: from there on every PDU is TPKT (slow path) or fast-path framed, and this cuts them out. If framing
 * ever fails, the splitter gives up and everything passes untouched from then on.
 */

import { fontMapChannel, pduLength } from '../../../../../electron/common/rdp-framing.ts';
import { concat } from './bytes.ts';

/** A Font Map PDU is 40 bytes with a one-byte MCS length; allow for longer encodings of the same headers. */
const FONT_MAP_LENGTHS = [40, 41, 42];
const LONGEST_FONT_MAP = 42;

export type Pieces =
  /** Before the active phase, or after framing failed: the message as it came. */
  | { kind: 'as-is'; bytes: Uint8Array }
  /** Whole PDUs; then, if framing failed inside this message, the rest of the bytes unframed. */
  | { kind: 'pdus'; pdus: Uint8Array[]; unframed?: Uint8Array };

export class ServerStream {
  private phase: 'connecting' | 'active' | 'lost' = 'connecting';
  /** The last bytes seen while connecting (as many as a Font Map has). */
  private tail = new Uint8Array(0);
  /**
   * The start of a PDU whose end has not arrived yet, as the messages brought it (joined once it is whole, so a large
   * PDU over many messages is copied once), and its length once its header is in.
   */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private heldNeeds: number | undefined;
  /** The MCS channel the Font Map came on: the session's I/O channel, which carries slow-path updates. */
  ioChannel: number | undefined;

  /** Whether the last message pushed was taken in (it was, unless push threw before looking at it). */
  taken = true;

  push(message: Uint8Array): Pieces {
    this.taken = false;
    const pieces = this.cut(message);
    this.taken = true;
    return pieces;
  }

  private cut(message: Uint8Array): Pieces {
    if (this.phase === 'connecting') {
      // The gateway ends a message right after the Font Map, but the Font Map itself may have begun in the message
      // before: look at the end of both together.
      const recent = concat([this.tail, message.subarray(-LONGEST_FONT_MAP)]);
      this.tail = recent.slice(-LONGEST_FONT_MAP);
      this.ioChannel = endingFontMapChannel(recent);
      if (this.ioChannel !== undefined) this.phase = 'active';
      return { kind: 'as-is', bytes: message };
    }
    if (this.phase === 'lost') return { kind: 'as-is', bytes: message };

    if (this.heldNeeds !== undefined && this.heldBytes + message.length < this.heldNeeds) {
      // Still inside the held PDU: keep the message's bytes and wait (the message's buffer is not handed on).
      this.held.push(message);
      this.heldBytes += message.length;
      return { kind: 'pdus', pdus: [] };
    }
    const data = this.held.length ? concat([...this.held, message]) : message;
    this.held = [];
    this.heldBytes = 0;
    this.heldNeeds = undefined;
    const pdus: Uint8Array[] = [];
    let at = 0;
    while (at < data.length) {
      const length = pduLength(data, at);
      if (length === 'short') break;
      if (length === 'unknown') {
        this.phase = 'lost';
        return { kind: 'pdus', pdus, unframed: data.subarray(at) };
      }
      if (at + length > data.length) {
        this.heldNeeds = length;
        break;
      }
      pdus.push(data.subarray(at, at + length));
      at += length;
    }
    if (at < data.length) {
      this.held = [data.subarray(at)];
      this.heldBytes = data.length - at;
    }
    return { kind: 'pdus', pdus };
  }

  /** Stops cutting; returns the bytes held back (the start of an unfinished PDU), which the caller passes on. */
  giveUp(): Uint8Array | null {
    this.phase = 'lost';
    const held = this.held.length ? concat(this.held) : null;
    this.held = [];
    this.heldBytes = 0;
    this.heldNeeds = undefined;
    return held;
  }
}

/** If the bytes end with a whole Font Map PDU, the MCS channel it came on. */
function endingFontMapChannel(m: Uint8Array): number | undefined {
  for (const length of FONT_MAP_LENGTHS) {
    const at = m.length - length;
    if (at < 0 || pduLength(m, at) !== length) continue;
    const channel = fontMapChannel(m, at);
    if (typeof channel === 'number') return channel;
  }
  return undefined;
}
