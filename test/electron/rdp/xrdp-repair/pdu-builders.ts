// Test-side builders for synthetic server output: bitmap rectangles, slow-path Update PDUs, fast-path PDUs (with
// fragmentation), and an RDP 6.0 planar encoder. Written independently of the module under test.

export interface RectSpec {
  left: number;
  top: number;
  /** Destination size. */
  dw: number;
  dh: number;
  /** Bitmap size (≥ destination for padded rectangles). */
  width: number;
  height: number;
  bpp: number;
  flags: number;
  body: Buffer;
}

export function rect(s: RectSpec): Buffer {
  const head = Buffer.alloc(18);
  [s.left, s.top, s.left + s.dw - 1, s.top + s.dh - 1, s.width, s.height, s.bpp, s.flags, s.body.length].forEach((v, i) =>
    head.writeUInt16LE(v, 2 * i),
  );
  return Buffer.concat([head, s.body]);
}

export function bitmapUpdate(rects: Buffer[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(1, 0);
  head.writeUInt16LE(rects.length, 2);
  return Buffer.concat([head, ...rects]);
}

/** A slow-path Update PDU on channel 1003 with the given TS_UPDATE_BITMAP_DATA. */
export function slowPathUpdate(update: Buffer, pduType2 = 2, compressedType = 0): Buffer {
  const share = Buffer.alloc(18);
  const total = 18 + update.length;
  share.writeUInt16LE(total, 0);
  share.writeUInt16LE(0x17, 2);
  share.writeUInt16LE(1002, 4);
  share.writeUInt32LE(0x103ea, 6);
  share[11] = 1;
  share.writeUInt16LE(total, 12);
  share[14] = pduType2;
  share[15] = compressedType;
  const per = total < 0x80 ? Buffer.from([total]) : Buffer.from([0x80 | (total >> 8), total & 0xff]);
  const mcs = Buffer.from([0x02, 0xf0, 0x80, 0x68, 0x00, 0x01, 0x03, 0xeb, 0x70]);
  const tpkt = Buffer.alloc(4);
  tpkt[0] = 3;
  tpkt.writeUInt16BE(4 + mcs.length + per.length + total, 2);
  return Buffer.concat([tpkt, mcs, per, share, update]);
}

export function fastPathPdu(updates: Buffer[]): Buffer {
  const body = Buffer.concat(updates);
  const length = body.length + (body.length + 2 <= 0x7f ? 2 : 3);
  const head = length <= 0x7f ? Buffer.from([0, length]) : Buffer.from([0, 0x80 | (length >> 8), length & 0xff]);
  return Buffer.concat([head, body]);
}

export function fastPathUpdate(code: number, fragmentation: number, data: Buffer, compressionFlags?: number): Buffer {
  const compressed = compressionFlags !== undefined;
  const head = Buffer.from(
    compressed
      ? [code | (fragmentation << 4) | (2 << 6), compressionFlags, 0, 0]
      : [code | (fragmentation << 4), 0, 0],
  );
  head.writeUInt16LE(data.length, head.length - 2);
  return Buffer.concat([head, data]);
}

/** A bitmap update split into fast-path fragments of at most `piece` bytes, one PDU each. */
export function fragmentedBitmapPdus(update: Buffer, piece: number): Buffer[] {
  const pdus: Buffer[] = [];
  for (let at = 0; at < update.length; at += piece) {
    const first = at === 0;
    const last = at + piece >= update.length;
    const frag = first && last ? 0 : first ? 2 : last ? 1 : 3;
    pdus.push(fastPathPdu([fastPathUpdate(1, frag, update.subarray(at, at + piece))]));
  }
  return pdus;
}

/** Uncompressed bitmap body: pixel values (stream order, bottom row first), rows padded to 4 bytes. */
export function uncompressedBody(pixels: number[], width: number, height: number, bpp: number): Buffer {
  const size = bpp === 15 ? 2 : bpp / 8;
  const stride = (width * size + 3) & ~3;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = pixels[y * width + x];
      for (let k = 0; k < size; k++) out[y * stride + x * size + k] = (v >>> (8 * k)) & 0xff;
    }
  return out;
}

/** RDP 6.0 planar, lossless, RLE, no alpha: pixels are 0xRRGGBB in stream order. */
export function planarBody(pixels: number[], width: number, height: number, withAlpha = false): Buffer {
  const out: number[] = [withAlpha ? 0x10 : 0x30];
  const planes = withAlpha ? [24, 16, 8, 0] : [16, 8, 0];
  for (const shift of planes) {
    const plane = pixels.map((p) => (shift === 24 ? 0xff : (p >> shift) & 0xff));
    for (let y = 0; y < height; y++) {
      const row: number[] = [];
      for (let x = 0; x < width; x++) {
        const v = plane[y * width + x];
        if (y === 0) row.push(v);
        else {
          const d = ((v - plane[(y - 1) * width + x] + 128) & 0xff) - 128; // signed delta, wrapped
          row.push(d >= 0 ? 2 * d : -2 * d - 1);
        }
      }
      // Segments: up to 15 raw bytes, then a run of the last raw byte (0..15 here, or 16..47 with no raw bytes).
      let x = 0;
      let last = 0;
      while (x < width) {
        let run = 0;
        while (x + run < width && row[x + run] === last && run < 47) run++;
        if (run >= 16) {
          const extra = Math.min(run - 16, 31);
          if (extra >= 16) out.push(((extra - 16) << 4) | 2);
          else out.push((extra << 4) | 1);
          x += extra + 16;
          continue;
        }
        let raw = 0;
        while (x + raw < width && raw < 15 && (raw === 0 || row[x + raw] !== row[x + raw - 1])) raw++;
        const rawBytes = row.slice(x, x + raw);
        last = rawBytes[raw - 1];
        x += raw;
        let tail = 0;
        while (x + tail < width && row[x + tail] === last && tail < 15) tail++;
        if (tail === 1 || tail === 2) tail = 0; // 1 and 2 in the run nibble mean long runs
        out.push((raw << 4) | tail);
        out.push(...rawBytes);
        x += tail;
      }
    }
  }
  return Buffer.from(out);
}
