// The native clients, each on an Xvfb of its own, and the counter that reads their window: the same sample points
// as in the page, read with 1×1 X11 GetImage requests, all points in one round trip (x11-points.ts), in a loop,
// decoded and counted with the same rules (stripes.ts). Polling bounds what can be seen: a frame the client replaces before the next poll is never
// counted, so the loop polls every POLL_MS, several times per frame of the fastest stream here (~77 fps, 13 ms).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, startXvfb, type Tracked, type XDisplay } from '../../test/support/xvfb.ts';
import { frameCounter, type FrameCounts, type Palette } from './stripes.ts';
import { openX11Points } from './x11-points.ts';

export const XFREERDP = '/usr/bin/xfreerdp';
export const VIEWER = '/usr/bin/xtigervncviewer';
/** Pause between two polls; one poll (six 1×1 reads in one round trip on a local socket) takes a fraction of a millisecond. */
const POLL_MS = 2;
const START_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PollTake {
  counts: FrameCounts;
  ms: number;
  /** Milliseconds the polls took (wall time, mostly waiting for the X server, which serves the client's drawing too). */
  readMs: number;
}

export interface WindowCounter {
  take(): PollTake;
  onScreen(): boolean;
  stop(): Promise<void>;
}

/** Reads the points (window coordinates, offset by the window's place on the screen) until stopped. */
export async function countWindow(display: string, points: Array<[number, number]>, origin: [number, number], palette: Palette): Promise<WindowCounter> {
  const px = await openX11Points(display, points.map(([x, y]) => [origin[0] + x, origin[1] + y]));
  const counter = frameCounter(palette, points.map((p) => p[0]));
  let running = true;
  let since = performance.now();
  let readMs = 0;
  let failure: Error | undefined;
  // A read fails when the X server goes away (stopped, or killed on Ctrl+C): the loop ends and says why.
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      counter.read(await px.read());
      readMs += performance.now() - t;
      await sleep(POLL_MS);
    }
  })().catch((err: unknown) => {
    failure = err instanceof Error ? err : new Error(String(err));
  });
  return {
    take() {
      if (failure) throw new Error(`reading the client's window failed: ${failure.message}`);
      const now = performance.now();
      const out = { counts: counter.take(), ms: now - since, readMs };
      since = now;
      readMs = 0;
      return out;
    },
    onScreen: () => counter.onScreen(),
    stop: async () => {
      running = false;
      await loop;
      px.close();
    },
  };
}

/** A native client on its display, counted. */
export interface NativeClient {
  counter: WindowCounter;
  proc: Tracked;
  stop(): Promise<void>;
}

/** Waits (bounded) until the counter has seen a whole frame of the stream, or the client exits. */
async function untilOnScreen(c: WindowCounter, proc: Tracked, what: string): Promise<void> {
  const t0 = Date.now();
  while (!c.onScreen()) {
    c.take(); // throws if the window cannot be read
    if (proc.exited()) throw new Error(`${what} exited:\n${proc.output()}`);
    if (Date.now() - t0 > START_TIMEOUT_MS) throw new Error(`${what}: no stream frame on screen within ${START_TIMEOUT_MS} ms:\n${proc.output()}`);
    await sleep(50);
  }
}

/** An Xvfb for a native client, with a pixel reader on it. */
export interface ClientScreen {
  x: XDisplay;
  home: string;
  stop(): Promise<void>;
}

export async function startClientScreen(width: number, height: number): Promise<ClientScreen> {
  const x = await startXvfb({ width, height });
  // The viewers keep settings and history under $HOME: a private one, removed afterwards.
  const home = mkdtempSync(join(tmpdir(), 'stream-client-home-'));
  return {
    x,
    home,
    stop: async () => {
      await x.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * xfreerdp with its defaults but for the desktop size and certificate handling. With no window manager its window sits
 * at +0+0 without decorations, so window and screen coordinates agree.
 */
export async function startXfreerdp(screen: ClientScreen, port: number, width: number, height: number, extra: string[], points: Array<[number, number]>, palette: Palette): Promise<NativeClient> {
  const proc = spawnTracked(XFREERDP, [`/v:127.0.0.1:${port}`, '/cert:ignore', `/size:${width}x${height}`, ...extra], {
    ...process.env,
    DISPLAY: screen.x.display,
    HOME: screen.home,
  });
  let counter: WindowCounter | undefined;
  const stop = async () => {
    await counter?.stop();
    await proc.stop();
  };
  try {
    counter = await countWindow(screen.x.display, points, [0, 0], palette);
    await untilOnScreen(counter, proc, 'xfreerdp');
  } catch (err) {
    await stop();
    throw err;
  }
  return { counter, proc, stop };
}

/** The viewer window's place on the root window (FLTK places it itself without a window manager), polled with xwininfo. */
async function viewerOrigin(screen: ClientScreen, proc: Tracked, width: number, height: number): Promise<[number, number]> {
  const t0 = Date.now();
  const geometry = new RegExp(`"TigerVNC Viewer"\\)\\s+${width}x${height}\\S*\\s+\\+(-?\\d+)\\+(-?\\d+)`);
  while (Date.now() - t0 < START_TIMEOUT_MS && !proc.exited()) {
    const tree = execFileSync('xwininfo', ['-root', '-tree'], { env: { ...process.env, DISPLAY: screen.x.display }, encoding: 'utf8', timeout: 5000 });
    const m = geometry.exec(tree);
    if (m) return [Number(m[1]), Number(m[2])];
    await sleep(100);
  }
  throw new Error(`no ${width}x${height} TigerVNC window:\n${proc.output()}`);
}

/** xtigervncviewer with its defaults (automatic encoding choice), on a screen a little larger than the remote one. */
export async function startViewer(screen: ClientScreen, port: number, width: number, height: number, points: Array<[number, number]>, palette: Palette): Promise<NativeClient> {
  const proc = spawnTracked(VIEWER, [`127.0.0.1::${port}`], { ...process.env, DISPLAY: screen.x.display, HOME: screen.home });
  let counter: WindowCounter | undefined;
  const stop = async () => {
    await counter?.stop();
    await proc.stop();
  };
  try {
    const origin = await viewerOrigin(screen, proc, width, height);
    counter = await countWindow(screen.x.display, points, origin, palette);
    await untilOnScreen(counter, proc, 'xtigervncviewer');
  } catch (err) {
    await stop();
    throw err;
  }
  return { counter, proc, stop };
}
