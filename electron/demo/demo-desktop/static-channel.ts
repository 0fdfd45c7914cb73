import { ByteReader, ByteWriter, ProtocolError } from './bytes.ts';

// Static virtual channel chunks (MS-RDPBCGR 2.2.6.1): each chunk carries the whole message's length and FIRST/LAST
// flags; a message longer than the chunk size is split over several chunks.

const CHANNEL_FLAG_FIRST = 0x1;
const CHANNEL_FLAG_LAST = 0x2;
/** CHANNEL_CHUNK_LENGTH: the size every client accepts without negotiating a larger one. */
export const CHANNEL_CHUNK_LENGTH = 1600;
/** No message this server expects is anywhere near this; larger ones are refused rather than buffered. */
const MAX_MESSAGE = 1 << 20;

/** One complete static channel message in a single chunk (for short messages). */
export function channelChunk(data: Buffer): Buffer {
  return Buffer.concat([new ByteWriter().u32le(data.length).u32le(CHANNEL_FLAG_FIRST | CHANNEL_FLAG_LAST).toBuffer(), data]);
}

/** A message as chunks of at most `size` data bytes each, FIRST on the first and LAST on the last. */
export function channelChunks(data: Buffer, size = CHANNEL_CHUNK_LENGTH): Buffer[] {
  const chunks: Buffer[] = [];
  for (let off = 0; off < data.length || chunks.length === 0; off += size) {
    const end = Math.min(data.length, off + size);
    const flags = (off === 0 ? CHANNEL_FLAG_FIRST : 0) | (end >= data.length ? CHANNEL_FLAG_LAST : 0);
    chunks.push(Buffer.concat([new ByteWriter().u32le(data.length).u32le(flags).toBuffer(), data.subarray(off, end)]));
  }
  return chunks;
}

/** Reassembles static channel chunks into whole messages (one reassembler per channel). */
export class ChannelReassembler {
  private parts: Buffer[] = [];
  private total = 0;
  private collected = 0;

  push(chunk: Buffer): Buffer | null {
    const r = new ByteReader(chunk);
    const length = r.u32le('channel length');
    const flags = r.u32le('channel flags');
    if (length > MAX_MESSAGE) throw new ProtocolError('virtual channel message too large');
    if (flags & CHANNEL_FLAG_FIRST) {
      this.parts = [];
      this.total = length;
      this.collected = 0;
    }
    const data = r.take(r.remaining);
    this.collected += data.length;
    if (this.collected > this.total) {
      throw new ProtocolError('virtual channel chunks exceed their announced length');
    }
    this.parts.push(data);
    if (!(flags & CHANNEL_FLAG_LAST)) return null;
    const msg = Buffer.concat(this.parts);
    this.parts = [];
    this.collected = 0;
    return msg.subarray(0, this.total || msg.length);
  }
}
