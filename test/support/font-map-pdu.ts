/**
 * A Font Map PDU as a server sends it on I/O channel 1003: the last PDU of the connection sequence, after which the
 * RDP worker's direct bitmap path starts cutting the stream into PDUs. Built by hand from MS-RDPBCGR 2.2.1.22.
 */
export function fontMapPdu(): Buffer {
  const share = Buffer.alloc(26);
  share.writeUInt16LE(26, 0);
  share.writeUInt16LE(0x17, 2); // data PDU
  share.writeUInt16LE(1002, 4);
  share.writeUInt32LE(0x103ea, 6); // shareId
  share[11] = 1;
  share.writeUInt16LE(8, 12);
  share[14] = 0x28; // Font Map
  share.writeUInt16LE(3, 22);
  share.writeUInt16LE(4, 24);
  return Buffer.concat([Buffer.from([3, 0, 0, 40, 2, 0xf0, 0x80, 26 << 2, 0, 1, 0x03, 0xeb, 0x70, 26]), share]);
}
