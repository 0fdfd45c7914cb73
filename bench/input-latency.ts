// Benchmark group `input`: from a key pressed in the page to its echo painted on the RDP display, on the embedded
// demo cloud in browser mode. The demo desktop writes what is typed into it on its "TYPED …" line, so each key's
// echo is a change of that line's pixels on the tab's canvas.
//
// In the page (driven by Playwright, whose keyboard.press goes through the browser's input pipeline): a capturing
// keydown listener notes performance.now() when the key's event is dispatched, and a requestAnimationFrame loop reads
// the typed line's pixels from the canvas each frame; the first frame whose pixels differ from those before the key
// is the echo's frame. In the app's RDP worker (IronRDP runs there and sends the page the regions it drew): when
// the key's input went out on its WebSocket, when the reply arrived, and the end of the task in which IronRDP drew
// the changed line. In this process (which hosts the demo desktops in browser mode): when the gateway got the input,
// when the desktop got the character and when its frame was handed to the session's socket, i.e. the server's own
// time, which a real Hyper-V host would spend too. The marks split the total into stages; the three clocks meet
// through their time origins.
//
//   npx tsx bench/input-latency.ts [--keys 40] [--fps N]
//
// --fps sets the demo desktops' animation rate (0: a still desktop, only the clock ticks), to see how much of the
// time is the desktop's own animation competing with the key.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { Framebuffer } from '../electron/demo/demo-desktop/framebuffer.ts';
import { drawScene, type SceneState } from '../electron/demo/demo-desktop/scene.ts';
import type { DemoDesktop } from '../electron/demo/demo-desktop/desktop.ts';
import type { MockCloudServer } from '../electron/demo/cloud/index.ts';
import { RelaySession } from '../electron/rdp/relay-session.ts';
import { withBenchApp, type BenchApp } from './common/app.ts';
import { emitResult } from './result.ts';
import { stats } from './stats.ts';
import { DEMO_TREE, openTab } from './soak/tabs.ts';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '40' }, fps: { type: 'string' } }, strict: true });
const KEYS = Math.max(5, Math.min(500, Math.round(Number(values.keys)) || 40));
/** The demo desktops' animation rate; undefined keeps the demo's own (a live desktop, as users see it). */
const FPS = values.fps === undefined ? undefined : Math.max(0, Math.min(120, Math.round(Number(values.fps)) || 0));
const WARM_UP_KEYS = 3;
/** Letters only, neighbours all different, so every key changes the typed line even once it scrolls. */
const LETTERS = 'qwertyuiopasdfghjklzxcvbnm';
/** An echo not painted within this time counts as lost (and the run fails: something is broken). */
const ECHO_TIMEOUT_MS = 3000;

interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One key in the page: dispatch and echo times (performance.now(), ms) and how many frames it took. */
interface EchoTiming {
  keydownAt: number;
  /** performance.now() in the animation-frame callback that first saw the echo. */
  paintedAt: number;
  /** performance.now() after the first putImageData on the display, after the key, that covered the typed line. */
  putAt: number;
  /** Animation frames that began after the keydown, the echo's included. */
  frames: number;
  /** Time the probe itself spent reading and comparing pixels per animation frame (its own cost, ms). */
  probeMs: number[];
  /** The page's time origin (epoch ms): puts page times on this process's clock. */
  timeOrigin: number;
  /** The typed line changed before any key was pressed (it should not: nothing else draws there). */
  changedBeforeKey: boolean;
}

/** The worker's side of one key (worker clock). */
interface WorkerEcho {
  /** When the worker first sent on a WebSocket after the probe was armed (IronRDP's input PDU to the gateway). */
  sentAt?: number;
  /** What that send passed: "Blob", "ArrayBuffer", "Uint8Array", … */
  sentKind?: string;
  /** What that socket received from the send on: arrival times (the events' own time stamps). */
  arrivals: number[];
  /** After the task in which IronRDP drew the changed typed line: its regions then go to the page. */
  echoAt?: number;
  /** Time the probe itself spent reading and comparing pixels per read (its own cost, ms). */
  probeMs: number[];
  timeOrigin: number;
  /** The typed line changed before the key's input went out (it should not: nothing else draws there). */
  changedBeforeKey: boolean;
}

