// Counts, inside the app's page, the distinct whole frames its remote display shows. Bundled by esbuild into one
// script that Playwright installs before the app's own scripts run (addInitScript), so the paint wrappers below are
// in place before IronRDP or noVNC first draw. Driven from Node through window.__streamFps.
//
// Counting method (the figure): once per animation frame, i.e. once per picture the page can present, read the sample
// points of the display canvas (getImageData 1×1 each, a few microseconds on Chromium's software canvas) and decode
// the stripes' frame number (stripes.ts). A frame counts when every point shows the same frame number and it differs
// from the last one counted. Chosen over counting paint calls because it cannot count a paint that changed nothing
// or a half-painted frame; the page's animation-frame rate caps it, and is reported beside it.
//
// Also recorded, to tell where the time goes: animation frames in which the engine drew on the display canvas at all
// (IronRDP: putImageData per updated region; noVNC: drawImage from its back buffer), the number of those calls and
// the milliseconds spent inside them, and the main thread's long tasks (PerformanceObserver).
import { DEMO_PALETTE, X11_PALETTE, emptyCounts, frameCounter, type FrameCounter, type FrameCounts } from './stripes.ts';

export interface PageTake {
  counts: FrameCounts;
  /** Milliseconds since the previous take (the page's clock). */
  ms: number;
  /** Animation frames (requestAnimationFrame callbacks) in that time. */
  rafTicks: number;
  /** Animation frames in which the engine drew on the display canvas at least once. */
  paintFrames: number;
  /** Draw calls (putImageData, drawImage) on the display canvas. */
  paintCalls: number;
  /** Milliseconds spent inside those calls. */
  paintMs: number;
  /** Milliseconds this counter spent reading pixels (its own cost). */
  readMs: number;
  /** Sum of the main thread's long tasks (over 50 ms each), milliseconds. */
  longTaskMs: number;
  canvas: { width: number; height: number } | null;
}

export interface StreamFpsApi {
  start(selector: string, points: Array<[number, number]>, palette: 'demo' | 'x11'): void;
  take(): PageTake;
  /** Whether a whole frame of the stream has been seen on the canvas since start. */
  onScreen(): boolean;
  stop(): void;
}

type Draw = (this: CanvasRenderingContext2D, ...args: unknown[]) => unknown;

const state = {
  selector: '',
  points: [] as Array<[number, number]>,
  counter: null as FrameCounter | null,
  canvas: null as HTMLCanvasElement | null,
  ctx: null as CanvasRenderingContext2D | null,
  running: false,
  tick: 0,
  since: 0,
  rafTicks: 0,
  paintedTick: -1,
  paintFrames: 0,
  paintCalls: 0,
  paintMs: 0,
  readMs: 0,
  longTaskMs: 0,
  rgb: new Uint8ClampedArray(0),
};

const helpers = {
  /** A draw method that books its call (and its time) when it draws on the display canvas, then draws. */
  wrap(native: Draw): Draw {
    return function (this: CanvasRenderingContext2D, ...args: unknown[]) {
      if (!state.running || this.canvas !== state.canvas) return native.apply(this, args);
      const t = performance.now();
      try {
        return native.apply(this, args);
      } finally {
        state.paintMs += performance.now() - t;
        state.paintCalls++;
        if (state.paintedTick !== state.tick) {
          state.paintedTick = state.tick;
          state.paintFrames++;
        }
      }
    };
  },
  onFrame(): void {
    if (!state.running) return;
    requestAnimationFrame(() => helpers.onFrame());
    state.tick++;
    state.rafTicks++;
    if (!state.canvas || !state.canvas.isConnected) {
      state.canvas = document.querySelector<HTMLCanvasElement>(state.selector);
      // The engines ask for a plain 2D context, so this returns the very context they draw with.
      state.ctx = state.canvas?.getContext('2d') ?? null;
      if (!state.ctx) return;
    }
    const ctx = state.ctx!;
    const t = performance.now();
    for (let k = 0; k < state.points.length; k++) {
      const d = ctx.getImageData(state.points[k][0], state.points[k][1], 1, 1).data;
      state.rgb[3 * k] = d[0];
      state.rgb[3 * k + 1] = d[1];
      state.rgb[3 * k + 2] = d[2];
    }
    state.counter!.read(state.rgb);
    state.readMs += performance.now() - t;
  },
};

const api: StreamFpsApi = {
  start(selector, points, palette) {
    state.selector = selector;
    state.points = points;
    state.rgb = new Uint8ClampedArray(points.length * 3);
    state.counter = frameCounter(palette === 'demo' ? DEMO_PALETTE : X11_PALETTE, points.map((p) => p[0]));
    state.canvas = null;
    state.ctx = null;
    api.take();
    if (!state.running) {
      state.running = true;
      requestAnimationFrame(() => helpers.onFrame());
    }
  },
  take() {
    const now = performance.now();
    const out: PageTake = {
      counts: state.counter ? state.counter.take() : emptyCounts(),
      ms: now - state.since,
      rafTicks: state.rafTicks,
      paintFrames: state.paintFrames,
      paintCalls: state.paintCalls,
      paintMs: state.paintMs,
      readMs: state.readMs,
      longTaskMs: state.longTaskMs,
      canvas: state.canvas ? { width: state.canvas.width, height: state.canvas.height } : null,
    };
    state.since = now;
    state.rafTicks = state.paintFrames = state.paintCalls = 0;
    state.paintMs = state.readMs = state.longTaskMs = 0;
    return out;
  },
  onScreen() {
    return !!state.counter && state.counter.onScreen();
  },
  stop() {
    state.running = false;
    state.canvas = null;
    state.ctx = null;
  },
};

const context2d = CanvasRenderingContext2D.prototype;
for (const name of ['putImageData', 'drawImage'] as const) {
  // Replaced through the property descriptor, so the wrapper keeps the native method's attributes.
  const descriptor = Object.getOwnPropertyDescriptor(context2d, name)!;
  Object.defineProperty(context2d, name, { ...descriptor, value: helpers.wrap(descriptor.value as Draw) });
}
try {
  new PerformanceObserver((list) => {
    if (!state.running) return;
    for (const e of list.getEntries()) state.longTaskMs += e.duration;
  }).observe({ type: 'longtask', buffered: false });
} catch {
  // No long-task timing in this browser: the figure stays 0.
}
Object.defineProperty(window, '__streamFps', { value: api, enumerable: false });
