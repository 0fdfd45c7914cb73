/**
 * In the RDP worker: what one session's IronRDP draws on, and what sends it to the page. IronRDP keeps the desktop's
 * picture in its own memory and draws each updated region with `putImageData` on the canvas it was given. Here that
 * canvas is a stand-in: its 2D context copies each region's pixels out of IronRDP's memory (the ImageData is a view
 * on it, reused for the next region) into a buffer of its own, and once the task that drew has ended, the regions of
 * that task go to the page in one message, their buffers transferred, not copied. The page puts them on the tab's
 * canvas. So the pixels are copied once more than when IronRDP drew in the page, and nothing else is kept: no canvas
 * in the worker, no bitmaps.
 *
 * Why not hand the tab's canvas itself to the worker (transferControlToOffscreen)? Chromium shows such a canvas's
 * frames when its compositor asks the worker for them; with software compositing (no GPU, or GPU acceleration off,
 * common on the jump hosts and virtual desktops administrators work from) it asked seconds apart, and the tab showed
 * a still picture. And a canvas of the worker's own, sent to the page as ImageBitmaps, cost a canvas per tab and two
 * more copies of every picture, which showed as fewer frames and more memory per tab.
 */

/** One region's pixels (RGBA, rows of w × 4 bytes) for (x, y) of the desktop. */
export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
  pixels: ArrayBuffer;
}

export interface ShippedRegions {
  /** The desktop's size when they were drawn (the page resizes its canvas to it). */
  width: number;
  height: number;
  regions: Region[];
}

/**
 * The 2D context IronRDP gets. The worker makes `CanvasRenderingContext2D` name this class (IronRDP checks that its
 * context is one), and IronRDP only ever calls putImageData on it.
 */
export class RegionContext {
  constructor(private readonly sink: (r: Region) => void) {}

  putImageData(image: ImageData, dx: number, dy: number, dirtyX = 0, dirtyY = 0, dirtyW = image.width, dirtyH = image.height): void {
    // The part of the image that is drawn (a dirty rectangle may name less than all of it), clipped to the image.
    const x0 = Math.max(0, Math.floor(dirtyX));
    const y0 = Math.max(0, Math.floor(dirtyY));
    const w = Math.min(image.width, Math.floor(dirtyX + dirtyW)) - x0;
    const h = Math.min(image.height, Math.floor(dirtyY + dirtyH)) - y0;
    if (w <= 0 || h <= 0) return;
    const src = image.data;
    let pixels: ArrayBuffer;
    if (x0 === 0 && w === image.width) {
      pixels = src.slice(y0 * w * 4, (y0 + h) * w * 4).buffer;
    } else {
      const out = new Uint8ClampedArray(w * h * 4);
      for (let row = 0; row < h; row++) {
        const from = ((y0 + row) * image.width + x0) * 4;
        out.set(src.subarray(from, from + w * 4), row * w * 4);
      }
      pixels = out.buffer;
    }
    this.sink({ x: dx + x0, y: dy + y0, w, h, pixels });
  }
}

export class FrameShipper {
  /** What IronRDP is given as its canvas: it sets the size and asks for the 2D context, nothing more. */
  readonly canvas: { width: number; height: number; getContext(kind: string): RegionContext | null };
  /**
   * Whether what IronRDP draws is dropped: while the direct bitmap path owns the picture, IronRDP's own copy of the
   * desktop is stale, and it still draws from it (IronRDP 0.7.0 repaints pixel (0, 0) for every frame marker).
   */
  ironRdpIgnored: () => boolean = () => false;
  private pending: Region[] = [];
  private flushQueued = false;
  private closed = false;

  constructor(
    width: number,
    height: number,
    private readonly ship: (frame: ShippedRegions, transfer: ArrayBuffer[]) => void,
  ) {
    const context = new RegionContext((r) => {
      if (!this.ironRdpIgnored()) this.drawn(r);
    });
    this.canvas = { width: Math.max(1, width), height: Math.max(1, height), getContext: (kind) => (kind === '2d' ? context : null) };
  }

  /** Regions drawn without IronRDP (the direct bitmap path): they go to the page in order with IronRDP's. */
  drawRegions(regions: Region[]): void {
    for (const r of regions) this.drawn(r);
  }

  private drawn(r: Region): void {
    if (this.closed) return;
    this.pending.push(r);
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After this task: by then IronRDP has drawn the whole update it was handling.
    setTimeout(() => this.shipNow(), 0);
  }

  /**
   * Sends what has been drawn so far at once. The worker calls this before IronRDP sends anything to the server: a
   * frame's acknowledgement goes out right after its last region is drawn, and reading IronRDP's message for the
   * socket costs about a millisecond, which the page need not wait for.
   */
  shipNow(): void {
    this.flushQueued = false;
    const regions = this.pending;
    this.pending = [];
    if (this.closed || regions.length === 0) return;
    this.ship(
      { width: this.canvas.width, height: this.canvas.height, regions },
      regions.map((x) => x.pixels),
    );
  }

  close(): void {
    this.closed = true;
    this.pending = [];
  }
}
