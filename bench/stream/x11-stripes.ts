// An X client that keeps a real X server's screen changing with the benchmark's stripes (stripes.ts), spoken in the
// X11 protocol directly (no Xlib binding in Node; spawning xdotool per step would cost more CPU than the stream):
//
// - 'move': an override-redirect window (no window manager here) over the lower half of the screen, wider than the
//   screen by one colour cycle and filled with the stripes by its background tile, moved 16 pixels left a step. What
//   a desktop shows when a window is dragged: the X server copies the window's bits and the server under test sees
//   the region change, as with a real application.
// - 'repaint': the whole root window filled with the tiled stripes, shifted one stripe a step: every pixel changes
//   each step, like the demo desktop's full-screen animation.
//
// Either way the stripe at screen column c shows X11_PALETTE[(c + step) mod 64] inside the changing region. Each step
// waits for the X server to have done the previous one (a GetInputFocus round trip), so a step counted as drawn is
// on the X server's screen, and a busy X server slows the source down instead of queueing requests without bound.
import { connect, type Socket } from 'node:net';
import { CYCLE, STRIPE, X11_PALETTE } from './stripes.ts';

export interface StripesOptions {
  display: string;
  mode: 'move' | 'repaint';
  /** Steps per second the source aims at. */
  rate: number;
}

export interface StripesSource {
  /** Steps drawn (and acknowledged by the X server) since the start. */
  steps(): number;
  stop(): Promise<void>;
}

const OP = {
  createWindow: 1,
  mapWindow: 8,
  configureWindow: 12,
  getInputFocus: 43,
  createPixmap: 53,
  createGC: 55,
  changeGC: 56,
  polyFillRectangle: 70,
} as const;
/** GC value-mask bits used here (X11 protocol, CreateGC). */
const GC = { foreground: 0x4, fillStyle: 0x100, tile: 0x400, tileXOrigin: 0x1000, graphicsExposures: 0x10000 } as const;
const FILL_TILED = 1;
const CW = { backPixmap: 0x1, overrideRedirect: 0x200 } as const;

/** A request: opcode, the byte after it, then 32-bit words (16-bit fields packed by the caller). */
function request(opcode: number, data: number, words: number[]): Buffer {
  const b = Buffer.alloc(4 + words.length * 4);
  b[0] = opcode;
  b[1] = data;
  b.writeUInt16LE(1 + words.length, 2);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 + i * 4));
  return b;
}
/** Two 16-bit fields in one word (little-endian: the first in the low half). */
const pair = (lo: number, hi: number) => ((lo & 0xffff) | ((hi & 0xffff) << 16)) >>> 0;

