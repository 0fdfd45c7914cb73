// Splits the server→client plaintext byte stream into whole PDUs: TPKT (first byte 3, big-endian length) and fast-path
// output (action bits 0, one- or two-byte length). The first byte that starts neither, or a length too small to be
// a PDU, switches the framer to pass-through for the rest of the session: from then on bytes are forwarded as they
// come, so a stream it does not understand is never damaged. It holds at most one PDU (≤ 65535 bytes) at a time.

export type Frame = { kind: 'tpkt' | 'fast-path' | 'raw'; bytes: Buffer };

const MAX_PDU = 0xffff;

/** Length of the PDU starting at buf[0] (n bytes known), 'more' if the header is incomplete, 'bad' if unframeable. */
function pduLength(buf: Uint8Array, n: number): number | 'more' | 'bad' {
  if (n < 1) return 'more';
  const first = buf[0];
  if (first === 0x03) {
    if (n < 4) return 'more';
    const length = (buf[2] << 8) | buf[3];
    return length < 4 ? 'bad' : length;
  }
  if ((first & 0x03) === 0) {
    if (n < 2) return 'more';
    if (!(buf[1] & 0x80)) return buf[1] < 2 ? 'bad' : buf[1];
    if (n < 3) return 'more';
    const length = ((buf[1] & 0x7f) << 8) | buf[2];
    return length < 3 ? 'bad' : length;
  }
  return 'bad';
}

export class PduFramer {
  private readonly acc = Buffer.alloc(MAX_PDU);
  private accLength = 0;
  private passThrough = false;

  /** True once the stream stopped looking like RDP PDUs. */
  get passingThrough(): boolean {
    return this.passThrough;
  }

  push(chunk: Buffer): Frame[] {
    if (this.passThrough) return chunk.length > 0 ? [{ kind: 'raw', bytes: chunk }] : [];
    const frames: Frame[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.accLength > 0) {
        const need = pduLength(this.acc, this.accLength);
        if (need === 'bad') return this.giveUp(frames, chunk.subarray(off));
        // With the header incomplete, take one byte at a time so a tiny PDU never swallows the next one's bytes.
        const take = need === 'more' ? 1 : Math.min(need - this.accLength, chunk.length - off);
        chunk.copy(this.acc, this.accLength, off, off + take);
        this.accLength += take;
        off += take;
        if (need !== 'more' && this.accLength === need) {
          frames.push(this.frame(Buffer.from(this.acc.subarray(0, need))));
          this.accLength = 0;
        }
        continue;
      }
      const rest = chunk.subarray(off);
      const need = pduLength(rest, rest.length);
      if (need === 'bad') return this.giveUp(frames, rest);
      if (need === 'more' || need > rest.length) {
        rest.copy(this.acc, 0);
        this.accLength = rest.length;
        break;
      }
      frames.push(this.frame(rest.subarray(0, need)));
      off += need;
    }
    // A PDU no longer than its own header completes on its last header byte.
    if (this.accLength > 0 && pduLength(this.acc, this.accLength) === this.accLength) {
      frames.push(this.frame(Buffer.from(this.acc.subarray(0, this.accLength))));
      this.accLength = 0;
    }
    return frames;
  }

  /** End of stream: whatever partial PDU is held goes out as it is. */
  flush(): Frame[] {
    if (this.accLength === 0) return [];
    const bytes = Buffer.from(this.acc.subarray(0, this.accLength));
    this.accLength = 0;
    return [{ kind: 'raw', bytes }];
  }

  private frame(bytes: Buffer): Frame {
    return { kind: bytes[0] === 0x03 ? 'tpkt' : 'fast-path', bytes };
  }

  private giveUp(frames: Frame[], rest: Buffer): Frame[] {
    this.passThrough = true;
    if (this.accLength > 0) frames.push({ kind: 'raw', bytes: Buffer.from(this.acc.subarray(0, this.accLength)) });
    this.accLength = 0;
    if (rest.length > 0) frames.push({ kind: 'raw', bytes: rest });
    return frames;
  }
}
