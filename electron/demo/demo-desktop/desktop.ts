import { EventEmitter } from 'node:events';
import { Framebuffer } from './framebuffer.ts';
import { drawScene, isPoweredOff, type BandRect, type SceneState } from './scene.ts';

export const TILE = 64;

/**
 * Scratch pictures by size, shared by every view of that size across the demo's desktops. A view draws the whole
 * scene into one and compares it with its own picture, synchronously, so no two views need a scratch at the same
 * time; sharing saves a full picture (3 MB at 1024×768) per desktop that has a session.
 */
const scratches = new Map<string, { fb: Framebuffer; users: number }>();

function takeScratch(width: number, height: number): Framebuffer {
  const key = `${width}x${height}`;
  let s = scratches.get(key);
  if (!s) scratches.set(key, (s = { fb: new Framebuffer(width, height), users: 0 }));
  s.users++;
  return s.fb;
}

function returnScratch(fb: Framebuffer): void {
  const key = `${fb.width}x${fb.height}`;
  const s = scratches.get(key);
  if (s?.fb === fb && --s.users <= 0) scratches.delete(key);
}

/** One tile as a session sends it, and the tile version it shows. */
export interface EncodedTile {
  version: number;
  data: Buffer;
}

/**
 * The current picture of a desktop at one size. Tiles carry version numbers that change only when their pixels
 * change, so each session sends exactly the tiles that differ from what it last sent (dirty rectangles), and a
 * slow session simply skips intermediate versions.
 */
export class DesktopView {
  readonly fb: Framebuffer;
  readonly cols: number;
  readonly rows: number;
  readonly versions: Uint32Array;
  private scratch: Framebuffer | null;
  private counter = 1;
  users = 0;
  /** Where the animated band is in the current picture (null when none is drawn). */
  band: BandRect | null = null;
  /** Encoded tiles cached per encoding and version, so several sessions of one size encode each change once. */
  readonly encoded = { planar: new Map<number, EncodedTile>(), rle24: new Map<number, EncodedTile>() };

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.fb = new Framebuffer(width, height);
    this.scratch = takeScratch(width, height);
    this.cols = Math.ceil(width / TILE);
    this.rows = Math.ceil(height / TILE);
    this.versions = new Uint32Array(this.cols * this.rows);
  }

  /** Draws the scene and bumps the version of every tile whose pixels changed. */
  render(state: SceneState): void {
    if (!this.scratch) return; // released: no session shows this view any more
    this.band = drawScene(this.scratch, state);
    const a = this.scratch.data;
    const b = this.fb.data;
    const stride = this.fb.stride;
    for (let ty = 0; ty < this.rows; ty++) {
      const y0 = ty * TILE;
      const y1 = Math.min(this.height, y0 + TILE);
      for (let tx = 0; tx < this.cols; tx++) {
        const x0 = tx * TILE * 4;
        const x1 = Math.min(this.width, (tx + 1) * TILE) * 4;
        let changed = false;
        for (let y = y0; y < y1 && !changed; y++) {
          const o = y * stride;
          if (a.compare(b, o + x0, o + x1, o + x0, o + x1) !== 0) changed = true;
        }
        if (!changed) continue;
        for (let y = y0; y < y1; y++) a.copy(b, y * stride + x0, y * stride + x0, y * stride + x1);
        this.versions[ty * this.cols + tx] = ++this.counter;
      }
    }
  }

  /** The last session of this size left: its scratch goes back to the pool. */
  release(): void {
    if (this.scratch) returnScratch(this.scratch);
    this.scratch = null;
  }

  tileRect(index: number): { x: number; y: number; w: number; h: number } {
    const tx = index % this.cols;
    const ty = Math.floor(index / this.cols);
    const x = tx * TILE;
    const y = ty * TILE;
    return { x, y, w: Math.min(TILE, this.width - x), h: Math.min(TILE, this.height - y) };
  }
}

export interface DemoDesktopOptions {
  id: string;
  name: string;
  status?: string;
  /** Frames per second of the animated region; 0 keeps it still (the clock still ticks each second). */
  fps?: number;
  animation?: 'box' | 'fullscreen';
  now?: () => number;
}

/**
 * One VM's desktop: state shared by every session connected to it (typed text, pointer position, clock,
 * animation). Emits 'frame' after each redraw; sessions listen and send their dirty tiles.
 */
export class DemoDesktop extends EventEmitter {
  readonly id: string;
  name: string;
  status: string;
  typed = '';
  /** How many times Ctrl+Alt+Del arrived (shown on screen, as a console's secure attention screen would react). */
  secureAttentions = 0;
  mouse: { x: number; y: number } | null = null;
  /** This machine's clipboard text: offered to clients with a clipboard channel; Ctrl+C copies the typed line. */
  clipboard: string;
  /** The last text a client handed over through its clipboard channel (shown on screen). */
  pasted = '';
  fps: number;
  animation: 'box' | 'fullscreen';
  private frame = 0;
  private views = new Map<string, DesktopView>();
  private timer: NodeJS.Timeout | null = null;
  private lastSecond = -1;
  private redrawQueued = false;
  private readonly now: () => number;
  /** While the VM is paused: the scene as it was, shown to every view, new ones included; nothing changes. */
  private frozenScene: SceneState | null = null;

