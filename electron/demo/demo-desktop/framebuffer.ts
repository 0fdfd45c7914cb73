import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font5x7.ts';

/** An RGB colour as 0xRRGGBB. */
export type Rgb = number;

/**
 * A 32-bit top-down pixel buffer in the byte order RDP's raw 32 bpp bitmaps use (B, G, R, 0xFF), so raw tiles are
 * row copies and planar tiles read their planes straight out of it.
 */
export class Framebuffer {
  readonly data: Buffer;
  readonly stride: number;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.stride = width * 4;
    this.data = Buffer.alloc(this.stride * height);
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w));
    const y1 = Math.min(this.height, Math.floor(y + h));
    if (x1 <= x0 || y1 <= y0) return;
    const first = y0 * this.stride + x0 * 4;
    const rowBytes = (x1 - x0) * 4;
    // Paint one row pixel by pixel, then copy it down: far cheaper than per-pixel writes for big areas.
    const d = this.data;
    const b = color & 0xff;
    const g = (color >> 8) & 0xff;
    const r = (color >> 16) & 0xff;
    for (let i = first; i < first + rowBytes; i += 4) {
      d[i] = b;
      d[i + 1] = g;
      d[i + 2] = r;
      d[i + 3] = 0xff;
    }
    for (let yy = y0 + 1; yy < y1; yy++) d.copy(d, yy * this.stride + x0 * 4, first, first + rowBytes);
  }

  /** Copies row `y` into the `count` rows below it (clipped to the picture): a picture made of columns in one pass. */
  repeatRowDown(y: number, count: number): void {
    if (y < 0 || y >= this.height) return;
    const from = y * this.stride;
    const last = Math.min(this.height - 1, y + count);
    for (let yy = y + 1; yy <= last; yy++) this.data.copy(this.data, yy * this.stride, from, from + this.stride);
  }

  setPixel(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = y * this.stride + x * 4;
    this.data[i] = color & 0xff;
    this.data[i + 1] = (color >> 8) & 0xff;
    this.data[i + 2] = (color >> 16) & 0xff;
    this.data[i + 3] = 0xff;
  }

  /** Draws text with the 5×7 font, each font pixel as a scale×scale square; returns the drawn width. */
  drawText(text: string, x: number, y: number, scale: number, color: Rgb): number {
    let cx = x;
    for (const ch of text) {
      const rows = glyph(ch);
      for (let ry = 0; ry < GLYPH_HEIGHT; ry++) {
        const bits = rows[ry];
        if (!bits) continue;
        for (let rx = 0; rx < GLYPH_WIDTH; rx++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - rx))) this.fillRect(cx + rx * scale, y + ry * scale, scale, scale, color);
        }
      }
      cx += textAdvance(scale);
    }
    return cx - x;
  }
}

/** Horizontal distance from one character to the next: the glyph plus one font pixel of spacing. */
export function textAdvance(scale: number): number {
  return (GLYPH_WIDTH + 1) * scale;
}

export function textHeight(scale: number): number {
  return GLYPH_HEIGHT * scale;
}
