// The picture every stream of this benchmark shows, and how a frame number is read back from a few of its pixels.
//
// All three sources draw vertical stripes 16 pixels wide whose colours cycle through a palette of 64, shifted by one
// stripe per frame: the pixel at x shows palette[(floor(x / 16) + frame) mod 64]. The demo desktop's 'fullscreen'
// animation is exactly that (electron/demo/demo-desktop/scene.ts); the X11 source (x11-stripes.ts) draws the same
// arrangement with its own palette on a real X server. So one pixel tells the frame number modulo 64, and a handful of
// pixels in different 64×64 tiles and different rows tell whether a whole frame is on screen (they all agree) or a
// torn one (the client has painted part of the next frame). Counting "whole frames whose number changed" cannot count
// a paint that changed nothing, nor a half-painted frame, on either client. This module is used by Node and, bundled,
// inside the page, so it imports nothing.

export const STRIPE = 16;
export const CYCLE = 64;

export type Rgb = readonly [number, number, number];

export interface Palette {
  colors: readonly Rgb[];
  /** Largest per-channel difference still read as a palette colour (lossy encodings move colours a little). */
  tolerance: number;
}

/** The demo desktop's full-screen animation: (0x10, 0x20 + 2t, 0x60 + (t & 31)) for t = 0..63; lossless (planar). */
export const DEMO_PALETTE: Palette = {
  colors: Array.from({ length: CYCLE }, (_, t) => [0x10, 0x20 + t * 2, 0x60 + (t & 0x1f)] as const),
  // Neighbouring colours differ by 2 in green: nearest-colour decoding with a tolerance of 1 is exact.
  tolerance: 1,
};

/**
 * The X11 source's palette: the 4×4×4 cube of levels 0x20/0x70/0xb0/0xf0, so any two colours differ by at least
 * 0x40 in some channel. A VNC viewer may pick Tight with JPEG and a RemoteFX-style codec quantises; colours that
 * far apart still decode unambiguously after that.
 */
const LEVELS = [0x20, 0x70, 0xb0, 0xf0];
export const X11_PALETTE: Palette = {
  // Stepping red fastest makes neighbouring stripes differ strongly (edges a lossy codec cannot smear into a match).
  colors: Array.from({ length: CYCLE }, (_, i) => [LEVELS[i & 3], LEVELS[(i >> 2) & 3], LEVELS[(i >> 4) & 3]] as const),
  tolerance: 0x18,
};

/** The points read on every client: mid-stripe, each in its own 64×64 tile, row and stripe, all in the lower half. */
export function samplePoints(width: number, height: number): Array<[number, number]> {
  // Lower half: the demo desktop writes its text (name, clock, typed line) in the upper part, and the X11 source's
  // moving window covers the lower half of the shadowed desktop. Away from the centre, where a software cursor sits.
  const at: Array<[number, number]> = [
    [0.08, 0.62],
    [0.27, 0.9],
    [0.43, 0.72],
    [0.62, 0.95],
    [0.79, 0.66],
    [0.93, 0.82],
  ];
  return at.map(([fx, fy]) => [Math.floor((fx * width) / STRIPE) * STRIPE + STRIPE / 2, Math.floor(fy * height)]);
}

/** Palette index of a colour, or -1 when it is none of them (text, a cursor, a border, a half-blended pixel). */
export function paletteIndex(p: Palette, r: number, g: number, b: number): number {
  let best = -1;
  let bestDist = Infinity;
  for (let i = 0; i < p.colors.length; i++) {
    const c = p.colors[i];
    const d = Math.max(Math.abs(c[0] - r), Math.abs(c[1] - g), Math.abs(c[2] - b));
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return bestDist <= p.tolerance ? best : -1;
}

/** The frame number (mod 64) a pixel at screen column x shows, or -1. */
export function frameAt(p: Palette, x: number, r: number, g: number, b: number): number {
  const i = paletteIndex(p, r, g, b);
  if (i < 0) return -1;
  return (((i - Math.floor(x / STRIPE)) % CYCLE) + CYCLE) % CYCLE;
}

/** What a counter has seen so far; the same on both sides, so the figures mean the same thing. */
export interface FrameCounts {
  /** Reads of the points (animation frames in the page, polls of the X display). */
  reads: number;
  /** Reads whose points all showed one frame number other than the last whole frame's: distinct whole frames. */
  whole: number;
  /** Reads whose sampled pixels differed from the previous read in any way (whole or torn). */
  changed: number;
  /** Reads whose points disagreed (part of a newer frame painted) or showed no palette colour. */
  torn: number;
  /**
   * Frame numbers the stream moved on between whole frames, summed. Numbers wrap at 64, so a jump of 64 or more
   * between two frames shown (a client that stalled for most of a second) counts 64 less: a lower bound.
   */
  advanced: number;
}

export function emptyCounts(): FrameCounts {
  return { reads: 0, whole: 0, changed: 0, torn: 0, advanced: 0 };
}

/** Feeds reads of the sample points to counts (in the page once per animation frame, in Node once per X11 poll). */
export function frameCounter(palette: Palette, xs: readonly number[]) {
  const state = { counts: emptyCounts(), lastKey: '', lastFrame: -1 };
  return {
    /** One read: the pixels of every point, in order, as [r, g, b, r, g, b, …]. */
    read(rgb: ArrayLike<number>): void {
      const c = state.counts;
      c.reads++;
      let key = '';
      for (let i = 0; i < rgb.length; i++) key += rgb[i] + ',';
      if (key !== state.lastKey) {
        if (state.lastKey !== '') c.changed++;
        state.lastKey = key;
      }
      let frame = -2;
      for (let k = 0; k < xs.length && frame !== -1; k++) {
        const f = frameAt(palette, xs[k], rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2]);
        frame = f < 0 || (frame !== -2 && f !== frame) ? -1 : f;
      }
      if (frame < 0) {
        c.torn++;
        return;
      }
      if (frame === state.lastFrame) return;
      // Every source here draws its frames in order and both clients paint them in order, so a different number is
      // a newer frame (how much newer is known modulo 64 only; see FrameCounts.advanced).
      if (state.lastFrame >= 0) c.advanced += (frame - state.lastFrame + CYCLE) % CYCLE;
      state.lastFrame = frame;
      c.whole++;
    },
    /** The counts since the last take (the last frame seen is kept, so the next whole frame is judged against it). */
    take(): FrameCounts {
      const out = state.counts;
      state.counts = emptyCounts();
      return out;
    },
    /** Whether the latest read showed a whole frame (the stream is on screen at these points). */
    onScreen(): boolean {
      return state.lastFrame >= 0;
    },
  };
}

export type FrameCounter = ReturnType<typeof frameCounter>;
