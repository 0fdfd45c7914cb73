/**
 * The few X.224 facts the gateway needs (MS-RDPBCGR 2.2.1.1 and 2.2.1.2): find the requested protocols in the
 * client's Connection Request, read the server's Connection Confirm, and, for Hyper-V's console order, make a
 * confirm ourselves and rewrite a request. Everything is TPKT-framed: 0x03 0x00 then a big-endian u16 length.
 */

export const Protocol = { rdp: 0, ssl: 1, hybrid: 2, rdstls: 4, hybridEx: 8 } as const;

const NEG_REQ = 0x01;
const NEG_RSP = 0x02;
const NEG_FAILURE = 0x03;
const CR_CODE = 0xe0;
const CC_CODE = 0xd0;

export class X224Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'X224Error';
  }
}

/** Size of the TPKT at buf[0], or undefined while its header is incomplete. */
export function tpktLength(buf: Uint8Array): number | undefined {
  if (buf.length < 4) return undefined;
  if (buf[0] !== 0x03) throw new X224Error(`expected a TPKT header, got byte 0x${buf[0].toString(16)}`);
  const len = (buf[2] << 8) | buf[3];
  if (len < 7) throw new X224Error(`TPKT length ${len} is too small`);
  return len;
}

interface Located {
  /** Offset of the 8-byte negotiation structure, or -1 when the PDU has none. */
  negOffset: number;
}

function locate(pdu: Uint8Array, code: number, what: string): Located {
  const len = tpktLength(pdu);
  if (len === undefined || len > pdu.length) throw new X224Error(`the X.224 ${what} is truncated`);
  const li = pdu[4];
  if (5 + li > len || li < 6) throw new X224Error(`the X.224 ${what} has a bad length indicator`);
  if ((pdu[5] & 0xf0) !== code) throw new X224Error(`expected an X.224 ${what}, got type 0x${pdu[5].toString(16)}`);
  let off = 11;
  const end = 5 + li;
  // A request may carry a cookie or routing token ending in CRLF before its negotiation request.
  if (code === CR_CODE && off < end && pdu[off] !== NEG_REQ) {
    let i = off;
    while (i + 1 < end && !(pdu[i] === 0x0d && pdu[i + 1] === 0x0a)) i++;
    off = i + 2;
  }
  return { negOffset: off + 8 <= end ? off : -1 };
}

/** The protocols a client's Connection Request asks for (0 = standard RDP security when it names none). */
export function requestedProtocols(request: Uint8Array): number {
  const { negOffset } = locate(request, CR_CODE, 'Connection Request');
  if (negOffset < 0 || request[negOffset] !== NEG_REQ) return Protocol.rdp;
  return readU32LE(request, negOffset + 4);
}

/** A copy of a Connection Request with its requested protocols replaced. */
export function withRequestedProtocols(request: Uint8Array, protocols: number): Buffer {
  const { negOffset } = locate(request, CR_CODE, 'Connection Request');
  if (negOffset < 0 || request[negOffset] !== NEG_REQ) throw new X224Error('the X.224 Connection Request has no negotiation request');
  const out = Buffer.from(request);
  out.writeUInt32LE(protocols >>> 0, negOffset + 4);
  return out;
}

export type ConfirmResult =
  | { kind: 'selected'; protocol: number; flags: number }
  | { kind: 'failure'; failureCode: number }
  /** An old server without negotiation: standard RDP security, which a TLS-only gateway cannot carry. */
  | { kind: 'legacy' };

export function parseConfirm(confirm: Uint8Array): ConfirmResult {
  const { negOffset } = locate(confirm, CC_CODE, 'Connection Confirm');
  if (negOffset < 0) return { kind: 'legacy' };
  const type = confirm[negOffset];
  if (type === NEG_RSP) return { kind: 'selected', flags: confirm[negOffset + 1], protocol: readU32LE(confirm, negOffset + 4) };
  if (type === NEG_FAILURE) return { kind: 'failure', failureCode: readU32LE(confirm, negOffset + 4) };
  throw new X224Error(`unknown negotiation type 0x${type.toString(16)} in the X.224 Connection Confirm`);
}

/** A Connection Confirm selecting `protocol`, or refusing with `failureCode`. */
export function buildConfirm(result: { protocol: number } | { failureCode: number }): Buffer {
  const out = Buffer.alloc(19);
  out.writeUInt8(0x03, 0);
  out.writeUInt16BE(19, 2);
  out.writeUInt8(14, 4); // length indicator: the 6-byte header remainder plus the 8-byte negotiation structure
  out.writeUInt8(CC_CODE, 5);
  // dst-ref, src-ref and class stay 0
  if ('protocol' in result) {
    out.writeUInt8(NEG_RSP, 11);
    out.writeUInt16LE(8, 13);
    out.writeUInt32LE(result.protocol >>> 0, 15);
  } else {
    out.writeUInt8(NEG_FAILURE, 11);
    out.writeUInt16LE(8, 13);
    out.writeUInt32LE(result.failureCode >>> 0, 15);
  }
  return out;
}

/** Administrator-facing meaning of RDP_NEG_FAILURE codes. */
export function describeNegotiationFailure(code: number, endpoint: string): string {
  switch (code) {
    case 1:
      return `${endpoint} requires TLS security, which the client did not offer`;
    case 2:
      return `${endpoint} does not allow TLS security (it only speaks standard RDP security, which is not supported)`;
    case 3:
      return `${endpoint} has no TLS certificate configured`;
    case 4:
      return `${endpoint} rejected the security flags the client sent`;
    case 5:
      return `${endpoint} requires Network Level Authentication (NLA/CredSSP): enter a user name and password`;
    case 6:
      return `${endpoint} requires TLS with user authentication, which is not supported`;
    default:
      return `${endpoint} refused the security negotiation (failure code ${code})`;
  }
}

function readU32LE(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}
