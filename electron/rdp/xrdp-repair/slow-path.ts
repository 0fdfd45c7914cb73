// Slow-path output framing (MS-RDPBCGR 2.2.9.1.1.3): TPKT, X.224 data TPDU, MCS Send Data Indication (PER-encoded),
// Share Control header, Share Data header, then for pduType2 Update / updateType Bitmap a TS_UPDATE_BITMAP_DATA.
// Only that one shape is rewritten; every other PDU is left to the caller to forward as it came.
import { buildBitmapUpdate, repairBitmapUpdate } from './bitmap-update.ts';

const TPKT_VERSION = 3;
const X224_DATA = 0xf0;
const MCS_SEND_DATA_INDICATION = 26;
const SEGMENTATION_BEGIN_END = 0x30;
const PDUTYPE_DATAPDU = 0x7;
const PDUTYPE2_UPDATE = 0x02;
const PACKET_COMPRESSED = 0x20;
// Offsets inside the Share Control (6 bytes) + Share Data (12 bytes) headers.
const UNCOMPRESSED_LENGTH_AT = 12;
const PDU_TYPE2_AT = 14;
const COMPRESSED_TYPE_AT = 15;
const SHARE_HEADERS = 18; // Share Control (6) + Share Data (12)
const UPDATE_HEADER = 4; // updateType + numberRectangles
// Largest MCS user data the two-byte PER length form can express.
const MAX_PER_LENGTH = 0x3fff;
const MCS_FIXED = 13; // TPKT (4) + X.224 (3) + SDin choice, initiator, channel, priority (6)

export interface SlowPathRepair {
  pdus: Buffer[];
  rewritten: number;
}

function perLength(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x80 | (n >> 8), n & 0xff]);
}

/**
 * Rewrites one whole TPKT PDU if it is an uncompressed slow-path bitmap update with oversized rectangles. Returns the
 * replacement PDUs (more than one when the rebuilt rectangles no longer fit one MCS PDU), or null to forward as is.
 */
export function repairSlowPathPdu(pdu: Buffer): SlowPathRepair | null {
  if (pdu.length < MCS_FIXED + 1 || pdu[0] !== TPKT_VERSION || pdu.readUInt16BE(2) !== pdu.length) return null;
  if (pdu[4] !== 2 || pdu[5] !== X224_DATA) return null;
  if (pdu[7] >> 2 !== MCS_SEND_DATA_INDICATION) return null;
  if ((pdu[12] & SEGMENTATION_BEGIN_END) !== SEGMENTATION_BEGIN_END) return null;
  let q = 13;
  let userLength = pdu[q++];
  if (userLength & 0x80) {
    if (userLength & 0x40) return null; // fragmented PER length: not produced by servers for output PDUs
    if (q >= pdu.length) return null;
    userLength = ((userLength & 0x3f) << 8) | pdu[q++];
  }
  if (q + userLength !== pdu.length || userLength < SHARE_HEADERS + UPDATE_HEADER) return null;
  const share = pdu.subarray(q);
  const totalLength = share.readUInt16LE(0);
  const pduType = share.readUInt16LE(2);
  if (totalLength !== share.length || (pduType & 0xf) !== PDUTYPE_DATAPDU) return null;
  if (share[PDU_TYPE2_AT] !== PDUTYPE2_UPDATE || share[COMPRESSED_TYPE_AT] & PACKET_COMPRESSED) return null;
  const repaired = repairBitmapUpdate(share.subarray(SHARE_HEADERS));
  if (repaired === null) return null;

  // uncompressedLength is kept at the same distance from totalLength as the sender put it.
  const lengthSkew = totalLength - share.readUInt16LE(UNCOMPRESSED_LENGTH_AT);
  const mcsHeader = pdu.subarray(4, 13);
  const shareHeaders = share.subarray(0, SHARE_HEADERS);
  const build = (rects: Buffer[], trailing?: Buffer): Buffer => {
    const update = buildBitmapUpdate(rects, trailing);
    const headers = Buffer.from(shareHeaders);
    const total = SHARE_HEADERS + update.length;
    headers.writeUInt16LE(total, 0);
    headers.writeUInt16LE(Math.max(0, total - lengthSkew), UNCOMPRESSED_LENGTH_AT);
    const per = perLength(total);
    const tpkt = Buffer.alloc(4);
    tpkt[0] = TPKT_VERSION;
    tpkt.writeUInt16BE(4 + mcsHeader.length + per.length + total, 2);
    return Buffer.concat([tpkt, mcsHeader, per, headers, update]);
  };

  // Pack rectangles into as few PDUs as the PER length allows; a rebuilt rectangle too large for any PDU falls back
  // to its original bytes (which did fit).
  const room = MAX_PER_LENGTH - SHARE_HEADERS - UPDATE_HEADER;
  const rects = repaired.rects.map((r, i) => (r.length > room - repaired.trailing.length ? repaired.originals[i] : r));
  const rewritten = rects.filter((r, i) => r !== repaired.originals[i]).length;
  if (rewritten === 0) return null;
  const pdus: Buffer[] = [];
  let group: Buffer[] = [];
  let used = 0;
  for (const r of rects) {
    if (group.length > 0 && (used + r.length > room || group.length === 0xffff)) {
      pdus.push(build(group));
      group = [];
      used = 0;
    }
    group.push(r);
    used += r.length;
  }
  if (used + repaired.trailing.length > room) {
    pdus.push(build(group));
    group = [];
  }
  pdus.push(build(group, repaired.trailing));
  return { pdus, rewritten };
}
