// RDP 6.0 planar bitmap encoding (MS-RDPEGDI 2.2.2.5.1): three colour planes (no alpha), each run-length encoded
// per scanline, scanlines after the first stored as differences to the one above. Chosen because it is cheap to
// encode in JavaScript and both reference clients decode it well; flat areas (most of a desktop) shrink to a few
// bytes per row.

/** Format header: RLE (0x10) and no-alpha (0x20), colour loss level 0, no chroma subsampling. */
const FORMAT_RLE_NO_ALPHA = 0x30;

/**
 * Encodes a w×h rectangle of a B,G,R,X buffer as one planar stream. Rows are emitted bottom-up, the order bitmap
 * updates use for every bitmap format.
 */
export function encodePlanar(src: Buffer, stride: number, x: number, y: number, w: number, h: number): Buffer {
  // Worst case per scanline: a control byte per 15 raw bytes.
  const out = Buffer.alloc(1 + 3 * h * (w + Math.ceil(w / 15) + 1));
  out[0] = FORMAT_RLE_NO_ALPHA;
  let pos = 1;
  const line = new Uint8Array(w);
  const prevLine = new Uint8Array(w);
  const curLine = new Uint8Array(w);
  // Plane order on the wire is R, G, B; in the buffer red is byte 2, green 1, blue 0.
  for (const channel of [2, 1, 0]) {
    for (let row = 0; row < h; row++) {
      const srcRow = y + h - 1 - row;
      const base = srcRow * stride + x * 4 + channel;
      for (let i = 0; i < w; i++) curLine[i] = src[base + i * 4];
      if (row > 0 && equalLines(curLine, prevLine, w)) {
        // Same as the row above (flat areas, vertical edges): all differences are zero, a precomputed encoding.
        const z = zeroRow(w);
        out.set(z, pos);
        pos += z.length;
        continue;
      }
      if (row === 0) {
        line.set(curLine);
      } else {
        for (let i = 0; i < w; i++) {
          const d = ((curLine[i] - prevLine[i] + 128) & 0xff) - 128; // signed 8-bit difference
          line[i] = d >= 0 ? d << 1 : ((-d) << 1) - 1;
        }
      }
      prevLine.set(curLine);
      pos = rleScanline(line, w, out, pos);
    }
  }
  return out.subarray(0, pos);
}

function equalLines(a: Uint8Array, b: Uint8Array, w: number): boolean {
  for (let i = 0; i < w; i++) if (a[i] !== b[i]) return false;
  return true;
}

const zeroRows = new Map<number, Uint8Array>();

/** The encoding of a scanline of w zero differences, cached per width. */
function zeroRow(w: number): Uint8Array {
  let z = zeroRows.get(w);
  if (!z) {
    const tmp = Buffer.alloc(w + Math.ceil(w / 15) + 1);
    z = new Uint8Array(tmp.subarray(0, rleScanline(new Uint8Array(w), w, tmp, 0)));
    zeroRows.set(w, z);
  }
  return z;
}

/**
 * One scanline as RLE segments. A segment is a control byte (raw count in the high nibble, run length in the low
 * nibble) followed by the raw bytes; the run repeats the last value written (0 at the start of a line). Run lengths
 * 1 and 2 are escapes meaning 16+n and 32+n with no raw bytes, so runs of 1–2 are sent as raw bytes instead.
 */
function rleScanline(v: Uint8Array, w: number, out: Buffer, pos: number): number {
  let rawStart = 0; // pending raw bytes are v[rawStart..i)
  let i = 0;
  let last = 0;
  const flushRaw = (end: number, run: number): void => {
    // Emit v[rawStart..end) in chunks of ≤15, the last chunk carrying `run` (0..15, never 1 or 2).
    while (end - rawStart > 15) {
      out[pos++] = 15 << 4;
      for (let k = 0; k < 15; k++) out[pos++] = v[rawStart++];
    }
    const n = end - rawStart;
    if (n === 0 && run === 0) return;
    out[pos++] = (n << 4) | run;
    for (let k = 0; k < n; k++) out[pos++] = v[rawStart++];
  };
  while (i < w) {
    const prev = i > rawStart ? v[i - 1] : last;
    let r = 0;
    while (i + r < w && v[i + r] === prev) r++;
    if (r < 3) {
      i++;
      continue;
    }
    // A run worth encoding: attach up to 15 of it to the pending raw bytes, then use long-run escapes.
    let rem = r;
    const first = Math.min(rem, 15);
    flushRaw(i, first);
    rem -= first;
    while (rem >= 16) {
      if (rem >= 32) {
        const t = Math.min(rem, 47);
        out[pos++] = ((t - 32) << 4) | 2;
        rem -= t;
      } else {
        out[pos++] = ((rem - 16) << 4) | 1;
        rem = 0;
      }
    }
    if (rem >= 3) {
      out[pos++] = rem;
      rem = 0;
    }
    i += r - rem;
    rawStart = i; // the 0–2 leftover run values become raw bytes
    last = prev;
  }
  flushRaw(w, 0);
  return pos;
}

/** The reverse, for tests: decodes a planar stream produced above into top-down B,G,R,0xFF rows. */
export function decodePlanarForTest(data: Buffer, w: number, h: number): Buffer {
  if (data[0] !== FORMAT_RLE_NO_ALPHA) throw new Error(`unexpected planar header ${data[0]}`);
  const out = Buffer.alloc(w * h * 4, 0xff);
  let p = 1;
  for (const channel of [2, 1, 0]) {
    let prevLine: Uint8Array | null = null;
    for (let row = 0; row < h; row++) {
      const line = new Uint8Array(w);
      let x = 0;
      let pixel = 0;
      while (x < w) {
        const c = data[p++];
        let run = c & 0x0f;
        let raw = c >> 4;
        if (run === 1) {
          run = 16 + raw;
          raw = 0;
        } else if (run === 2) {
          run = 32 + raw;
          raw = 0;
        }
        for (let k = 0; k < raw; k++) line[x++] = pixel = data[p++];
        for (let k = 0; k < run; k++) line[x++] = pixel;
        if (x > w) throw new Error('scanline overrun');
      }
      const cur = new Uint8Array(w);
      for (let i = 0; i < w; i++) {
        if (!prevLine) cur[i] = line[i];
        else {
          const e = line[i];
          const d = e & 1 ? -((e + 1) >> 1) : e >> 1;
          cur[i] = (prevLine[i] + d) & 0xff;
        }
      }
      prevLine = cur;
      const dstRow = h - 1 - row;
      for (let i = 0; i < w; i++) out[(dstRow * w + i) * 4 + channel] = cur[i];
    }
  }
  if (p !== data.length) throw new Error(`trailing planar bytes: ${data.length - p}`);
  return out;
}
