import { ByteReader, ByteWriter, ProtocolError } from './bytes.ts';

// TPKT (RFC 1006) and X.224 (ISO 8073 class 0) framing, and RDP's security negotiation inside the connection
// request (MS-RDPBCGR 2.2.1.1 / 2.2.1.2).

export const PROTOCOL_SSL = 1;
export const PROTOCOL_HYBRID = 2;

/** RDP_NEG_FAILURE codes. */
export const SSL_REQUIRED_BY_SERVER = 1;
export const HYBRID_REQUIRED_BY_SERVER = 5;

export function tpkt(payload: Buffer): Buffer {
  const header = Buffer.from([3, 0, 0, 0]);
  header.writeUInt16BE(payload.length + 4, 2);
  return Buffer.concat([header, payload]);
}

/** X.224 Data TPDU around an MCS message. */
export function x224Data(payload: Buffer): Buffer {
  return tpkt(Buffer.concat([Buffer.from([2, 0xf0, 0x80]), payload]));
}

export interface ConnectionRequest {
  cookie: string | null;
  /** Requested protocols; null when the client sent no negotiation request (legacy RDP security only). */
  requestedProtocols: number | null;
}

/** True when a TPKT carries an X.224 Connection Request (not a Data TPDU). */
export function isConnectionRequest(frame: Buffer): boolean {
  return frame.length >= 6 && frame[0] === 3 && (frame[5] & 0xf0) === 0xe0;
}

export function parseConnectionRequest(frame: Buffer): ConnectionRequest {
  const r = new ByteReader(frame);
  r.skip(4, 'TPKT header');
  const li = r.u8('X.224 length indicator');
  if (li + 5 > frame.length || li < 6) throw new ProtocolError('X.224 connection request length is inconsistent');
  const code = r.u8('X.224 code');
  if ((code & 0xf0) !== 0xe0) throw new ProtocolError(`expected an X.224 connection request, got code 0x${code.toString(16)}`);
  r.skip(5, 'X.224 header');
  let rest = frame.subarray(r.offset, 5 + li);
  let cookie: string | null = null;
  // The optional routing token or cookie ends with CR LF.
  const crlf = rest.indexOf('\r\n');
  if (rest.length > 0 && rest[0] !== 0x01 && crlf >= 0) {
    cookie = rest.subarray(0, crlf).toString('latin1');
    rest = rest.subarray(crlf + 2);
  }
  let requestedProtocols: number | null = null;
  if (rest.length >= 8 && rest[0] === 0x01) {
    requestedProtocols = rest.readUInt32LE(4);
  }
  return { cookie, requestedProtocols };
}

function connectionConfirm(neg: Buffer): Buffer {
  const w = new ByteWriter().u8(6 + neg.length).u8(0xd0).u16be(0).u16be(0x1234).u8(0).bytes(neg);
  return tpkt(w.toBuffer());
}

export function connectionConfirmSelecting(protocol: number): Buffer {
  // Flags 0: no extended client data, no graphics pipeline.
  return connectionConfirm(new ByteWriter().u8(0x02).u8(0).u16le(8).u32le(protocol).toBuffer());
}

export function connectionConfirmFailure(code: number): Buffer {
  return connectionConfirm(new ByteWriter().u8(0x03).u8(0).u16le(8).u32le(code).toBuffer());
}

/** The payload of an X.224 Data TPDU (the MCS message). */
export function x224DataPayload(frame: Buffer): Buffer {
  if (frame.length < 7 || frame[5] !== 0xf0) throw new ProtocolError('expected an X.224 data TPDU');
  return frame.subarray(7);
}
