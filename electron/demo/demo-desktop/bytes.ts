// Byte writers and readers for building and parsing protocol messages. RDP mixes little-endian (most PDUs) with big-endian
// (TPKT, MCS PER fields), so both are spelled out at each call site.

export class ByteWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  bytes(b: Uint8Array | number[]): this {
    const buf = Buffer.from(b);
    this.chunks.push(buf);
    this.size += buf.length;
    return this;
  }

  u8(v: number): this {
    return this.bytes([v & 0xff]);
  }

  u16le(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v & 0xffff);
    return this.bytes(b);
  }

  u16be(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    return this.bytes(b);
  }

  u32le(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.bytes(b);
  }

  zeros(n: number): this {
    return this.bytes(Buffer.alloc(n));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/** A bounds-checked reader: every overrun throws a ProtocolError instead of reading garbage. */
export class ByteReader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.buf.length) {
      throw new ProtocolError(`truncated ${what}`);
    }
  }

  u8(what = 'field'): number {
    this.need(1, what);
    return this.buf[this.offset++];
  }

  u16le(what = 'field'): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  u16be(what = 'field'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32le(what = 'field'): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  take(n: number, what = 'field'): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  skip(n: number, what = 'field'): void {
    this.need(n, what);
    this.offset += n;
  }
}

/** A peer sent something this server does not accept; the session ends with one log line. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}
