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

import { pduLength } from '../../../../../electron/common/rdp-framing.ts';

const TPKT_VERSION = 3;
/** Share Data PDU type 2 of the Font Map (MS-RDPBCGR 2.2.1.22). */
const PDUTYPE2_FONTMAP = 0x28;
/** A Font Map PDU is 40 bytes with a one-byte MCS length; allow for longer encodings of the same headers. */
const FONT_MAP_LENGTHS = [40, 41, 42];

export type Pieces =
  /** Before the active phase, or after framing failed: the message as it came. */
  | { kind: 'as-is'; bytes: Uint8Array }
  /** Whole PDUs; then, if framing failed inside this message, the rest of the bytes unframed. */
  | { kind: 'pdus'; pdus: Uint8Array[]; unframed?: Uint8Array };

export class ServerStream {
  private phase: 'connecting' | 'active' | 'lost' = 'connecting';
  /** The last bytes seen while connecting (as many as a Font Map has). */
  private tail = new Uint8Array(0);
  /** The start of a PDU whose end has not arrived yet. */
  private held: Uint8Array | null = null;
  /** The MCS channel the Font Map came on: the session's I/O channel, which carries slow-path updates. */
  ioChannel: number | undefined;

  /** Whether PDUs are being cut out (the Font Map has gone by and framing never failed). */
  get active(): boolean {
    return this.phase === 'active';
  }

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
      const recent = new Uint8Array(this.tail.length + message.length);
      recent.set(this.tail);
      recent.set(message, this.tail.length);
      this.tail = recent.slice(-FONT_MAP_LENGTHS[FONT_MAP_LENGTHS.length - 1]);
      this.ioChannel = fontMapChannel(recent);
      if (this.ioChannel !== undefined) this.phase = 'active';
      return { kind: 'as-is', bytes: message };
    }
    if (this.phase === 'lost') return { kind: 'as-is', bytes: message };

    let data = message;
    if (this.held) {
      data = new Uint8Array(this.held.length + message.length);
      data.set(this.held);
      data.set(message, this.held.length);
      this.held = null;
    }
    const pdus: Uint8Array[] = [];
    let at = 0;
    while (at < data.length) {
      const length = pduLength(data, at);
      if (length === 'short') break;
      if (length === 'unknown') {
        this.phase = 'lost';
        return { kind: 'pdus', pdus, unframed: data.subarray(at) };
      }
      if (at + length > data.length) break;
      pdus.push(data.subarray(at, at + length));
      at += length;
    }
    // A copy: the caller may hand the message's buffer on.
    if (at < data.length) this.held = data.slice(at);
    return { kind: 'pdus', pdus };
  }

  /** Stops cutting; returns the bytes held back (the start of an unfinished PDU), which the caller passes on. */
  giveUp(): Uint8Array | null {
    this.phase = 'lost';
    const held = this.held;
    this.held = null;
    return held;
  }
}


/**
 * If the message's last bytes are a whole Font Map PDU (TPKT, X.224 data, MCS Send Data Indication, share headers),
 * the MCS channel it came on.
 */
function fontMapChannel(m: Uint8Array): number | undefined {
  for (const length of FONT_MAP_LENGTHS) {
    const at = m.length - length;
    if (at < 0 || m[at] !== TPKT_VERSION || ((m[at + 2] << 8) | m[at + 3]) !== length) continue;
    if (m[at + 5] !== 0xf0 || m[at + 7] >> 2 !== 26) continue;
    const lengthAt = at + 13;
    const share = lengthAt + (m[lengthAt] & 0x80 ? 2 : 1);
    if (share + 15 > m.length) continue;
    if ((m[share + 2] & 0xf) === 7 && m[share + 14] === PDUTYPE2_FONTMAP) return (m[at + 10] << 8) | m[at + 11];
  }
  return undefined;
}
