// Fast-path output framing (MS-RDPBCGR 2.2.9.1.2.1): a one-byte header, a one- or two-byte length, then updates,
// each with its own header (updateCode, fragmentation, compression), optional compression flags and a 16-bit size.
// Bitmap updates (updateCode 1) may be split into fragments that span several PDUs; those PDUs are held until the
// last fragment arrives, so the whole update can be repaired, then re-fragmented.
import { buildBitmapUpdate, repairBitmapUpdate } from './bitmap-update.ts';

const UPDATECODE_BITMAP = 0x1;
const FRAGMENT_SINGLE = 0;
const FRAGMENT_LAST = 1;
const FRAGMENT_FIRST = 2;
const FRAGMENT_NEXT = 3;
const COMPRESSION_USED = 2;
const ENCRYPTION_FLAGS = 0xc0;
/** Largest PDU this module emits; the same conservative bound FreeRDP's server side uses. */
export const MAX_FAST_PATH_PDU = 0x3fff;
/** Bound on bytes held while waiting for the last fragment of a bitmap update. */
export const MAX_HELD_BYTES = 4 * 1024 * 1024;

export interface FastPathUpdate {
  code: number;
  fragmentation: number;
  /** Present only when the update header says compression flags follow. */
  compressionFlags: number | null;
  data: Buffer;
  /** The update as received (header, optional flags, size, data). */
  raw: Buffer;
}

export interface FastPathPdu {
  header: number;
  updates: FastPathUpdate[];
}

/** Parses a whole unencrypted fast-path output PDU; null for encrypted, malformed or non-fast-path bytes. */
export function parseFastPathPdu(pdu: Buffer): FastPathPdu | null {
  if (pdu.length < 2) return null;
  const header = pdu[0];
  if ((header & 0x3) !== 0 || header & ENCRYPTION_FLAGS) return null;
  let q = 1;
  let length = pdu[q++];
  if (length & 0x80) {
    if (q >= pdu.length) return null;
    length = ((length & 0x7f) << 8) | pdu[q++];
  }
  if (length !== pdu.length) return null;
  const updates: FastPathUpdate[] = [];
  while (q < pdu.length) {
    const start = q;
    const updateHeader = pdu[q++];
    let compressionFlags: number | null = null;
    if (updateHeader >> 6 === COMPRESSION_USED) {
      if (q >= pdu.length) return null;
      compressionFlags = pdu[q++];
    }
    if (q + 2 > pdu.length) return null;
    const size = pdu.readUInt16LE(q);
    q += 2;
    if (q + size > pdu.length) return null;
    updates.push({
      code: updateHeader & 0x0f,
      fragmentation: (updateHeader >> 4) & 0x3,
      compressionFlags,
      data: pdu.subarray(q, q + size),
      raw: pdu.subarray(start, q + size),
    });
    q += size;
  }
  return { header, updates };
}

function encodeUpdate(code: number, fragmentation: number, data: Buffer): Buffer {
  const out = Buffer.alloc(3 + data.length);
  out[0] = code | (fragmentation << 4);
  out.writeUInt16LE(data.length, 1);
  data.copy(out, 3);
  return out;
}

function encodePdu(header: number, updates: Buffer[]): Buffer {
  const body = updates.reduce((n, u) => n + u.length, 0);
  const length = body + (body + 2 <= 0x7f ? 2 : 3);
  const head = length <= 0x7f ? Buffer.from([header, length]) : Buffer.from([header, 0x80 | (length >> 8), length & 0xff]);
  return Buffer.concat([head, ...updates]);
}

/** A repaired bitmap update as one or more encoded updates, each small enough for its own PDU. */
function fragmentBitmap(data: Buffer): Buffer[] {
  const chunk = MAX_FAST_PATH_PDU - 3 - 3;
  if (data.length <= chunk) return [encodeUpdate(UPDATECODE_BITMAP, FRAGMENT_SINGLE, data)];
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) {
    const last = at + chunk >= data.length;
    const kind = at === 0 ? FRAGMENT_FIRST : last ? FRAGMENT_LAST : FRAGMENT_NEXT;
    out.push(encodeUpdate(UPDATECODE_BITMAP, kind, data.subarray(at, at + chunk)));
  }
  return out;
}