interface ServerTiming {
  /** The app's RDP gateway got a message from the page (the key's input PDU, before it goes on to the server). */
  gatewayAt?: number;
  /** The desktop's typeText call (the key decoded from its input PDU), performance.now() of this process. */
  typedAt?: number;
  /** The first frame after it handed to the session's socket. */
  sentAt?: number;
}

function percentile(xs: number[], p: number): number {
  // Nearest rank: with 40 samples, p95 is the 38th smallest.
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const ms = (x: number) => x.toFixed(1);

/**
 * Where typed text shows on a demo desktop of this size: the pixels that differ between the scene with nothing typed
 * and with a full line typed, drawn by the demo's own scene code (a frame is a pure function of its state).
 */
function typedLineRegion(width: number, height: number, desktop: DemoDesktop): Region {
  const base: SceneState = {
    name: desktop.name,
    id: desktop.id,
    status: desktop.status,
    typed: '',
    secureAttentions: 0,
    pasted: '',
    mouse: null,
    clockSeconds: 0,
    frame: 0,
    animation: 'box',
  };
  const a = new Framebuffer(width, height);
  const b = new Framebuffer(width, height);
  drawScene(a, base);
  drawScene(b, { ...base, typed: LETTERS.repeat(10) });
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * a.stride + x * 4;
      if (a.data.readUInt32LE(o) === b.data.readUInt32LE(o)) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  if (x1 < 0) throw new Error('typed text changes nothing on the demo desktop');
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

// ---- In Chromium. These functions run in the page or in the app's RDP worker (Playwright sends their source): they
// use nothing from this module, and their helpers are object methods or anonymous callbacks (tsx wraps named inner
// functions with a helper that exists only in Node).

interface PageProbe {
  arm(): void;
  wait(timeoutMs: number): Promise<EchoTiming | null>;
}

/** Installs the echo probe on the given panel's canvas, watching `region` (canvas pixels). */
function installEchoProbe(args: { panelId: string; region: Region }): { width: number; height: number } {
  const canvas = document.getElementById(args.panelId)?.querySelector<HTMLCanvasElement>('canvas[aria-label^="Remote display"]');
  if (!canvas) throw new Error('no remote display in the panel');
  // The context IronRDP already draws with (a canvas has one 2D context; this returns it).
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('the remote display has no 2D context');
  const r = args.region;
  const probe = {
    baseline: null as Uint32Array | null,
    armed: false,
    keydownAt: 0,
    putAt: 0,
    frames: 0,
    changedBeforeKey: false,
    probeMs: [] as number[],
    done: null as EchoTiming | null,
    resolve: null as ((t: EchoTiming | null) => void) | null,
    read(): Uint32Array {
      return new Uint32Array(ctx.getImageData(r.x, r.y, r.w, r.h).data.buffer);
    },
    differs(a: Uint32Array, b: Uint32Array): boolean {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
      return false;
    },
    arm() {
      probe.baseline = probe.read();
      probe.armed = true;
      probe.keydownAt = 0;
      probe.putAt = 0;
      probe.frames = 0;
      probe.changedBeforeKey = false;
      probe.probeMs = [];
      probe.done = null;
      requestAnimationFrame(() => probe.frame());
    },
    frame() {
      if (!probe.armed) return;
      const now = performance.now();
      const pixels = probe.read();
      const changed = probe.differs(pixels, probe.baseline!);
      probe.probeMs.push(performance.now() - now);
      if (probe.keydownAt === 0) {
        // Before the key: any change is not its echo (noted, and the picture before the key is taken afresh).
        if (changed) {
          probe.changedBeforeKey = true;
          probe.baseline = pixels;
        }
      } else {
        probe.frames++;
        if (changed) {
          probe.armed = false;
          probe.done = {
            keydownAt: probe.keydownAt,
            paintedAt: now,
            putAt: probe.putAt,
            frames: probe.frames,
            probeMs: probe.probeMs,
            timeOrigin: performance.timeOrigin,
            changedBeforeKey: probe.changedBeforeKey,
          };
          probe.resolve?.(probe.done);
          return;
        }
      }
      requestAnimationFrame(() => probe.frame());
    },
    wait(timeoutMs: number): Promise<EchoTiming | null> {
      if (probe.done) return Promise.resolve(probe.done);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          probe.armed = false;
          probe.resolve = null;
          resolve(null);
        }, timeoutMs);
        probe.resolve = (t) => {
          clearTimeout(timer);
          probe.resolve = null;
          resolve(t);
        };
      });
    },
  };
  // When the page put pixels on the typed line (the worker's regions reach the canvas): the app calls putImageData on
  // this same context, so a wrapper on the instance sees each call.
  const put = Object.getOwnPropertyDescriptor(CanvasRenderingContext2D.prototype, 'putImageData')!.value as (this: CanvasRenderingContext2D, image: ImageData, x: number, y: number) => void;
  ctx.putImageData = (image: ImageData, x: number, y: number) => {
    put.call(ctx, image, x, y);
    const covers = x < r.x + r.w && x + image.width > r.x && y < r.y + r.h && y + image.height > r.y;
    if (probe.armed && probe.keydownAt !== 0 && probe.putAt === 0 && covers) probe.putAt = performance.now();
  };
  // Capturing on window: runs before the display's own listener, as the key's dispatch starts.
  window.addEventListener(
    'keydown',
    () => {
      if (probe.armed && probe.keydownAt === 0) probe.keydownAt = performance.now();
    },
    { capture: true },
  );
  (window as unknown as { __echoProbe: PageProbe }).__echoProbe = probe;
  return { width: canvas.width, height: canvas.height };
}

