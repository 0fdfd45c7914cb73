// Gateway-side repair for IronRDP 0.7.0 drawing xrdp's screens skewed.
//
// xrdp pads each bitmap's width to a multiple of 4 while its destination rectangle keeps the real width; IronRDP
// 0.7.0 decodes at the padded width but steps rows by the destination width, so padded rectangles shear. This
// transformer sits on the server→client plaintext (after TLS), finds bitmap updates whose bitmap is larger than its
// destination, and re-encodes those rectangles cropped to the destination. Everything else passes byte for byte.
//
// Remove this module and its one call site once a fixed IronRDP release (commit 80bb81b3, PR 1486) is on npm.
import { PduFramer, type Frame } from './pdu-framer.ts';
import { repairSlowPathPdu } from './slow-path.ts';
import {
  hasPlainBitmap,
  leavesBitmapOpen,
  MAX_HELD_BYTES,
  parseFastPathPdu,
  repairFastPathPdus,
  type FastPathPdu,
} from './fast-path.ts';

/** A per-session stream transformer for server→client RDP plaintext (after TLS). Feed it chunks as they arrive;
 * it returns the bytes to forward (possibly fewer/more chunks; PDUs are re-framed whole). It never loses or
 * reorders bytes it does not rewrite, passes through anything it does not understand unchanged, and holds at most
 * one PDU (≤ 65535 bytes) plus one fragmented fast-path bitmap update (≤ 4 MiB). */
export interface XrdpRepair {
  push(chunk: Buffer): Buffer[];
  flush(): Buffer[];
}

/** Cumulative PDU counts: `rewritten` PDUs were replaced by repaired ones, `passed` went out unchanged. */
export interface XrdpRepairStats {
  rewritten: number;
  passed: number;
}

/** Joins buffers that are adjacent views of the same memory (runs of untouched PDUs from one chunk). */
function coalesce(parts: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const b of parts) {
    if (b.length === 0) continue;
    const prev = out[out.length - 1];
    if (prev && prev.buffer === b.buffer && prev.byteOffset + prev.length === b.byteOffset) {
      out[out.length - 1] = Buffer.from(prev.buffer, prev.byteOffset, prev.length + b.length);
    } else out.push(b);
  }
  return out;
}

export function createXrdpRepair(options?: { onStats?: (s: XrdpRepairStats) => void }): XrdpRepair {
  const framer = new PduFramer();
  const stats: XrdpRepairStats = { rewritten: 0, passed: 0 };
  // Fast-path PDUs from the first fragment of a bitmap update up to (not yet including) its last fragment.
  let held: { bytes: Buffer; pdu: FastPathPdu }[] = [];
  let heldBytes = 0;

  const release = (out: Buffer[]): void => {
    for (const h of held) out.push(h.bytes);
    stats.passed += held.length;
    held = [];
    heldBytes = 0;
  };

  const repairGroup = (group: { bytes: Buffer; pdu: FastPathPdu }[], out: Buffer[]): void => {
    const repaired = repairFastPathPdus(group.map((g) => g.pdu));
    if (repaired === null) {
      for (const g of group) out.push(g.bytes);
      stats.passed += group.length;
    } else {
      out.push(...repaired);
      stats.rewritten += group.length;
    }
  };

  const onFastPath = (bytes: Buffer, out: Buffer[]): void => {
    const pdu = parseFastPathPdu(bytes);
    if (pdu === null) {
      release(out);
      out.push(bytes);
      stats.passed++;
      return;
    }
    if (held.length > 0) {
      if (heldBytes + bytes.length > MAX_HELD_BYTES) {
        // Too large to hold: forward what was held and this PDU unchanged; the rest of the update follows as is.
        release(out);
        out.push(bytes);
        stats.passed++;
        return;
      }
      held.push({ bytes, pdu });
      heldBytes += bytes.length;
      if (!leavesBitmapOpen(pdu, true)) {
        const group = held;
        held = [];
        heldBytes = 0;
        repairGroup(group, out);
      }
      return;
    }
    if (!hasPlainBitmap(pdu)) {
      out.push(bytes);
      stats.passed++;
      return;
    }
    if (leavesBitmapOpen(pdu, false)) {
      held = [{ bytes, pdu }];
      heldBytes = bytes.length;
      return;
    }
    repairGroup([{ bytes, pdu }], out);
  };

  const onFrame = (frame: Frame, out: Buffer[]): void => {
    if (frame.kind === 'fast-path') {
      onFastPath(frame.bytes, out);
      return;
    }
    // Anything else ends a held fragment sequence: keep the byte order, give up on that one update.
    release(out);
    if (frame.kind === 'tpkt') {
      const repaired = repairSlowPathPdu(frame.bytes);
      if (repaired !== null) {
        out.push(...repaired.pdus);
        stats.rewritten++;
        return;
      }
      stats.passed++;
    }
    out.push(frame.bytes);
  };

  const run = (frames: Frame[], endOfStream = false): Buffer[] => {
    const before = stats.rewritten + stats.passed;
    const out: Buffer[] = [];
    for (const frame of frames) {
      const mark = out.length;
      const heldBefore = held.slice();
      try {
        onFrame(frame, out);
      } catch {
        // A defect in a codec must cost only the repair, never the session: forward the original bytes.
        out.length = mark;
        held = [];
        heldBytes = 0;
        for (const h of heldBefore) out.push(h.bytes);
        out.push(frame.bytes);
        stats.passed += heldBefore.length + 1;
      }
    }
    // At the end of the stream an unfinished fragment sequence goes out as it came.
    if (endOfStream) release(out);
    if (options?.onStats && stats.rewritten + stats.passed !== before) options.onStats({ ...stats });
    return coalesce(out);
  };

  return {
    push: (chunk) => run(framer.push(chunk)),
    flush: () => run(framer.flush(), true),
  };
}