/** Packs encoded updates into as few PDUs as the size bound allows, keeping their order. */
function packPdus(header: number, updates: Buffer[]): Buffer[] {
  const pdus: Buffer[] = [];
  let group: Buffer[] = [];
  let used = 0;
  for (const u of updates) {
    if (group.length > 0 && used + u.length + 3 > MAX_FAST_PATH_PDU) {
      pdus.push(encodePdu(header, group));
      group = [];
      used = 0;
    }
    group.push(u);
    used += u.length;
  }
  if (group.length > 0) pdus.push(encodePdu(header, group));
  return pdus;
}

const isPlainBitmap = (u: FastPathUpdate): boolean => u.code === UPDATECODE_BITMAP && u.compressionFlags === null;

/** Repaired bitmap data, or null to keep the original; a repaired update may grow only up to a modest bound. */
function repairData(data: Buffer): { data: Buffer; rewritten: number } | null {
  const repaired = repairBitmapUpdate(data);
  if (repaired === null) return null;
  const out = buildBitmapUpdate(repaired.rects, repaired.trailing);
  // Growing past what the server sent could exceed the client's reassembly limit (MultifragmentMaxRequestSize);
  // stay within the original size or one 64 KiB update, whichever is larger.
  if (out.length > Math.max(data.length, 0xffff)) return null;
  return { data: out, rewritten: repaired.rewritten };
}

/**
 * Repairs the bitmap updates in a run of parsed PDUs (one PDU, or the PDUs from a first fragment to its last).
 * Returns replacement PDUs, or null when nothing changed or the fragments are not in the expected order.
 */
export function repairFastPathPdus(pdus: FastPathPdu[]): Buffer[] | null {
  const updates = pdus.flatMap((p) => p.updates);
  const out: Buffer[] = [];
  let changed = false;
  for (let i = 0; i < updates.length; i++) {
    const u = updates[i];
    if (!isPlainBitmap(u)) {
      if (u.code === UPDATECODE_BITMAP && u.fragmentation !== FRAGMENT_SINGLE && u.compressionFlags === null) return null;
      out.push(u.raw);
      continue;
    }
    if (u.fragmentation === FRAGMENT_SINGLE) {
      const r = repairData(u.data);
      if (r === null) out.push(u.raw);
      else {
        out.push(...fragmentBitmap(r.data));
        changed = true;
      }
      continue;
    }
    if (u.fragmentation !== FRAGMENT_FIRST) return null;
    // Reassemble FIRST, NEXT…, LAST; anything else in between means a sequence this module does not understand.
    const parts: FastPathUpdate[] = [u];
    let j = i + 1;
    for (; j < updates.length; j++) {
      const f = updates[j];
      if (!isPlainBitmap(f) || (f.fragmentation !== FRAGMENT_NEXT && f.fragmentation !== FRAGMENT_LAST)) return null;
      parts.push(f);
      if (f.fragmentation === FRAGMENT_LAST) break;
    }
    if (j >= updates.length) return null;
    const r = repairData(Buffer.concat(parts.map((f) => f.data)));
    if (r === null) out.push(...parts.map((f) => f.raw));
    else {
      out.push(...fragmentBitmap(r.data));
      changed = true;
    }
    i = j;
  }
  return changed ? packPdus(pdus[0].header, out) : null;
}

/** Where a PDU leaves an unfinished plain bitmap update: true after a FIRST/NEXT without its LAST. */
export function leavesBitmapOpen(pdu: FastPathPdu, open: boolean): boolean {
  for (const u of pdu.updates) {
    if (!isPlainBitmap(u)) continue;
    if (u.fragmentation === FRAGMENT_FIRST) open = true;
    else if (u.fragmentation === FRAGMENT_LAST) open = false;
  }
  return open;
}

export const hasPlainBitmap = (pdu: FastPathPdu): boolean => pdu.updates.some(isPlainBitmap);
