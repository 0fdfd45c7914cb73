import {
  AsnParser,
  AsnProp,
  AsnPropTypes,
  AsnSerializer,
  AsnType,
  AsnTypeTypes,
} from '@peculiar/asn1-schema';

/**
 * RDCleanPath: the one DER message the WASM RDP client and this gateway exchange before raw RDP bytes flow
 * (a SEQUENCE whose fields are all EXPLICIT context-tagged). The schema is declared with @peculiar/asn1-schema;
 * the decorators are applied as plain calls so the project needs no decorator compiler setting.
 */

export const RDCLEANPATH_VERSION = 3390;

/** error_code values of the error field. */
export const RdCleanPathErrorCode = { general: 1, negotiation: 2 } as const;

/** Largest request the gateway accepts: the client sends a destination, a token, a blob and an X.224 request. */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** Why a PDU could not be read: the only error this module throws. */
export class RdCleanPathFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RdCleanPathFormatError';
  }
}

export interface RdCleanPathErrorInfo {
  errorCode: number;
  httpStatus?: number;
  wsaLastError?: number;
  tlsAlert?: number;
}

/** A decoded PDU: every field optional except the version, as on the wire. */
export interface RdCleanPathPdu {
  version: number;
  error?: RdCleanPathErrorInfo;
  destination?: string;
  proxyAuth?: string;
  serverAuth?: string;
  preconnectionBlob?: string;
  x224ConnectionPdu?: Buffer;
  serverCertChain?: Buffer[];
  serverAddr?: string;
}

class ErrorSchema {
  errorCode = 0;
  httpStatus?: number;
  wsaLastError?: number;
  tlsAlert?: number;
}
AsnType({ type: AsnTypeTypes.Sequence })(ErrorSchema);
AsnProp({ type: AsnPropTypes.Integer, context: 0 })(ErrorSchema.prototype, 'errorCode');
AsnProp({ type: AsnPropTypes.Integer, context: 1, optional: true })(ErrorSchema.prototype, 'httpStatus');
AsnProp({ type: AsnPropTypes.Integer, context: 2, optional: true })(ErrorSchema.prototype, 'wsaLastError');
AsnProp({ type: AsnPropTypes.Integer, context: 3, optional: true })(ErrorSchema.prototype, 'tlsAlert');

class PduSchema {
  version = RDCLEANPATH_VERSION;
  error?: ErrorSchema;
  destination?: string;
  proxyAuth?: string;
  serverAuth?: string;
  preconnectionBlob?: string;
  x224ConnectionPdu?: ArrayBuffer;
  serverCertChain?: ArrayBuffer[];
  serverAddr?: string;
}
AsnType({ type: AsnTypeTypes.Sequence })(PduSchema);
AsnProp({ type: AsnPropTypes.Integer, context: 0 })(PduSchema.prototype, 'version');
AsnProp({ type: ErrorSchema, context: 1, optional: true })(PduSchema.prototype, 'error');
AsnProp({ type: AsnPropTypes.Utf8String, context: 2, optional: true })(PduSchema.prototype, 'destination');
AsnProp({ type: AsnPropTypes.Utf8String, context: 3, optional: true })(PduSchema.prototype, 'proxyAuth');
AsnProp({ type: AsnPropTypes.Utf8String, context: 4, optional: true })(PduSchema.prototype, 'serverAuth');
AsnProp({ type: AsnPropTypes.Utf8String, context: 5, optional: true })(PduSchema.prototype, 'preconnectionBlob');
AsnProp({ type: AsnPropTypes.OctetString, context: 6, optional: true })(PduSchema.prototype, 'x224ConnectionPdu');
AsnProp({ type: AsnPropTypes.OctetString, context: 7, optional: true, repeated: 'sequence' })(
  PduSchema.prototype,
  'serverCertChain',
);
AsnProp({ type: AsnPropTypes.Utf8String, context: 9, optional: true })(PduSchema.prototype, 'serverAddr');

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export function encodeRdCleanPath(pdu: RdCleanPathPdu): Buffer {
  const s = new PduSchema();
  s.version = pdu.version;
  if (pdu.error) {
    const e = new ErrorSchema();
    e.errorCode = pdu.error.errorCode;
    e.httpStatus = pdu.error.httpStatus;
    e.wsaLastError = pdu.error.wsaLastError;
    e.tlsAlert = pdu.error.tlsAlert;
    s.error = e;
  }
  s.destination = pdu.destination;
  s.proxyAuth = pdu.proxyAuth;
  s.serverAuth = pdu.serverAuth;
  s.preconnectionBlob = pdu.preconnectionBlob;
  if (pdu.x224ConnectionPdu) s.x224ConnectionPdu = toArrayBuffer(pdu.x224ConnectionPdu);
  // An empty chain is written as no chain: DER decoders (ours included) read an empty [7] back as absent.
  if (pdu.serverCertChain?.length) s.serverCertChain = pdu.serverCertChain.map(toArrayBuffer);
  s.serverAddr = pdu.serverAddr;
  return Buffer.from(AsnSerializer.serialize(s));
}

