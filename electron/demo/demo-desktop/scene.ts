import { Framebuffer, textAdvance, textHeight } from './framebuffer.ts';

/** What one demo VM shows; everything a frame depends on, so frames are pure functions of it. */
export interface SceneState {
  name: string;
  id: string;
  status: string;
  typed: string;
  secureAttentions: number;
  /** Text a client handed over through the clipboard channel ('' when none yet). */
  pasted: string;
  mouse: { x: number; y: number } | null;
  /** Seconds since the epoch, whole seconds: the clock changes once a second. */
  clockSeconds: number;
  /** Animation frame counter, advanced at the configured frame rate. */
  frame: number;
  /** 'box' animates a band near the bottom; 'fullscreen' repaints the whole background every frame (benchmarks). */
  animation: 'box' | 'fullscreen';
}

const RUNNING_BG = 0x1d3557;
const OFF_BG = 0x111111;
const WHITE = 0xffffff;
const DIM = 0xa8b8cc;
const ACCENT = 0xffd166;

/** Where the animated band is, when one is drawn. */
export interface BandRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * The band's bars move left by this many pixels each animation frame: what was at x + 8 is at x one frame later.
 * The VNC demo desktop sends that as a scroll (one CopyRect, then the strip that came in on the right).
 */
export const BAND_SHIFT_PER_FRAME = 8;

export function isPoweredOff(status: string): boolean {
  return /^(SHUTOFF|STOPPED|SHELVED|SHELVED_OFFLOADED|SUSPENDED|PAUSED|DELETED|SOFT_DELETED)$/i.test(status);
}

/** Largest whole scale (capped) at which `text` fits in `width` pixels. */
function fitScale(text: string, width: number, max: number): number {
  const s = Math.floor(width / Math.max(1, text.length * textAdvance(1)));
  return Math.max(1, Math.min(max, s));
}

function clockText(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

/** Draws the scene; returns where the animated band is (null when none is drawn). */
export function drawScene(fb: Framebuffer, s: SceneState): BandRect | null {
  const W = fb.width;
  const H = fb.height;
  const margin = Math.max(8, Math.floor(W / 32));
  const off = isPoweredOff(s.status);
  if (!off && s.animation === 'fullscreen') {
    // Every pixel changes each frame: vertical stripes whose colours shift with the frame number. One row is drawn
    // and copied down whole: a stripe at a time, it was a short copy per stripe and row, most of the server's time
    // per frame at 1920×1080.
    for (let x = 0; x < W; x += 16) {
      const t = (x / 16 + s.frame) % 64;
      const shade = 0x20 + t * 2;
      fb.fillRect(x, 0, 16, 1, (0x10 << 16) | (shade << 8) | (0x60 + (t & 0x1f)));
    }
    fb.repeatRowDown(0, H - 1);
  } else {
    fb.fillRect(0, 0, W, H, off ? OFF_BG : RUNNING_BG);
  }
  let y = margin;
  const nameScale = fitScale(s.name, W - 2 * margin, 10);
  fb.drawText(s.name, margin, y, nameScale, WHITE);
  y += textHeight(nameScale) + margin;
  const small = Math.max(1, Math.min(3, Math.floor(W / 340)));
  const line = (text: string, color = DIM): void => {
    fb.drawText(text, margin, y, small, color);
    y += textHeight(small) + Math.ceil(small * 4);
  };
  line(`ID ${s.id}`);
  if (off) {
    line(`STATUS ${s.status.toUpperCase()}`, ACCENT);
    y += margin;
    const msg = 'POWERED OFF';
    const sc = fitScale(msg, W - 2 * margin, 6);
    fb.drawText(msg, margin, y, sc, ACCENT);
    return null;
  }
  line(`STATUS ${s.status.toUpperCase()}`, ACCENT);
  line(clockText(s.clockSeconds), WHITE);
  y += small * 4;
  const maxChars = Math.max(1, Math.floor((W - 2 * margin) / textAdvance(small)) - 7);
  const typed = s.typed.length > maxChars ? s.typed.slice(-maxChars) : s.typed;
  line(`TYPED ${typed}_`, WHITE);
  line(s.mouse ? `MOUSE ${s.mouse.x},${s.mouse.y}` : 'MOUSE -', DIM);
  if (s.secureAttentions > 0) line(`CTRL+ALT+DEL x${s.secureAttentions}`, ACCENT);
  if (s.pasted) {
    // One line: line breaks and tabs become spaces, the end of a long text is shown.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach the screen
    const flat = s.pasted.replace(/[\x00-\x1f\x7f]+/g, ' ');
    const room = Math.max(1, maxChars - 3);
    line(`CLIPBOARD ${flat.length > room ? flat.slice(-room) : flat}`, WHITE);
  }
  if (s.animation === 'box') {
    // A band of moving colour bars: a steady stream of small updates at the configured frame rate.
    const bw = Math.min(256, W - 2 * margin);
    const bh = Math.min(64, Math.max(8, H - y - margin));
    const bx = W - margin - bw;
    const by = H - margin - bh;
    for (let x = 0; x < bw; x += BAND_SHIFT_PER_FRAME) {
      const t = ((x >> 3) + s.frame) & 31;
      fb.fillRect(bx + x, by, 8, bh, ((t * 8) << 16) | (0x80 << 8) | (255 - t * 8));
    }
    return { x: bx, y: by, w: bw, h: bh };
  }
  return null;
}
