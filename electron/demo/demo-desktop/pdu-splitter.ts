import { ProtocolError } from './bytes.ts';

/**
 * Cuts the client's byte stream into whole PDUs: TPKT frames (first byte 3) and fast-path frames (low two bits 0).
 * Anything else is a protocol error; a length that can never complete is caught by the frame size limit.
 */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > 1 << 20) throw new ProtocolError('more than 1 MiB of unparsed input');
  }

  /** Bytes received but not yet returned as frames (handed on when the transport changes). */
  takeRest(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  next(): Buffer | null {
    const b = this.buf;
    if (b.length < 2) return null;
    let len: number;
    if (b[0] === 0x03) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      if (len < 7) throw new ProtocolError(`TPKT length ${len} is too small`);
    } else if ((b[0] & 0x03) === 0) {
      len = b[1];
      if (len & 0x80) {
        if (b.length < 3) return null;
        len = ((len & 0x7f) << 8) | b[2];
      }
      if (len < 3) throw new ProtocolError(`fast-path length ${len} is too small`);
    } else {
      throw new ProtocolError(`unexpected first byte 0x${b[0].toString(16)}`);
    }
    if (b.length < len) return null;
    const frame = b.subarray(0, len);
    this.buf = b.subarray(len);
    return frame;
  }
}