function armEchoProbe(): void {
  (window as unknown as { __echoProbe: PageProbe }).__echoProbe.arm();
}

function waitForEcho(timeoutMs: number): Promise<EchoTiming | null> {
  return (window as unknown as { __echoProbe: PageProbe }).__echoProbe.wait(timeoutMs);
}

interface WorkerProbe {
  /** `baseline`: the page's picture of the typed line, RGBA bytes in base64. */
  arm(baseline: string): void;
  take(): WorkerEcho;
}

/**
 * Worker side, watching `region` (canvas pixels) of the one RDP session. The app's worker sends the page the regions
 * IronRDP drew once the task that drew them has ended (a 'frame' message through the worker's postMessage); the probe
 * keeps its own copy of the typed line from those regions, starting from the page's picture of it when armed, so the
 * first message after which the line differs from before the key is when the echo was drawn and on its way.
 */
function installWorkerProbe(r: Region): void {
  type Shipped = { x: number; y: number; w: number; h: number; pixels: ArrayBuffer };
  const probe = {
    line: new Uint8ClampedArray(r.w * r.h * 4),
    baseline: new Uint8ClampedArray(0),
    armed: false,
    echo: null as WorkerEcho | null,
    watched: new WeakSet<WebSocket>(),
    differs(a: Uint8ClampedArray, b: Uint8ClampedArray): boolean {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
      return false;
    },
    arm(baseline: string) {
      const bytes = atob(baseline);
      probe.baseline = new Uint8ClampedArray(bytes.length);
      for (let i = 0; i < bytes.length; i++) probe.baseline[i] = bytes.charCodeAt(i);
      probe.line = probe.baseline.slice();
      probe.armed = true;
      probe.echo = { arrivals: [], probeMs: [], timeOrigin: performance.timeOrigin, changedBeforeKey: false };
    },
    take(): WorkerEcho {
      probe.armed = false;
      return probe.echo!;
    },
    /**
     * A WebSocket send: the first fast-path input PDU after arming is the key's input going out; that socket's
     * messages are then timed. IronRDP also sends a Frame Acknowledge for every frame the desktop draws (a slow-path
     * PDU, at least 20 bytes with its TPKT, X.224, MCS and share headers), which is not the key: one key's fast-path
     * input is a few bytes. Sizes, not bytes, tell them apart: reading a Blob here would delay the key itself.
     */
    sending(ws: WebSocket, data: unknown) {
      const e = probe.echo;
      if (!probe.armed || !e || e.sentAt !== undefined) return;
      // The app's worker hands IronRDP an OutgoingBytes where it asks for a Blob (renderer/…/outgoing-bytes.ts).
      const payload = (data as { payload?: unknown } | null)?.payload;
      const size =
        data instanceof Blob ? data.size : data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? data.byteLength : payload instanceof ArrayBuffer ? payload.byteLength : Infinity;
      if (size >= 20) return;
      e.sentAt = performance.now();
      e.sentKind = payload instanceof ArrayBuffer ? 'OutgoingBytes' : Object.prototype.toString.call(data).slice(8, -1);
      if (probe.watched.has(ws)) return;
      probe.watched.add(ws);
      // The event's own time stamp (taken as it was created): IronRDP's listener, added first, runs before this one,
      // and may already have drawn and shipped the echo from this very message.
      ws.addEventListener('message', (m) => {
        const echo = probe.echo;
        if (probe.armed && echo?.sentAt !== undefined && (echo.echoAt === undefined || m.timeStamp <= echo.echoAt)) echo.arrivals.push(m.timeStamp);
      });
    },
    /** Regions about to go to the page (before their buffers are transferred): copied into the line where they cover it. */
    shipping(regions: Shipped[]) {
      const e = probe.echo;
      if (!probe.armed || !e || e.echoAt !== undefined) return;
      const t = performance.now();
      let touched = false;
      for (const g of regions) {
        const x0 = Math.max(g.x, r.x);
        const x1 = Math.min(g.x + g.w, r.x + r.w);
        const y0 = Math.max(g.y, r.y);
        const y1 = Math.min(g.y + g.h, r.y + r.h);
        if (x0 >= x1 || y0 >= y1) continue;
        touched = true;
        const src = new Uint8ClampedArray(g.pixels);
        for (let y = y0; y < y1; y++) {
          const from = ((y - g.y) * g.w + (x0 - g.x)) * 4;
          probe.line.set(src.subarray(from, from + (x1 - x0) * 4), ((y - r.y) * r.w + (x0 - r.x)) * 4);
        }
      }
      if (!touched) return;
      const changed = probe.differs(probe.line, probe.baseline);
      e.probeMs.push(performance.now() - t);
      if (!changed) return;
      if (e.sentAt === undefined) {
        // Before the key's input went out: not its echo (noted; the picture before the key is taken afresh).
        e.changedBeforeKey = true;
        probe.baseline = probe.line.slice();
      } else e.echoAt = t;
    },
  };
  // Through the prototype and the global: IronRDP's socket is already open, and the worker looks postMessage up on
  // its global scope at each call.
  const nativeSend = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'send')!.value as WebSocket['send'];
  WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
    probe.sending(this, data);
    return nativeSend.call(this, data);
  };
  const scope = globalThis as unknown as { postMessage: (...a: unknown[]) => void };
  const nativePost = scope.postMessage;
  scope.postMessage = function (...args: unknown[]) {
    const m = args[0] as { op?: string; regions?: Shipped[] } | null;
    if (m?.op === 'frame' && m.regions) probe.shipping(m.regions);
    return nativePost.apply(globalThis, args);
  };
  (globalThis as unknown as { __echoProbe: WorkerProbe }).__echoProbe = probe;
}

