// TS_UPDATE_BITMAP_DATA (MS-RDPBCGR 2.2.9.1.1.3.1.2): updateType, numberRectangles, then the rectangles. Shared by
// slow-path Update PDUs and fast-path bitmap updates, which carry the same structure.
import { parseBitmapRect, repairRect } from './bitmap-rect.ts';

export const UPDATETYPE_BITMAP = 0x0001;

export interface RepairedBitmapUpdate {
  /** Every rectangle in order: rebuilt ones, and the untouched ones byte for byte. */
  rects: Buffer[];
  /** The same rectangles as received, for a caller that must fall back to the original size of one of them. */
  originals: Buffer[];
  /** Bytes after the last rectangle (normally none), kept as they were. */
  trailing: Buffer;
  /** How many rectangles were rebuilt (at least one, or the function returns null). */
  rewritten: number;
}

/** Null when `data` is not a well-formed bitmap update or no rectangle in it needed (or allowed) a repair. */
export function repairBitmapUpdate(data: Buffer): RepairedBitmapUpdate | null {
  if (data.length < 4 || data.readUInt16LE(0) !== UPDATETYPE_BITMAP) return null;
  const count = data.readUInt16LE(2);
  const rects: Buffer[] = [];
  const originals: Buffer[] = [];
  let rewritten = 0;
  let offset = 4;
  for (let i = 0; i < count; i++) {
    const rect = parseBitmapRect(data, offset);
    if (rect === null) return null;
    offset += rect.raw.length;
    const repaired = repairRect(rect);
    if (repaired !== null) rewritten++;
    rects.push(repaired ?? rect.raw);
    originals.push(rect.raw);
  }
  if (rewritten === 0) return null;
  return { rects, originals, trailing: data.subarray(offset), rewritten };
}

/** Serialises rectangles (and optional trailing bytes) back into a TS_UPDATE_BITMAP_DATA. */
export function buildBitmapUpdate(rects: Buffer[], trailing: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(UPDATETYPE_BITMAP, 0);
  head.writeUInt16LE(rects.length, 2);
  return Buffer.concat([head, ...rects, trailing]);
}