/** Decodes one complete PDU. Throws only RdCleanPathFormatError. */
export function decodeRdCleanPath(der: Uint8Array): RdCleanPathPdu {
  const total = derMessageLength(der, Number.MAX_SAFE_INTEGER);
  if (total === undefined || total !== der.length) {
    throw new RdCleanPathFormatError(
      total === undefined ? 'the RDCleanPath PDU is truncated' : 'the RDCleanPath PDU has trailing bytes',
    );
  }
  let s: PduSchema;
  try {
    s = AsnParser.parse(der, PduSchema);
  } catch (err) {
    throw new RdCleanPathFormatError('the RDCleanPath PDU is not valid DER: ' + (err instanceof Error ? err.message : String(err)));
  }
  const int = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new RdCleanPathFormatError(`RDCleanPath ${field} is not a small integer`);
    return v;
  };
  const out: RdCleanPathPdu = { version: int(s.version, 'version') };
  if (s.error) {
    out.error = { errorCode: int(s.error.errorCode, 'error_code') };
    if (s.error.httpStatus !== undefined) out.error.httpStatus = int(s.error.httpStatus, 'http_status');
    if (s.error.wsaLastError !== undefined) out.error.wsaLastError = int(s.error.wsaLastError, 'wsa_last_error');
    if (s.error.tlsAlert !== undefined) out.error.tlsAlert = int(s.error.tlsAlert, 'tls_alert');
  }
  for (const key of ['destination', 'proxyAuth', 'serverAuth', 'preconnectionBlob', 'serverAddr'] as const) {
    const v = s[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new RdCleanPathFormatError(`RDCleanPath ${key} is not a string`);
    out[key] = v;
  }
  if (s.x224ConnectionPdu !== undefined) out.x224ConnectionPdu = Buffer.from(s.x224ConnectionPdu);
  if (s.serverCertChain !== undefined) out.serverCertChain = s.serverCertChain.map((c) => Buffer.from(c));
  return out;
}

/**
 * The total size of the DER message that starts at buf[0], or undefined while its header is incomplete. Used to
 * frame a request that arrives split over several WebSocket messages. Throws RdCleanPathFormatError when the bytes
 * cannot start an RDCleanPath PDU or announce more than `max` bytes.
 */
export function derMessageLength(buf: Uint8Array, max: number = MAX_REQUEST_BYTES): number | undefined {
  if (buf.length < 1) return undefined;
  if (buf[0] !== 0x30) throw new RdCleanPathFormatError('the RDCleanPath PDU does not start with a DER SEQUENCE');
  if (buf.length < 2) return undefined;
  const first = buf[1];
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const n = first & 0x7f;
    // 0x80 is BER's indefinite length (not DER); more than 4 length bytes is beyond any cap we use.
    if (n === 0 || n > 4) throw new RdCleanPathFormatError('the RDCleanPath PDU has an invalid DER length');
    if (buf.length < 2 + n) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[2 + i];
    header = 2 + n;
  }
  const total = header + length;
  if (total > max) throw new RdCleanPathFormatError(`the RDCleanPath PDU announces ${total} bytes, more than the ${max} allowed`);
  return total;
}

/**
 * Collects WebSocket messages until one whole PDU is present. `push` returns the PDU bytes and whatever followed
 * them (a client may pipeline RDP bytes right after its request), or undefined while more is needed.
 */
export class RdCleanPathFramer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number = MAX_REQUEST_BYTES) {}

  push(chunk: Buffer): { pdu: Buffer; rest: Buffer } | undefined {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [buf];
    const total = derMessageLength(buf, this.max);
    if (total === undefined || buf.length < total) {
      if (this.size > this.max) throw new RdCleanPathFormatError('the RDCleanPath PDU is too large');
      return undefined;
    }
    return { pdu: buf.subarray(0, total), rest: buf.subarray(total) };
  }
}