function armWorkerProbe(baseline: string): void {
  (globalThis as unknown as { __echoProbe: WorkerProbe }).__echoProbe.arm(baseline);
}

/**
 * The page's picture of the typed line now (RGBA bytes, base64), for the worker probe's baseline. A string rather than
 * an array of numbers: Playwright checks an array's every element on its way through this process, which hosts the
 * gateway and the demo desktop, and the garbage of tens of thousands of them made the event loop late during the keys.
 */
function typedLinePixels(): string {
  const bytes = new Uint8Array((window as unknown as { __echoProbe: PageProbe & { read(): Uint32Array } }).__echoProbe.read().buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x2000) text += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
  return btoa(text);
}

/** The worker's side of the key so far (it keeps recording until the next arm). */
function peekWorkerProbe(): WorkerEcho {
  const p = (globalThis as unknown as { __echoProbe: WorkerProbe & { echo: WorkerEcho } }).__echoProbe;
  return p.echo;
}

/** The page's frame interval: deltas between consecutive animation frames over about a second. */
function frameIntervals(): Promise<number[]> {
  return new Promise((resolve) => {
    const out: number[] = [];
    let last = 0;
    const state = {
      step(t: number) {
        if (last) out.push(t - last);
        last = t;
        if (out.length >= 60) resolve(out);
        else requestAnimationFrame((t2) => state.step(t2));
      },
    };
    requestAnimationFrame((t) => state.step(t));
  });
}