  constructor(opts: DemoDesktopOptions) {
    super();
    this.setMaxListeners(0);
    this.id = opts.id;
    this.name = opts.name;
    this.status = opts.status ?? 'ACTIVE';
    this.fps = Math.max(0, Math.min(120, opts.fps ?? 10));
    this.animation = opts.animation ?? 'box';
    this.now = opts.now ?? Date.now;
    this.clipboard = `demo clipboard ${opts.name}`;
  }

  get poweredOff(): boolean {
    return isPoweredOff(this.status);
  }

  /** A session of this size starts: share a view of that size, start ticking if it is the first. */
  attach(width: number, height: number): DesktopView {
    const key = `${width}x${height}`;
    let view = this.views.get(key);
    if (!view) {
      view = new DesktopView(width, height);
      this.views.set(key, view);
      view.render(this.sceneState());
    }
    view.users++;
    this.startTimer();
    return view;
  }

  detach(view: DesktopView): void {
    view.users--;
    if (view.users <= 0 && this.views.get(`${view.width}x${view.height}`) === view) {
      this.views.delete(`${view.width}x${view.height}`);
      view.release();
    }
    if (this.views.size === 0) this.stopTimer();
  }

  /** True while the VM is paused (its picture stands still and input is ignored). */
  get frozen(): boolean {
    return this.frozenScene !== null;
  }

  /** A status shown on screen (a paused desktop comes back to life first). */
  setStatus(status: string): void {
    this.frozenScene = null;
    this.status = status;
    this.requestRedraw();
  }

  /** The VM was paused: as with QEMU, connected clients keep their picture and get no updates until it runs again. */
  freeze(): void {
    this.frozenScene ??= this.sceneState();
  }

  /**
   * The VM's process ended (stopped, suspended): every session of it ends ('power-off'), and a later connection
   * shows the status on the powered-off screen.
   */
  turnOff(status: string): void {
    this.frozenScene = null;
    this.status = status;
    this.emit('power-off');
    this.requestRedraw();
  }

  /** Powered off or frozen: input changes nothing. */
  private get inert(): boolean {
    return this.poweredOff || this.frozen;
  }

  typeText(text: string): void {
    if (this.inert) return;
    this.typed = (this.typed + text).slice(-200);
    this.requestRedraw();
  }

  backspace(): void {
    if (this.inert) return;
    this.typed = this.typed.slice(0, -1);
    this.requestRedraw();
  }

  secureAttention(): void {
    if (this.inert) return;
    this.secureAttentions++;
    this.requestRedraw();
  }

  /** A client put text on this machine's clipboard. */
  receiveClipboard(text: string): void {
    if (this.frozen) return;
    this.pasted = text;
    if (!this.poweredOff) this.requestRedraw();
  }

  /** This machine's clipboard changed: sessions with a clipboard channel announce it. */
  setClipboard(text: string): void {
    if (text === this.clipboard) return;
    this.clipboard = text;
    this.emit('clipboard');
  }

  /** Ctrl+C: the typed line becomes the clipboard text (an empty line leaves it as it was). */
  copyTyped(): void {
    if (this.inert || !this.typed) return;
    this.setClipboard(this.typed);
  }

  movePointer(x: number, y: number): void {
    if (this.mouse && this.mouse.x === x && this.mouse.y === y) return;
    if (this.frozen) return;
    this.mouse = { x, y };
    if (!this.poweredOff) this.requestRedraw();
  }

  /** Moves the animation on by hand (a still desktop, fps 0, in tests): as if `frames` frames had passed. */
  advanceAnimation(frames = 1): void {
    this.frame += frames;
    this.requestRedraw();
  }

  /** Input arrives in bursts; redraw once after the burst rather than per event. */
  requestRedraw(): void {
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    setImmediate(() => {
      this.redrawQueued = false;
      this.redraw();
    });
  }

  close(): void {
    this.stopTimer();
    for (const view of this.views.values()) view.release();
    this.views.clear();
    this.removeAllListeners();
  }

  private sceneState(): SceneState {
    if (this.frozenScene) return this.frozenScene;
    return {
      name: this.name,
      id: this.id,
      status: this.status,
      typed: this.typed,
      secureAttentions: this.secureAttentions,
      pasted: this.pasted,
      mouse: this.mouse,
      clockSeconds: Math.floor(this.now() / 1000),
      frame: this.frame,
      animation: this.animation,
    };
  }

  private redraw(): void {
    if (this.views.size === 0 || this.frozen) return;
    const state = this.sceneState();
    for (const view of this.views.values()) view.render(state);
    this.emit('frame');
  }

  private startTimer(): void {
    if (this.timer) return;
    const interval = this.fps > 0 ? Math.max(5, Math.round(1000 / this.fps)) : 1000;
    this.timer = setInterval(() => this.tick(), interval);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const second = Math.floor(this.now() / 1000);
    const animate = this.fps > 0 && !this.poweredOff;
    if (animate) this.frame++;
    if (animate || second !== this.lastSecond) {
      this.lastSecond = second;
      this.redraw();
    }
  }
}
