import { ProtocolError } from '../demo-desktop/bytes.ts';
import { children, ctx, integer, octets, readInteger, readTlv, seq, tlv } from './der.ts';

/** MS-CSSP TSRequest: every field but the version is optional. */
export interface TsRequest {
  version: number;
  negoToken?: Buffer;
  authInfo?: Buffer;
  pubKeyAuth?: Buffer;
  errorCode?: number;
  clientNonce?: Buffer;
}

export function parseTsRequest(buf: Buffer): TsRequest {
  const outer = readTlv(buf, 0);
  if (outer.tag !== 0x30) throw new ProtocolError('CredSSP message is not a TSRequest');
  const req: TsRequest = { version: 0 };
  for (const field of children(outer.value)) {
    const inner = readTlv(field.value, 0);
    switch (field.tag) {
      case 0xa0:
        req.version = readInteger(inner);
        break;
      case 0xa1: {
        // NegoData: SEQUENCE OF SEQUENCE { [0] OCTET STRING }; only the first token is used.
        const first = children(inner.value)[0];
        if (first) req.negoToken = readTlv(readTlv(first.value, 0).value, 0).value;
        break;
      }
      case 0xa2:
        req.authInfo = inner.value;
        break;
      case 0xa3:
        req.pubKeyAuth = inner.value;
        break;
      case 0xa4:
        req.errorCode = readInteger(inner);
        break;
      case 0xa5:
        req.clientNonce = inner.value;
        break;
      default:
        break;
    }
  }
  return req;
}

export function encodeTsRequest(req: TsRequest): Buffer {
  const fields = [ctx(0, integer(req.version))];
  if (req.negoToken) fields.push(ctx(1, seq(seq(ctx(0, octets(req.negoToken))))));
  if (req.authInfo) fields.push(ctx(2, octets(req.authInfo)));
  if (req.pubKeyAuth) fields.push(ctx(3, octets(req.pubKeyAuth)));
  if (req.errorCode !== undefined) {
    // NTSTATUS values are 32-bit and usually negative as signed integers: four bytes, two's complement.
    const b = Buffer.alloc(4);
    b.writeUInt32BE(req.errorCode >>> 0);
    fields.push(ctx(4, tlv(0x02, b)));
  }
  if (req.clientNonce) fields.push(ctx(5, octets(req.clientNonce)));
  return seq(...fields);
}
