import { ProtocolError } from '../demo-desktop/bytes.ts';

// Pre-connection PDU (MS-RDPEPS 2.2.1): Hyper-V's console service routes on the VM id it carries.

export const MAX_PCB = 4096;

/** Bytes needed for the whole PDU, from its cbSize field; null while fewer than four bytes arrived. */
export function pcbLength(buf: Buffer): number | null {
  if (buf.length < 4) return null;
  const size = buf.readUInt32LE(0);
  if (size < 16 || size > MAX_PCB) throw new ProtocolError(`pre-connection PDU size ${size} is not acceptable`);
  return size;
}

export interface PreconnectionPdu {
  version: number;
  id: number;
  /** The routing string of a version 2 PDU with trailing NULs removed; null for version 1. */
  blob: string | null;
}

export function parsePcb(pdu: Buffer): PreconnectionPdu {
  const version = pdu.readUInt32LE(8);
  const id = pdu.readUInt32LE(12);
  if (version === 1) return { version, id, blob: null };
  if (version !== 2) throw new ProtocolError(`unknown pre-connection PDU version ${version}`);
  if (pdu.length < 18) throw new ProtocolError('pre-connection PDU v2 without its string');
  const cch = pdu.readUInt16LE(16);
  // The count is in UTF-16 characters and, from some clients, includes more than one NUL: take what fits.
  const chars = Math.min(cch, Math.floor((pdu.length - 18) / 2));
  const blob = pdu.subarray(18, 18 + chars * 2).toString('utf16le').replace(/\0+$/, '');
  return { version, id, blob };
}
