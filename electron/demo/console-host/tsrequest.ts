// CredSSP's TSRequest (MS-CSSP 2.2.1) declared with @peculiar/asn1-schema and encoded/decoded by its AsnSerializer
// and AsnParser. The decorators are applied as plain calls, so no decorator compiler setting is needed.
import { AsnIntegerBigIntConverter, AsnParser, AsnProp, AsnPropTypes, AsnSerializer, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { ProtocolError } from '../demo-desktop/bytes.ts';

/** MS-CSSP TSRequest: every field but the version is optional. */
export interface TsRequest {
  version: number;
  negoToken?: Buffer;
  authInfo?: Buffer;
  pubKeyAuth?: Buffer;
  /** An NTSTATUS, as an unsigned 32-bit number (0xC000006D, not its negative signed reading). */
  errorCode?: number;
  clientNonce?: Buffer;
}

/** One NegoData item: SEQUENCE { negoToken [0] EXPLICIT OCTET STRING }. */
class NegoItem {
  negoToken = new ArrayBuffer(0);
}
AsnType({ type: AsnTypeTypes.Sequence })(NegoItem);
AsnProp({ type: AsnPropTypes.OctetString, context: 0 })(NegoItem.prototype, 'negoToken');

/** TSRequest ::= SEQUENCE, every field EXPLICIT context-tagged; negoTokens is NegoData, a SEQUENCE OF NegoItem. */
class TsRequestSchema {
  version = 0n;
  negoTokens?: NegoItem[];
  authInfo?: ArrayBuffer;
  pubKeyAuth?: ArrayBuffer;
  errorCode?: bigint;
  clientNonce?: ArrayBuffer;
}
AsnType({ type: AsnTypeTypes.Sequence })(TsRequestSchema);
AsnProp({ type: AsnPropTypes.Integer, context: 0, converter: AsnIntegerBigIntConverter })(TsRequestSchema.prototype, 'version');
AsnProp({ type: NegoItem, context: 1, optional: true, repeated: 'sequence' })(TsRequestSchema.prototype, 'negoTokens');
AsnProp({ type: AsnPropTypes.OctetString, context: 2, optional: true })(TsRequestSchema.prototype, 'authInfo');
AsnProp({ type: AsnPropTypes.OctetString, context: 3, optional: true })(TsRequestSchema.prototype, 'pubKeyAuth');
AsnProp({ type: AsnPropTypes.Integer, context: 4, optional: true, converter: AsnIntegerBigIntConverter })(TsRequestSchema.prototype, 'errorCode');
AsnProp({ type: AsnPropTypes.OctetString, context: 5, optional: true })(TsRequestSchema.prototype, 'clientNonce');

const arrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Largest TSRequest the host reads: NTLM messages and the wrapped credentials are a few kilobytes. */
const MAX_TSREQUEST_BYTES = 64 * 1024;

/**
 * Length of the TSRequest at the start of `buf` from its DER header (tag 0x30, then a short or long length), or null
 * when more bytes are needed: CredSSP messages are not otherwise framed on the TLS stream.
 */
export function tsRequestLength(buf: Buffer): number | null {
  if (buf.length < 2) return null;
  if (buf[0] !== 0x30) throw new ProtocolError('CredSSP message is not a TSRequest');
  const first = buf[1];
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n < 1 || n > 3) throw new ProtocolError('TSRequest has a bad DER length');
  if (buf.length < 2 + n) return null;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[2 + i];
  if (len > MAX_TSREQUEST_BYTES) throw new ProtocolError(`TSRequest of ${len} bytes is too large`);
  return 2 + n + len;
}

export function parseTsRequest(buf: Buffer): TsRequest {
  let s: TsRequestSchema;
  try {
    s = AsnParser.parse(buf, TsRequestSchema);
  } catch (err) {
    throw new ProtocolError(`CredSSP message is not a valid TSRequest: ${(err as Error).message}`);
  }
  if (s.version < 0n || s.version > 0xffffn) throw new ProtocolError('TSRequest version out of range');
  const req: TsRequest = { version: Number(s.version) };
  // Clients send one NTLM token per message; only the first is used.
  const first = s.negoTokens?.[0];
  if (first) req.negoToken = Buffer.from(first.negoToken);
  if (s.authInfo) req.authInfo = Buffer.from(s.authInfo);
  if (s.pubKeyAuth) req.pubKeyAuth = Buffer.from(s.pubKeyAuth);
  if (s.errorCode !== undefined) req.errorCode = Number(BigInt.asUintN(32, s.errorCode));
  if (s.clientNonce) req.clientNonce = Buffer.from(s.clientNonce);
  return req;
}

export function encodeTsRequest(req: TsRequest): Buffer {
  const s = new TsRequestSchema();
  s.version = BigInt(req.version);
  if (req.negoToken) {
    const item = new NegoItem();
    item.negoToken = arrayBuffer(req.negoToken);
    s.negoTokens = [item];
  }
  if (req.authInfo) s.authInfo = arrayBuffer(req.authInfo);
  if (req.pubKeyAuth) s.pubKeyAuth = arrayBuffer(req.pubKeyAuth);
  // NTSTATUS values are 32-bit and negative as signed integers (what clients compare): four bytes, two's complement.
  if (req.errorCode !== undefined) s.errorCode = BigInt.asIntN(32, BigInt(req.errorCode));
  if (req.clientNonce) s.clientNonce = arrayBuffer(req.clientNonce);
  return Buffer.from(AsnSerializer.serialize(s));
}
