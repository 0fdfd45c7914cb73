/**
 * A Refresh Rect PDU (MS-RDPBCGR 2.2.11.2): the client asks the server to send an area of the desktop again.
 *
 * The direct path sends one when it hands drawing back to IronRDP, whose own copy of the desktop lacks what the
 * direct path drew. The PDU needs the session's MCS user and I/O channel ids and its share id; they are read from
 * the client's own Confirm Active PDU (2.2.1.13.2) as IronRDP sends it.
 */

export interface ShareIds {
  /** The MCS user channel id (the initiator of the client's PDUs is this minus 1001). */
  userChannel: number;
  ioChannel: number;
  shareId: number;
}

const MCS_SEND_DATA_REQUEST = 25;
const PDUTYPE_CONFIRMACTIVE = 0x3;
const PDUTYPE_DATA = 0x7;
const PROTOCOL_VERSION = 0x10;
const PDUTYPE2_REFRESH_RECT = 33;
const STREAM_LOW = 1;
const MCS_USER_BASE = 1001;

/** The ids, if this client→server message is a Confirm Active PDU. */
export function confirmActiveIds(b: Uint8Array): ShareIds | undefined {
  // TPKT (4), X.224 data (3), MCS Send Data Request: type, initiator (2), channel (2), flags, PER length (1 or 2).
  if (b.length < 30 || b[0] !== 3 || b[5] !== 0xf0 || b[7] >> 2 !== MCS_SEND_DATA_REQUEST) return undefined;
  const share = 13 + (b[13] & 0x80 ? 2 : 1);
  if (b.length < share + 10 || ((b[share + 2] | (b[share + 3] << 8)) & 0xf) !== PDUTYPE_CONFIRMACTIVE) return undefined;
  return {
    userChannel: ((b[8] << 8) | b[9]) + MCS_USER_BASE,
    ioChannel: (b[10] << 8) | b[11],
    shareId: (b[share + 6] | (b[share + 7] << 8) | (b[share + 8] << 16) | (b[share + 9] << 24)) >>> 0,
  };
}

/** A Refresh Rect PDU for one area (inclusive edges), slow-path framed. */
export function refreshRectPdu(ids: ShareIds, area: { left: number; top: number; right: number; bottom: number }): Uint8Array {
  // Share control header (6) + share data header (12) + numberOfAreas, 3 bytes of padding + one TS_RECTANGLE16 (8).
  const shareLength = 6 + 12 + 4 + 8;
  const mcsLength = 8; // type, initiator (2), channel (2), flags, two-byte PER length
  const total = 4 + 3 + mcsLength + shareLength;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint8(0, 3);
  v.setUint16(2, total);
  b.set([0x02, 0xf0, 0x80], 4);
  b[7] = MCS_SEND_DATA_REQUEST << 2;
  v.setUint16(8, ids.userChannel - MCS_USER_BASE);
  v.setUint16(10, ids.ioChannel);
  b[12] = 0x70; // high priority, begin and end of the segmented data
  v.setUint16(13, 0x8000 | shareLength);
  const s = 15;
  v.setUint16(s, shareLength, true);
  v.setUint16(s + 2, PROTOCOL_VERSION | PDUTYPE_DATA, true);
  v.setUint16(s + 4, ids.userChannel, true);
  v.setUint32(s + 6, ids.shareId, true);
  b[s + 11] = STREAM_LOW;
  v.setUint16(s + 12, shareLength - 18, true); // uncompressedLength: what follows the share data header
  b[s + 14] = PDUTYPE2_REFRESH_RECT;
  b[s + 18] = 1; // numberOfAreas
  v.setUint16(s + 22, area.left, true);
  v.setUint16(s + 24, area.top, true);
  v.setUint16(s + 26, area.right, true);
  v.setUint16(s + 28, area.bottom, true);
  return b;
}
