// Page for bench/connect-vs-xfreerdp.ts: the console tab's engine (renderer/consoles/rdp/engine, IronRDP's WASM build) drawing
// into 1024×768 canvases, timed from inside the page. Driven from Playwright through window.connectBench.
import type { RdpGrant } from '../../electron/common/contract.ts';
import { createIronRdpEngine } from '../../renderer/consoles/rdp/engine/ironrdp.ts';
import type { RdpEngineSession } from '../../renderer/consoles/rdp/engine/types.ts';

export interface Probe {
  /** Canvas points that show the remote desktop's known colour once its first frame is drawn. */
  points: Array<[number, number]>;
  rgb: [number, number, number];
  tolerance: number;
  timeoutMs: number;
}

export interface Timing {
  ok: boolean;
  error?: string;
  /** From calling connect to connect() resolving (the RDP handshake through the gateway is done). */
  handshakeMs?: number;
  /** To the first animation frame at which any sampled canvas pixel differs from the canvas's initial fill. */
  firstPaintMs?: number;
  /** To the first animation frame at which every probe point shows the desktop colour. */
  desktopMs?: number;
}

const engine = createIronRdpEngine();
const sessions = new Map<string, { session: RdpEngineSession; canvas: HTMLCanvasElement }>();
const WIDTH = 1024;
const HEIGHT = 768;

function near(d: Uint8ClampedArray, rgb: [number, number, number], tol: number): boolean {
  return Math.abs(d[0] - rgb[0]) <= tol && Math.abs(d[1] - rgb[1]) <= tol && Math.abs(d[2] - rgb[2]) <= tol;
}

async function connectTimed(name: string, grant: RdpGrant, probe: Probe): Promise<Timing> {
  const canvas = document.createElement('canvas');
  canvas.id = name;
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  // Earlier sessions stay open but out of sight, as background tabs are.
  for (const s of sessions.values()) s.canvas.hidden = true;
  document.body.append(canvas);
  // IronRDP asks for a plain 2D context (no attributes), so this returns the very context it will draw into.
  const ctx = canvas.getContext('2d')!;
  const grid: Array<[number, number]> = [];
  for (let y = 32; y < HEIGHT; y += 128) for (let x = 32; x < WIDTH; x += 128) grid.push([x, y]);
  const initial = grid.map(([x, y]) => ctx.getImageData(x, y, 1, 1).data.join());
  const timing: Timing = { ok: false };
  let t0 = 0;
  let done!: () => void;
  const desktop = new Promise<void>((r) => (done = r));
  const onFrame = () => {
    const t = performance.now() - t0;
    if (timing.firstPaintMs === undefined && grid.some(([x, y], i) => ctx.getImageData(x, y, 1, 1).data.join() !== initial[i])) {
      timing.firstPaintMs = t;
    }
    if (probe.points.every(([x, y]) => near(ctx.getImageData(x, y, 1, 1).data, probe.rgb, probe.tolerance))) {
      timing.desktopMs = t;
      return done();
    }
    if (t > probe.timeoutMs) return done();
    requestAnimationFrame(onFrame);
  };
  t0 = performance.now();
  requestAnimationFrame(onFrame);
  // Bounded even if animation frames stop coming.
  const guard = setTimeout(() => done(), probe.timeoutMs + 1000);
  try {
    const session = await engine.connect({ grant, canvas, width: WIDTH, height: HEIGHT });
    timing.handshakeMs = performance.now() - t0;
    sessions.set(name, { session, canvas });
    // `closed` only ever resolves (it has no failure path), so nothing is lost by not awaiting it: it just ends the
    // wait for the desktop early when the session ends.
    void session.closed.then(() => done());
  } catch (e) {
    clearTimeout(guard);
    done();
    return { ok: false, error: (e as Error).message ?? String(e) };
  }
  await desktop;
  clearTimeout(guard);
  timing.ok = timing.desktopMs !== undefined;
  if (!timing.ok) timing.error = `the desktop colour did not appear within ${probe.timeoutMs} ms`;
  return timing;
}

async function close(name: string, timeoutMs: number): Promise<void> {
  const s = sessions.get(name);
  if (!s) return;
  sessions.delete(name);
  s.session.shutdown();
  await Promise.race([s.session.closed, new Promise((r) => setTimeout(r, timeoutMs))]);
  s.canvas.remove();
}

window.connectBench = {
  init: () => engine.init().then(() => true),
  connectTimed,
  close,
  count: () => sessions.size,
};