// ---- In this process.

function findDesktop(app: BenchApp, server: MockCloudServer): DemoDesktop {
  const desktops = app.host.app.demo!.consoleHost.desktops;
  const desktop = desktops.get(server.vm_id) ?? desktops.get(server.id) ?? [...desktops.values()].find((d) => d.name === server.name);
  if (!desktop) throw new Error(`no demo desktop serves ${server.name}`);
  return desktop;
}

/**
 * Notes, for the key being measured, when the desktop got its character and when the next frame left. The frame
 * listener is added after the session's (which registered when it became active), so it runs once the session has
 * encoded the changed tiles and written them to its socket. The gateway's relay sessions are watched too (through
 * their class: the session object is the gateway's own), for when the key's message reached this process. Returns
 * what takes the instrumentation off again.
 */
function instrument(desktop: DemoDesktop, current: () => ServerTiming | undefined): () => void {
  const relay = RelaySession.prototype;
  const onClientMessage = Object.getOwnPropertyDescriptor(relay, 'onClientMessage')!;
  const relayOriginal = onClientMessage.value as RelaySession['onClientMessage'];
  relay.onClientMessage = function onClientMessageTimed(this: RelaySession, data: Buffer) {
    const t = current();
    // The key's input is a fast-path PDU (action bits 0); a slow-path one (TPKT, 0x03) is a frame acknowledgement.
    if (t && t.gatewayAt === undefined && (data[0] & 0x3) === 0) t.gatewayAt = performance.now();
    return relayOriginal.call(this, data);
  };
  // On the instance, over the class's method (which the instance's own property shadows until it is deleted again).
  const original = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(desktop) as object, 'typeText')!.value as DemoDesktop['typeText'];
  desktop.typeText = function typeTextTimed(this: DemoDesktop, text: string) {
    const t = current();
    if (t && t.typedAt === undefined) t.typedAt = performance.now();
    return original.call(this, text);
  };
  const onFrame = () => {
    const t = current();
    if (t && t.typedAt !== undefined && t.sentAt === undefined) t.sentAt = performance.now();
  };
  desktop.on('frame', onFrame);
  return () => {
    Object.defineProperty(relay, 'onClientMessage', onClientMessage);
    desktop.off('frame', onFrame);
    delete (desktop as Partial<DemoDesktop>).typeText;
  };
}

