// A small decoder for 24 bpp interleaved RLE written from MS-RDPBCGR 2.2.9.1.1.3.1.2.4 (not from any client), for the
// tests that check what the demo desktop sends.

/**
 * A reference decoder for the orders the encoder may use, with the rules a real decoder applies to them: a
 * background run on the first scanline writes black, one that directly follows another background run starts with
 * the pixel above XOR the foreground colour (white here: nothing sets it), and the first scanline is known to have
 * ended only when an order starts at or past its end. Any other order code fails: the encoder must not produce it.
 * Returns top-down B,G,R,0xFF rows.
 */
export function decodeInterleavedReference(data: Buffer, w: number, h: number): Buffer {
  const out = new Uint32Array(w * h); // 0xRRGGBB, wire order (bottom scanline first)
  const WHITE = 0xffffff;
  let p = 0;
  let d = 0;
  let firstLine = true;
  let insertFg = false;
  const u8 = (): number => {
    if (p >= data.length) throw new Error('stream ends inside an order');
    return data[p++];
  };
  const readPixel = (): number => u8() | (u8() << 8) | (u8() << 16);
  const put = (c: number): void => {
    if (d >= out.length) throw new Error('order writes past the bitmap');
    out[d++] = c;
  };
  while (p < data.length) {
    if (firstLine && d >= w) {
      firstLine = false;
      insertFg = false;
    }
    const hdr = u8();
    let code: number;
    let len: number;
    if (hdr === 0xf0 || hdr === 0xf3 || hdr === 0xf4) {
      code = hdr === 0xf0 ? 0 : hdr === 0xf3 ? 3 : 4;
      len = u8() | (u8() << 8);
      if (len === 0) throw new Error('MEGA_MEGA order of length 0');
    } else if (hdr >> 5 === 0 || hdr >> 5 === 3 || hdr >> 5 === 4) {
      code = hdr >> 5;
      len = hdr & 0x1f || u8() + 32;
    } else {
      throw new Error(`order 0x${hdr.toString(16)} is outside the encoder's subset`);
    }
    if (code === 0) {
      for (let i = 0; i < len; i++) {
        const above = firstLine ? 0 : out[d - w];
        put(i === 0 && insertFg ? (firstLine ? WHITE : above ^ WHITE) : above);
      }
      insertFg = true;
      continue;
    }
    insertFg = false;
    if (code === 3) {
      const c = readPixel();
      for (let i = 0; i < len; i++) put(c);
    } else {
      for (let i = 0; i < len; i++) put(readPixel());
    }
  }
  if (d !== out.length) throw new Error(`stream covers ${d} of ${out.length} pixels`);
  const bgrx = Buffer.alloc(w * h * 4);
  for (let row = 0; row < h; row++)
    for (let x = 0; x < w; x++) {
      const c = out[(h - 1 - row) * w + x];
      bgrx.set([c & 0xff, (c >> 8) & 0xff, c >> 16, 0xff], (row * w + x) * 4);
    }
  return bgrx;
}