export async function startStripes(opts: StripesOptions): Promise<StripesSource> {
  const n = /^:(\d+)$/.exec(opts.display)?.[1];
  if (n === undefined) throw new Error(`not a local display: ${opts.display}`);
  const sock: Socket = connect(`/tmp/.X11-unix/X${n}`);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });

  let buf = Buffer.alloc(0);
  let setupDone: ((b: Buffer) => void) | undefined;
  const roundTrips: Array<() => void> = [];
  let failure: Error | undefined;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (setupDone) {
      if (buf.length < 8) return;
      const size = 8 + buf.readUInt16LE(6) * 4;
      if (buf.length < size) return;
      const reply = buf.subarray(0, size);
      buf = buf.subarray(size);
      const done = setupDone;
      setupDone = undefined;
      done(reply);
    }
    // Errors, replies and events: 32 bytes each, replies with 4 × length more.
    while (!setupDone && buf.length >= 32) {
      const size = buf[0] === 1 ? 32 + buf.readUInt32LE(4) * 4 : 32;
      if (buf.length < size) return;
      const msg = buf.subarray(0, size);
      buf = buf.subarray(size);
      if (msg[0] === 0) failure ??= new Error(`X error ${msg[1]} (request ${msg[10]}) on ${opts.display}`);
      else if (msg[0] === 1) roundTrips.shift()?.();
    }
  });
  sock.on('error', (e) => (failure ??= e));

  const setup = Buffer.alloc(12);
  setup[0] = 0x6c; // little-endian, protocol 11.0, no authorisation (our X servers run without -auth)
  setup.writeUInt16LE(11, 2);
  const reply = await new Promise<Buffer>((resolve) => {
    setupDone = resolve;
    sock.write(setup);
  });
  if (reply[0] !== 1) {
    sock.destroy();
    throw new Error(`X display ${opts.display} refused the connection`);
  }
  const idBase = reply.readUInt32LE(12);
  const vendorLen = reply.readUInt16LE(24);
  const formats = reply[29];
  const screen = 40 + Math.ceil(vendorLen / 4) * 4 + formats * 8;
  const root = reply.readUInt32LE(screen);
  const width = reply.readUInt16LE(screen + 20);
  const height = reply.readUInt16LE(screen + 22);
  const depth = reply[screen + 38];
  let nextId = 0;
  const newId = () => idBase | nextId++;

  const sync = () =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      roundTrips.push(resolve);
      sock.write(request(OP.getInputFocus, 0, []));
    });

  // The tile: one colour cycle of stripes, 1024 × 8 pixels.
  const tileW = CYCLE * STRIPE;
  const tile = newId();
  sock.write(request(OP.createPixmap, depth, [tile, root, pair(tileW, 8)]));
  const pen = newId();
  sock.write(request(OP.createGC, 0, [pen, tile, GC.foreground | GC.graphicsExposures, 0, 0]));
  X11_PALETTE.colors.forEach(([r, g, b], i) => {
    sock.write(request(OP.changeGC, 0, [pen, GC.foreground, (r << 16) | (g << 8) | b]));
    sock.write(request(OP.polyFillRectangle, 0, [tile, pen, pair(i * STRIPE, 0), pair(STRIPE, 8)]));
  });

  let draw: (step: number) => void;
  if (opts.mode === 'move') {
    const top = Math.floor(height / 2 / STRIPE) * STRIPE;
    const win = newId();
    sock.write(
      request(OP.createWindow, 0 /* CopyFromParent depth */, [
        win,
        root,
        pair(0, top),
        pair(width + tileW, height - top),
        pair(0, 1 /* InputOutput */),
        0 /* CopyFromParent visual */,
        CW.backPixmap | CW.overrideRedirect,
        tile,
        1,
      ]),
    );
    sock.write(request(OP.mapWindow, 0, [win]));
    // ConfigureWindow x: INT16 sign-extended to the 32-bit value slot.
    draw = (step) => sock.write(request(OP.configureWindow, 0, [win, pair(0x1, 0), -((step % CYCLE) * STRIPE)]));
  } else {
    const brush = newId();
    sock.write(request(OP.createGC, 0, [brush, root, GC.fillStyle | GC.tile | GC.graphicsExposures, FILL_TILED, tile, 0]));
    draw = (step) => {
      sock.write(request(OP.changeGC, 0, [brush, GC.tileXOrigin, -((step % CYCLE) * STRIPE)]));
      sock.write(request(OP.polyFillRectangle, 0, [root, brush, pair(0, 0), pair(width, height)]));
    };
  }
  draw(0);
  await sync();

  let drawn = 0;
  let running = true;
  const t0 = performance.now();
  const period = 1000 / opts.rate;
  // Steps follow the clock (step k at t0 + k × period); a late timer skips steps rather than bunching them.
  const loop = (async () => {
    let last = 0;
    while (running && !failure) {
      const step = Math.floor((performance.now() - t0) / period);
      if (step !== last) {
        last = step;
        draw(step);
        await sync();
        drawn++;
      }
      const wait = t0 + (last + 1) * period - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    }
  })().catch((err: unknown) => {
    // The X server went away: drawing stops, and stop() says why.
    failure ??= err instanceof Error ? err : new Error(String(err));
  });
  return {
    steps: () => drawn,
    stop: async () => {
      running = false;
      await loop;
      sock.destroy();
      if (failure) throw failure;
    },
  };
}