await withBenchApp('input', { fps: FPS }, async (app) => {
  const { page } = app;
  const t0 = performance.now();
  await page.goto(app.host.url);
  await page.getByRole('tree', { name: DEMO_TREE }).getByRole('treeitem').first().waitFor({ timeout: 60_000 });
  const server = app.host.app.demo!.demoCloud.info.servers.find((s) => s.hypervisor_type === 'hyperv' && s.status === 'ACTIVE' && s.power_state === 1);
  if (!server) throw new Error('the demo cloud has no running Hyper-V server');
  const tab = await openTab(app, { protocol: 'rdp', server, via: 'menu' });
  if (tab.connectMs === undefined) throw new Error(`${server.name}: the RDP tab did not connect`);
  console.log(`input: app up and ${server.name} connected over RDP in ${((performance.now() - t0) / 1000).toFixed(1)} s (tab connect ${tab.connectMs.toFixed(0)} ms)`);

  const desktop = findDesktop(app, server);
  const canvas = page.locator(`#${tab.panelId} canvas[aria-label^="Remote display"]`);
  const size = await canvas.evaluate((c: HTMLCanvasElement) => ({ width: c.width, height: c.height }));
  const region = typedLineRegion(size.width, size.height, desktop);
  console.log(
    `input: desktop ${size.width}×${size.height}, animation ${desktop.fps} fps; echo watched in the typed line x ${region.x}–${region.x + region.w - 1}, y ${region.y}–${region.y + region.h - 1}`,
  );
  // Focus the display with a click below the typed line (the pointer's own line changes then, not the typed one).
  const box = await canvas.boundingBox();
  if (!box) throw new Error('the remote display has no size on screen');
  await canvas.click({ position: { x: box.width / 2, y: box.height * 0.8 } });
  await delay(1000);
  await page.evaluate(installEchoProbe, { panelId: tab.panelId, region });
  const worker = page.workers().find((w) => w.url().endsWith('/rdp-worker.js'));
  if (!worker) throw new Error('the page has no RDP worker: this benchmark measures the app as it runs in Chromium and Electron, with IronRDP in its worker');
  await worker.evaluate(installWorkerProbe, region);

  const intervals = await page.evaluate(frameIntervals);
  const frameMs = stats(intervals).median;
  console.log(`input: page frame interval ${ms(frameMs)} ms (median of ${intervals.length}; ${(1000 / frameMs).toFixed(0)} Hz)`);

  let current: ServerTiming | undefined;
  const undo = instrument(desktop, () => current);
  const latency: number[] = [];
  const server_: number[] = [];
  const frames: number[] = [];
  const probeMs: number[] = [];
  const sentKinds = new Set<string>();
  // Where each key's time went, stage by stage (only keys where every mark was seen). Stages that cross between the
  // page and this process put page times on this process's clock through the two time origins (both taken from this
  // machine's wall clock, so they agree to well under a millisecond).
  const STAGES = [
    'key down → input sent on the RDP socket (page → worker, IronRDP)',
    'RDP socket → gateway got it (Chromium, loopback, WebSocket)',
    'gateway → desktop got the key (TLS to the console host and back out of it, loopback)',
    'desktop: key → frame written (server)',
    "frame written → first bytes at the worker's RDP socket",
    'first bytes → echo drawn in the worker (it decodes the bitmap update and draws it)',
    "drawn → put on the page's canvas (the regions' message from the worker to the page)",
    "put → the page's frame that shows it (the next animation frame)",
  ] as const;
  /** The stages' keys in the result line. */
  const STAGE_KEYS = ['page_send', 'to_gateway', 'gateway_to_desktop', 'server', 'to_page', 'decode_draw', 'to_canvas', 'wait_frame'];
  const stages = new Map<string, number[]>(STAGES.map((name) => [name, []]));
  let noisy = 0;
  // How late this process's event loop ran its work meanwhile: the gateway and the demo desktop both wait on it.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  try {
    for (let i = 0; i < WARM_UP_KEYS + KEYS; i++) {
      const key = LETTERS[i % LETTERS.length];
      current = {};
      await worker.evaluate(armWorkerProbe, await page.evaluate(typedLinePixels));
      await page.evaluate(armEchoProbe);
      await page.keyboard.press(key);
      const paint = await page.evaluate(waitForEcho, ECHO_TIMEOUT_MS);
      const w = await worker.evaluate(peekWorkerProbe);
      // The worker's marks on the page's clock.
      const echo = paint && { ...paint, ...w, ...shiftTimes(w, w.timeOrigin - paint.timeOrigin), timeOrigin: paint.timeOrigin };
      const s = current;
      current = undefined;
      if (!echo) throw new Error(`key ${i + 1} ('${key}'): no echo on the display within ${ECHO_TIMEOUT_MS} ms`);
      if (i < WARM_UP_KEYS) {
        await delay(200);
        continue;
      }
      const total = echo.paintedAt - echo.keydownAt;
      latency.push(total);
      frames.push(echo.frames);
      probeMs.push(...echo.probeMs);
      if (echo.sentKind) sentKinds.add(echo.sentKind);
      if (echo.changedBeforeKey) noisy++;
      let line = `  key ${String(i - WARM_UP_KEYS + 1).padStart(2)} '${key}': ${ms(total).padStart(5)} ms (${echo.frames} frame${echo.frames === 1 ? '' : 's'})`;
      if (s.typedAt !== undefined && s.sentAt !== undefined) {
        server_.push(s.sentAt - s.typedAt);
        line += `, server ${ms(s.sentAt - s.typedAt)} ms`;
        const shift = echo.timeOrigin - performance.timeOrigin;
        // The first bytes that reached the page after the frame left: the echo's (or, rarely, an animation frame's
        // sent just before, which would make the last stage look longer and the one before it shorter).
        const arrival = echo.arrivals.find((t) => t + shift >= s.sentAt! - 0.5);
        if (echo.sentAt !== undefined && arrival !== undefined && s.gatewayAt !== undefined && echo.echoAt !== undefined && echo.putAt > 0) {
          const parts = [
            echo.sentAt - echo.keydownAt,
            s.gatewayAt - (echo.sentAt + shift),
            s.typedAt - s.gatewayAt,
            s.sentAt - s.typedAt,
            arrival + shift - s.sentAt,
            echo.echoAt - arrival,
            echo.putAt - echo.echoAt,
            echo.paintedAt - echo.putAt,
          ];
          parts.forEach((v, k) => stages.get(STAGES[k])!.push(v));
          line += ` [${parts.map(ms).join(' + ')}]`;
        }
      }
      console.log(line);
      // A pause of 150–250 ms: keys a person types, not a burst, and not in step with the page's frames or the
      // desktop's animation ticks.
      await delay(150 + Math.random() * 100);
    }
  } finally {
    loopDelay.disable();
    undo();
  }

  const l = { median: stats(latency).median, p95: percentile(latency, 95) };
  const serverMs = server_.length ? stats(server_).median : undefined;
  console.log(`input: key down → echo painted: median ${ms(l.median)} ms, p95 ${ms(l.p95)} ms, min ${ms(Math.min(...latency))}, max ${ms(Math.max(...latency))} (${latency.length} keys)`);
  console.log(`input: frames from key down to the echo's frame: median ${stats(frames).median}`);
  if (serverMs !== undefined) {
    console.log(`input: the demo desktop's own time (character → frame written to its socket): median ${ms(serverMs)} ms, p95 ${ms(percentile(server_, 95))} ms`);
    console.log(`input: the rest (page, gateway, IronRDP, paint) = median total − median server: ${ms(l.median - serverMs)} ms, against a frame interval of ${ms(frameMs)} ms`);
  }
  const staged = stages.get(STAGES[0])!.length;
  if (staged > 0) {
    console.log(`input: where the time goes (medians over the ${staged} keys with every mark; medians of parts need not add up to the total's):`);
    for (const [name, xs] of stages) console.log(`  ${ms(stats(xs).median).padStart(5)} ms (p95 ${ms(percentile(xs, 95))})  ${name}`);
  }
  if (sentKinds.size) {
    console.log(`input: IronRDP passed each key's input to WebSocket.send as: ${[...sentKinds].join(', ')}`);
    if (sentKinds.has('Blob')) {
      console.log("input:   the app's RDP worker reads such a Blob in place (FileReaderSync) before Chromium sends it, which would otherwise read it in a later task of the worker");
    }
    if (sentKinds.has('OutgoingBytes')) {
      console.log("input:   the app's RDP worker gives IronRDP OutgoingBytes where it asks for a Blob, and sends their bytes (no Blob to register and read back)");
    }
  }
  console.log(`input: the probe's own pixel reads: median ${ms(stats(probeMs).median)} ms, max ${ms(Math.max(...probeMs))} ms a frame (of ${ms(frameMs)} ms)`);
  console.log(
    `input: this process's event loop ran late by median ${ms(loopDelay.percentile(50) / 1e6)} ms, p99 ${ms(loopDelay.percentile(99) / 1e6)} ms, max ${ms(loopDelay.max / 1e6)} ms meanwhile (1 ms timer)`,
  );
  if (noisy) console.log(`input: ! the typed line changed before the key ${noisy} time(s): those keys' baselines were taken afresh`);

  const notes = [
    `Browser mode: Chromium (headless, software rendering) and this process, which hosts the app (gateway) and the demo desktop; ${KEYS} keys on ${server.name}, ${WARM_UP_KEYS} warm-up keys not counted, 150–250 ms apart.`,
    'Key down: performance.now() in a capturing keydown listener as the page dispatches the key (Playwright keyboard.press through CDP). Painted: performance.now() in the first requestAnimationFrame callback whose read of the typed line differs from before the key; that frame shows the echo.',
    'Server: the demo desktop in this process, from typeText (key decoded) to its next frame written to the session socket.',
    ...(staged > 0
      ? [
          `Stages (medians, ms): ${STAGES.map((name, k) => `${STAGE_KEYS[k]} ${ms(stats(stages.get(name)!).median)}`).join(', ')}; page and host times meet through their time origins.`,
        ]
      : []),
    ...(sentKinds.has('Blob')
      ? ["IronRDP sends each input PDU as a Blob; the app's RDP worker reads it in place (FileReaderSync) before Chromium's send, which would otherwise read it in a later task of the worker (about 1 ms more to the gateway, and more while the worker decodes)."]
      : []),
    ...(sentKinds.has('OutgoingBytes')
      ? ["IronRDP wraps each message it sends in a Blob; in the app's RDP worker such a Blob is an OutgoingBytes holding the bytes (renderer/consoles/rdp/engine/outgoing-bytes.ts), sent as they are: no Blob is registered with the browser process or read back."]
      : []),
    "The app's window runs Chromium with DeferRendererTasksAfterInput disabled (electron/app/chromium-switches.ts), and so does this benchmark: with it, Chromium held the worker's message with the echo until the next frame had passed, a frame more from key to echo.",
  ];
  emitResult({
    group: 'input',
    figures: [
      {
        name: 'key down → echo painted, RDP demo desktop',
        unit: 'ms',
        samples: latency.map(round),
        better: 'lower',
        target: `≤ one frame (${ms(frameMs)} ms) + the server's own time`,
      },
      ...(server_.length ? [{ name: "demo desktop's own time, key → frame sent", unit: 'ms', samples: server_.map(round), better: 'lower' as const }] : []),
    ],
    json: {
      input_ms: {
        median: round(l.median),
        p95: round(l.p95),
        ...(serverMs !== undefined ? { server_ms: round(serverMs), client_ms: round(l.median - serverMs) } : {}),
        frame_interval_ms: round(frameMs),
        ...(staged > 0 ? { stages_ms: Object.fromEntries(STAGES.map((name, k) => [STAGE_KEYS[k], round(stats(stages.get(name)!).median)])) } : {}),
      },
    },
    notes,
  });
});

/** A worker's marks moved onto another clock (`by` ms later there). */
function shiftTimes(w: WorkerEcho, by: number): Pick<WorkerEcho, 'sentAt' | 'echoAt' | 'arrivals'> {
  const at = (t: number | undefined) => (t === undefined ? undefined : t + by);
  return { sentAt: at(w.sentAt), echoAt: at(w.echoAt), arrivals: w.arrivals.map((t) => t + by) };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
