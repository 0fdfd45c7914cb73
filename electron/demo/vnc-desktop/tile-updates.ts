// The rectangles of one FramebufferUpdate. The demo desktop (electron/demo/demo-desktop/desktop.ts, shared with the
// RDP demo desktop) versions its 64×64 tiles; a client gets the tiles whose version changed since it last got them,
// as ZRLE or Raw, whichever of the two it listed first.
//
// CopyRect is used as real VNC servers use it, for a scroll: the animated band's bars move left a fixed step per
// frame, so when the client's band is the current one shifted by whole steps, one CopyRect moves it and only the
// strip that came in on the right is sent. (One copy per update matters: noVNC draws each CopyRect by copying its
// canvas onto itself, which costs as much as a full-screen blit whatever the rectangle's size.) To know what the
// client shows, each client has a shadow of its picture; a tile the shadow already matches is not sent again.
import { TILE, type DesktopView } from '../demo-desktop/desktop.ts';
import { BAND_SHIFT_PER_FRAME } from '../demo-desktop/scene.ts';
import { ENCODING, copyRect, rectHeader } from './rfb-messages.ts';
import { pixelValues, rawPixels, type PixelFormat } from './pixel-format.ts';
import { CPixelWriter, ZrleStream, zrleRectData } from './zrle.ts';

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** What one client's updates depend on; `sent` and `shown` change as rectangles are sent. */
export interface TileClient {
  view: DesktopView;
  /** Per tile, the version the client shows (0: never sent, or to be repainted). */
  sent: Uint32Array;
  /** The client's picture as the server last sent it (B, G, R, X like the view), for CopyRect and for skipping. */
  shown: Buffer;
  pixelFormat: PixelFormat;
  cpixel: CPixelWriter;
  zrle: ZrleStream;
  /** ZRLE when the client listed it before Raw. */
  encoding: typeof ENCODING.raw | typeof ENCODING.zrle;
  copyRect: boolean;
}

/** A new client's state for a view: nothing sent, nothing known to be shown. */
export function newTileClient(view: DesktopView, pixelFormat: PixelFormat, zrle = new ZrleStream()): TileClient {
  return {
    view,
    sent: new Uint32Array(view.cols * view.rows),
    shown: Buffer.alloc(view.fb.data.length),
    pixelFormat,
    cpixel: new CPixelWriter(pixelFormat),
    zrle,
    encoding: ENCODING.raw,
    copyRect: false,
  };
}

/** Tiles whose area meets the region, row by row. */
function tilesIn(view: DesktopView, region: Region): number[] {
  const c0 = Math.floor(region.x / TILE);
  const r0 = Math.floor(region.y / TILE);
  const c1 = Math.min(view.cols - 1, Math.floor((region.x + region.w - 1) / TILE));
  const r1 = Math.min(view.rows - 1, Math.floor((region.y + region.h - 1) / TILE));
  const out: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push(r * view.cols + c);
  return out;
}

/** Whether a tile of the region differs from what the client shows. */
export function hasChanges(client: TileClient, region: Region): boolean {
  if (region.w === 0 || region.h === 0) return false;
  return tilesIn(client.view, region).some((i) => client.sent[i] !== client.view.versions[i]);
}

/** Forgets which tiles the client has, so the next update repaints the region (a non-incremental request). */
export function invalidate(client: TileClient, region: Region): void {
  if (region.w === 0 || region.h === 0) return;
  for (const i of tilesIn(client.view, region)) client.sent[i] = 0;
}

/** Whether `a` at (ax, y…) equals `b` at (bx, y…) over w pixels and h rows (same stride). */
function sameArea(a: Buffer, b: Buffer, stride: number, ax: number, bx: number, y: number, w: number, h: number): boolean {
  for (let row = y; row < y + h; row++) {
    const oa = row * stride + ax * 4;
    const ob = row * stride + bx * 4;
    if (a.compare(b, ob, ob + w * 4, oa, oa + w * 4) !== 0) return false;
  }
  return true;
}

