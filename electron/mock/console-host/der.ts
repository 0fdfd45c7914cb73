// Just enough DER for CredSSP's TSRequest/TSCredentials (MS-CSSP 2.2.1): SEQUENCE, explicit context tags,
// INTEGER and OCTET STRING. @peculiar/asn1-schema would need decorator support this project's compiler settings
// do not enable, and the structure is five optional fields.
import { ProtocolError } from '../demo-desktop/bytes.ts';

export interface Tlv {
  tag: number;
  value: Buffer;
  /** Offset just past this element. */
  end: number;
}

export function readTlv(buf: Buffer, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new ProtocolError('truncated DER element');
  const tag = buf[offset];
  let len = buf[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3 || p + n > buf.length) throw new ProtocolError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | buf[p + i];
    p += n;
  }
  if (p + len > buf.length) throw new ProtocolError('truncated DER element');
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** Total length of the DER element at the start of `buf`, or null when more bytes are needed. */
export function derLength(buf: Buffer): number | null {
  if (buf.length < 2) return null;
  let len = buf[1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3) throw new ProtocolError('bad DER length');
    if (buf.length < 2 + n) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | buf[2 + i];
    header += n;
  }
  return header + len;
}

/** Children of a constructed element. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < value.length) {
    const t = readTlv(value, p);
    out.push(t);
    p = t.end;
  }
  return out;
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
}

export function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(value.length), value]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
export const ctx = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
export const octets = (b: Buffer): Buffer => tlv(0x04, b);

export function integer(v: number): Buffer {
  const bytes: number[] = [];
  let x = v >>> 0;
  do {
    bytes.unshift(x & 0xff);
    x >>>= 8;
  } while (x > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

export function readInteger(t: Tlv): number {
  if (t.tag !== 0x02 || t.value.length === 0 || t.value.length > 5) throw new ProtocolError('bad DER integer');
  let v = 0;
  for (const b of t.value) v = v * 256 + b;
  return v;
}
