/**
 * What the gateway's handshake guard and the RDP worker's direct bitmap path both need to cut a server's stream into
 * PDUs: the length of a PDU from its first bytes (MS-RDPBCGR 2.2.9.1.2 for fast-path, TPKT for slow path), and the
 * Font Map, the last PDU of the connection sequence.
 */

const TPKT_VERSION = 3;
/** Share Data PDU type 2 of the Font Map (MS-RDPBCGR 2.2.1.22). */
const PDUTYPE2_FONTMAP = 0x28;
const MCS_SEND_DATA_INDICATION = 26;
const PDUTYPE_DATA = 7;

/** Length of the PDU starting at `at`: 'short' if its header is cut, 'unknown' if it is neither framing. */
export function pduLength(b: Uint8Array, at: number): number | 'short' | 'unknown' {
  if (b.length - at < 2) return 'short';
  const first = b[at];
  if (first === TPKT_VERSION) {
    if (b.length - at < 4) return 'short';
    const length = (b[at + 2] << 8) | b[at + 3];
    return length >= 7 ? length : 'unknown';
  }
  if ((first & 0x3) === 0) {
    // Fast path: one length byte, or two when the first has its top bit set.
    const l1 = b[at + 1];
    if (!(l1 & 0x80)) return l1 >= 2 ? l1 : 'unknown';
    if (b.length - at < 3) return 'short';
    const length = ((l1 & 0x7f) << 8) | b[at + 2];
    return length >= 3 ? length : 'unknown';
  }
  return 'unknown';
}

/**
 * If the TPKT PDU at `at` is a Share Data PDU carrying a Font Map (X.224 data, MCS Send Data Indication, then the
 * share control header, type 7: data PDU, and the share data header, whose pduType2 sits 14 bytes into it): the MCS
 * channel it came on, which is the session's I/O channel. False if it is another PDU; 'short' if the bytes end
 * before that can be told.
 */
export function fontMapChannel(b: Uint8Array, at: number): number | false | 'short' {
  if (b[at] !== TPKT_VERSION) return false;
  // TPKT (4) + X.224 data (3) + MCS: type (1), initiator (2), channel (2), flags (1), PER length (1 or 2).
  const mcs = at + 7;
  if (b.length < mcs + 7) return 'short';
  if (b[at + 5] !== 0xf0 || b[mcs] >> 2 !== MCS_SEND_DATA_INDICATION) return false;
  const lengthAt = mcs + 6;
  const share = lengthAt + (b[lengthAt] & 0x80 ? 2 : 1);
  if (b.length < share + 15) return 'short';
  if ((b[share + 2] & 0xf) !== PDUTYPE_DATA || b[share + 14] !== PDUTYPE2_FONTMAP) return false;
  return (b[mcs + 3] << 8) | b[mcs + 4];
}
