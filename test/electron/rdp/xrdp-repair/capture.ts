// Loading, framing and comparing for the tests that replay xrdp's captured login screen.
import { PNG } from 'pngjs';
import { createXrdpRepair } from '../../../../electron/rdp/xrdp-repair/index.ts';
import { captured } from '../../../support/captures.ts';

/** xrdp 0.9.21's server→client plaintext up to its login screen. */
export const capture = captured('xrdp-0.9.21-login-to-ironrdp.s2c.bin');
/** How that screen should look, 1024×768. */
export const reference = PNG.sync.read(captured('xrdp-0.9.21-login-reference.png'));

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

