/**
 * The length of an RDP PDU from its first bytes (MS-RDPBCGR 2.2.9.1.2 for fast-path, TPKT for slow path): what the
 * gateway's handshake guard and the RDP worker's direct bitmap path both need to cut a server's stream into PDUs.
 */

const TPKT_VERSION = 3;

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
