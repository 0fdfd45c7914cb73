/**
 * In the RDP worker: the canvas one session's IronRDP draws on, and what sends its changes to the page. IronRDP draws
 * each updated region with putImageData; the shipper notes the regions, and once the task that drew them ends (a
 * whole update drawn) sends their bounding box to the page as an ImageBitmap. One bitmap at a time: until the page has
 * drawn it, further changes merge into the next, so a page that falls behind gets fewer, newer pictures, never a
 * queue.
 *
 * Why not hand the tab's canvas itself to the worker (transferControlToOffscreen)? Chromium shows such a canvas's
 * frames when its compositor asks the worker for them; with software compositing (no GPU, or GPU acceleration off,
 * common on the jump hosts and virtual desktops administrators work from) it asked seconds apart, and the tab showed
 * a still picture. A bitmap drawn by the page shows wherever a canvas does.
 */

type Rect = { x0: number; y0: number; x1: number; y1: number };

export interface ShippedFrame {
  x: number;
  y: number;
  /** The desktop's size when the bitmap was taken (the page resizes its canvas to it). */
  width: number;
  height: number;
  bitmap: ImageBitmap;
}

export class FrameShipper {
  readonly surface: OffscreenCanvas;
  private dirty: Rect | null = null;
  private flushQueued = false;
  private inFlight = false;
  private closed = false;
  private sentSize = '';

  constructor(
    width: number,
    height: number,
    private readonly ship: (frame: ShippedFrame) => void,
  ) {
    this.surface = new OffscreenCanvas(Math.max(1, width), Math.max(1, height));
    // IronRDP asks the canvas for its 2D context and gets this same object; it looks putImageData up on the object at
    // each call, so an own property here sees every draw.
    const ctx = this.surface.getContext('2d');
    if (!ctx) throw new Error('no 2D context for the RDP session');
    const put = ctx.putImageData.bind(ctx) as (...args: unknown[]) => void;
    Object.defineProperty(ctx, 'putImageData', {
      configurable: true,
      value: (image: ImageData, dx: number, dy: number, ...dirty: number[]) => {
        put(image, dx, dy, ...dirty);
        // With a dirty rectangle (arguments 4-7) only that part of the image is drawn.
        if (dirty.length >= 4) this.touched(dx + dirty[0], dy + dirty[1], dirty[2], dirty[3]);
        else this.touched(dx, dy, image.width, image.height);
      },
    });
  }

  private touched(x: number, y: number, w: number, h: number): void {
    if (w <= 0 || h <= 0) return;
    const d = this.dirty;
    this.dirty = d ? { x0: Math.min(d.x0, x), y0: Math.min(d.y0, y), x1: Math.max(d.x1, x + w), y1: Math.max(d.y1, y + h) } : { x0: x, y0: y, x1: x + w, y1: y + h };
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After this task: by then IronRDP has drawn the whole update it was handling.
    setTimeout(() => {
      this.flushQueued = false;
      this.flush();
    }, 0);
  }

  /** The page drew the last bitmap. */
  shown(): void {
    this.inFlight = false;
    this.flush();
  }

  close(): void {
    this.closed = true;
  }

  private flush(): void {
    if (this.closed || this.inFlight || !this.dirty) return;
    const { width, height } = this.surface;
    // A new desktop size clears the canvas: the page gets all of it, not only what was drawn since.
    const size = `${width}x${height}`;
    const d = size === this.sentSize ? this.dirty : { x0: 0, y0: 0, x1: width, y1: height };
    this.dirty = null;
    const x = Math.max(0, Math.floor(d.x0));
    const y = Math.max(0, Math.floor(d.y0));
    const w = Math.min(width, Math.ceil(d.x1)) - x;
    const h = Math.min(height, Math.ceil(d.y1)) - y;
    if (w <= 0 || h <= 0) return;
    this.inFlight = true;
    this.sentSize = size;
    // The bitmap is the canvas as it is now (taken at the call), whatever IronRDP draws while it is made.
    createImageBitmap(this.surface, x, y, w, h).then(
      (bitmap) => {
        if (this.closed) return bitmap.close();
        this.ship({ x, y, width, height, bitmap });
      },
      () => {
        // Nothing to show this time (the canvas was resized to nothing meanwhile); the next change tries again.
        this.inFlight = false;
      },
    );
  }
}
