/**
 * The RDP pre-connection PDU, version 2 (MS-RDPEPS): the first bytes a client sends to a Hyper-V console service so
 * it can route the connection to one VM. The payload is the VM id (Nova's internal_access_path) in UTF-16LE.
 *
 * Layout, little-endian: cbSize u32, flags u32 (0), version u32 (2), id u32 (0), cchPCB u16, wszPCB.
 * FreeRDP counts two terminating NULs in cchPCB and sends both; we do the same so the bytes match the reference
 * client exactly (servers strip trailing NULs).
 */

export const PCB_VERSION_2 = 2;
/** Hyper-V ids are GUIDs; anything much longer is not a VM id and is refused before it reaches the wire. */
export const MAX_PCB_CHARS = 1024;

export class PreconnectionBlobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconnectionBlobError';
  }
}

export function encodePreconnectionPdu(blob: string, id = 0): Buffer {
  if (blob.length === 0) throw new PreconnectionBlobError('the pre-connection blob is empty');
  if (blob.length > MAX_PCB_CHARS) throw new PreconnectionBlobError('the pre-connection blob is too long');
  if (blob.includes('\u0000')) throw new PreconnectionBlobError('the pre-connection blob contains a NUL character');
  const text = Buffer.from(blob + '\u0000\u0000', 'utf16le');
  const header = 18;
  const out = Buffer.alloc(header + text.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt32LE(0, 4); // flags: reserved
  out.writeUInt32LE(PCB_VERSION_2, 8);
  out.writeUInt32LE(id >>> 0, 12);
  out.writeUInt16LE(text.length / 2, 16);
  text.copy(out, header);
  return out;
}
