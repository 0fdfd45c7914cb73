// Shared helpers for the tests that replay xrdp's captured login screen.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { createXrdpRepair } from '../../../../electron/rdp/xrdp-repair/index.ts';

const vectors = '/work/shared/vectors';
export const capture = readFileSync(`${vectors}/xrdp-0.9.21-login-to-ironrdp.s2c.bin`);
export const reference = PNG.sync.read(readFileSync(`${vectors}/xrdp-0.9.21-login-reference.png`));

/** Runs `input` through a fresh repair, cut into pieces by `cut` (sizes), and returns the concatenated output. */
export function repairInPieces(input: Buffer, cut: (remaining: number) => number = (n) => n): Buffer {
  const repair = createXrdpRepair();
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; ) {
    const n = Math.max(1, Math.min(cut(input.length - at), input.length - at));
    // Copy each piece, as a socket would hand over fresh buffers.
    out.push(...repair.push(Buffer.from(input.subarray(at, at + n))));
    at += n;
  }
  out.push(...repair.flush());
  return Buffer.concat(out);
}

/** Splits a stream into PDUs with a framer of the test's own (TPKT and fast-path). */
export function splitPdus(stream: Buffer): Buffer[] {
  const pdus: Buffer[] = [];
  let o = 0;
  while (o < stream.length) {
    let len: number;
    if (stream[o] === 3) len = stream.readUInt16BE(o + 2);
    else len = stream[o + 1] & 0x80 ? ((stream[o + 1] & 0x7f) << 8) | stream[o + 2] : stream[o + 1];
    pdus.push(stream.subarray(o, o + len));
    o += len;
  }
  return pdus;
}

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}