/** Copies a w×h area of `buf` from (sx, sy) to (dx, dy), overlap allowed (rows in a safe order). */
function moveArea(buf: Buffer, stride: number, sx: number, sy: number, dx: number, dy: number, w: number, h: number): void {
  const rows = dy > sy ? [...Array(h).keys()].reverse() : [...Array(h).keys()];
  for (const r of rows) buf.copy(buf, (dy + r) * stride + dx * 4, (sy + r) * stride + sx * 4, (sy + r) * stride + (sx + w) * 4);
}

/**
 * The band's scroll as one CopyRect, when the client's band is the current one moved right by whole steps (it is
 * some frames behind). Applies the copy to the client's shadow. Returns null when no such scroll fits.
 */
function bandScroll(client: TileClient, region: Region): Buffer | null {
  const { view, shown } = client;
  const band = view.band;
  if (!client.copyRect || !band) return null;
  // Only inside what the client asked to see.
  if (band.x < region.x || band.y < region.y || band.x + band.w > region.x + region.w || band.y + band.h > region.y + region.h) return null;
  const { stride, data } = view.fb;
  if (sameArea(shown, data, stride, band.x, band.x, band.y, band.w, band.h)) return null;
  for (let step = 1; step <= 4; step++) {
    const shift = step * BAND_SHIFT_PER_FRAME;
    const w = band.w - shift;
    if (w <= 0) break;
    // What the client shows right of x + shift is what the band now shows from x.
    if (!sameArea(shown, data, stride, band.x + shift, band.x, band.y, w, band.h)) continue;
    moveArea(shown, stride, band.x + shift, band.y, band.x, band.y, w, band.h);
    // The copy changed the client's picture under the band: each tile there is current if the shadow now matches,
    // else it must be sent (whatever was recorded for it).
    for (const i of tilesIn(view, band)) {
      const t = view.tileRect(i);
      client.sent[i] = sameArea(shown, data, stride, t.x, t.x, t.y, t.w, t.h) ? view.versions[i] : 0;
    }
    return copyRect(band.x, band.y, w, band.h, band.x + shift, band.y);
  }
  return null;
}

/** The rectangles (header and body each) that bring the client's copy of the region up to date. */
export function changedTileRects(client: TileClient, region: Region): Buffer[] {
  if (region.w === 0 || region.h === 0) return [];
  const { view, sent, shown } = client;
  const { stride, data } = view.fb;
  const rects: Buffer[] = [];
  const scroll = bandScroll(client, region);
  if (scroll) rects.push(scroll);
  for (const i of tilesIn(view, region)) {
    const version = view.versions[i];
    if (sent[i] === version) continue;
    const { x, y, w, h } = view.tileRect(i);
    // The client may already show these pixels (after the scroll, or a change and its undoing).
    if (sent[i] !== 0 && sameArea(shown, data, stride, x, x, y, w, h)) {
      sent[i] = version;
      continue;
    }
    rects.push(encodeTile(client, x, y, w, h));
    for (let row = y; row < y + h; row++) data.copy(shown, row * stride + x * 4, row * stride + x * 4, row * stride + (x + w) * 4);
    sent[i] = version;
  }
  return rects;
}

function encodeTile(client: TileClient, x: number, y: number, w: number, h: number): Buffer {
  const { fb } = client.view;
  if (client.encoding === ENCODING.zrle) {
    const data = zrleRectData((tx, ty, tw, th) => pixelValues(fb.data, fb.stride, tx, ty, tw, th, client.pixelFormat), x, y, w, h, client.cpixel);
    const compressed = client.zrle.compress(data);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(compressed.length);
    return Buffer.concat([rectHeader(x, y, w, h, ENCODING.zrle), length, compressed]);
  }
  return Buffer.concat([rectHeader(x, y, w, h, ENCODING.raw), rawPixels(fb.data, fb.stride, x, y, w, h, client.pixelFormat)]);
}
