// Display streaming: distinct frames per second the app shows (browser mode: the app's page in Debian's Chromium,
// RDP through the app's real gateway to IronRDP's WASM client, VNC through its relay to noVNC) against the native
// client on the same stream from the same server in the same run. Prints a table as it goes and ends with the
// BENCH-RESULT line (bench/result.ts). Asserts nothing (not a test).
//
//   npx tsx bench/stream-fps.ts [--only 1024|1080|shadow|vnc] [--runs 3] [--seconds 5] [--warmup 2] [--no-vsync] [--profile]
//
// Streams (every one shows 16-pixel vertical stripes shifting one stripe per frame; bench/stream/stripes.ts):
// - 1024, 1080: the demo desktop's RDP server (electron/demo/demo-desktop, its default 24 bpp RLE, TLS) with its full-screen animation
//   (every pixel changes each frame) at 75 fps for 1024×768 and 60 fps for 1920×1080 — set above the goals, so the
//   client and not the source is the limit — in a process of its own. Against xfreerdp.
// - shadow: FreeRDP's shadow server sharing an Xvfb desktop (root colour and an xterm, test/support/rdp-servers.ts)
//   on which a window over the lower half is moved 16 pixels a step, 75 steps a second (bench/stream/x11-stripes.ts).
//   Against xfreerdp. The shadow server's own capture rate is part of this stream.
// - vnc: TigerVNC's Xvnc, 1024×768, its whole screen repainted with shifted stripes 75 times a second (Xvnc itself
//   sends at most 60 updates a second to a client). Against xtigervncviewer.
// How frames are counted: the same six sample points on both sides, decoded into the stripes' frame number; a
// frame counts when all points show one frame number and it differs from the last counted (a half-painted frame
// does not count, nor a paint that changed nothing). In the page: once per animation frame (page-counter.ts), so
// the page's frame rate caps it (reported as "rAF"). Native: X11 GetImage polls of its window every 2 ms.
// A run: connect, wait for the stream on screen, warm up, measure, disconnect; app and native client alternate,
// one at a time (two cores: they never compete with each other). Reported per row: the median over runs.
// --no-vsync starts Chromium with its frame-rate limit off (--disable-frame-rate-limit --disable-gpu-vsync): not how
// the app runs, but it shows what the page could draw if the display did not cap it.
// --profile adds one uncounted app run per row with V8's CPU profiler on the page and, for RDP rows, on its RDP worker
// (bench/stream/profile.ts): the .cpuprofile files go to the system's temporary folder, and where each thread's time
// went is printed and kept in the JSON.
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { emitResult, type Figure } from './result.ts';
import { stats } from './stats.ts';
import { appGroups, cpuPercent, readCpu } from './stream/cpu.ts';
import { pageTarget, startProfile, stopProfile, workerTarget, type ProfileSummary, type ProfileTarget } from './stream/profile.ts';
import { closeConsole, fitDisplayArea, mainThreadMs, openConsole, startCounting, startStreamApp, stopCounting, streamOnScreen, takeCounts, type StreamApp } from './stream/app.ts';
import { startClientScreen, startViewer, startXfreerdp, VIEWER, XFREERDP, type ClientScreen, type NativeClient } from './stream/native.ts';
import { startDemoSource, startStripesSource, type SourceProcess } from './stream/source-process.ts';
import { DEMO_PALETTE, X11_PALETTE, samplePoints, type FrameCounts, type Palette } from './stream/stripes.ts';
import { chromiumMissing } from '../test/support/chromium.ts';
import { shadowMissing, startDesktop, startShadow, type Desktop, type ShadowServer } from '../test/support/rdp-servers.ts';
import { startXvnc, vncServersMissing, type Xvnc } from '../test/support/vnc-servers.ts';
import { haveBinary } from '../test/support/xvfb.ts';

const USAGE = 'usage: npx tsx bench/stream-fps.ts [--only 1024|1080|shadow|vnc] [--runs N] [--seconds S] [--warmup S] [--no-vsync] [--profile]';
const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    'no-vsync': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const RUNS = Math.max(1, Math.min(20, Math.round(Number(values.runs)) || 3));
const SECONDS = Math.max(1, Math.min(120, Number(values.seconds) || 5));
const WARMUP = Math.max(0, Math.min(60, Number(values.warmup) || 0));
const NO_VSYNC = values['no-vsync'];
const PROFILE = values.profile;

type RowId = '1024' | '1080' | 'shadow' | 'vnc';
interface Row {
  id: RowId;
  key: string;
  name: string;
  width: number;
  height: number;
  /** Frames per second the source is set to. */
  rate: number;
  native: 'xfreerdp' | 'xtigervncviewer';
  /** fps the app should reach, if the issue sets one. */
  goalFps?: number;
}
const GOAL_RATIO = 0.8;
const ROWS: Row[] = [
  { id: '1024', key: 'rdp_stream_1024', name: 'stream 1024×768, demo desktop (RDP)', width: 1024, height: 768, rate: 75, native: 'xfreerdp', goalFps: 60 },
  { id: '1080', key: 'rdp_stream_1080', name: 'stream 1920×1080, demo desktop (RDP)', width: 1920, height: 1080, rate: 60, native: 'xfreerdp', goalFps: 30 },
  { id: 'shadow', key: 'rdp_stream_shadow', name: 'stream 1024×768, FreeRDP shadow server, moving window (RDP)', width: 1024, height: 768, rate: 75, native: 'xfreerdp' },
  { id: 'vnc', key: 'vnc_stream_1024', name: 'stream 1024×768, Xvnc full-screen repaint (VNC)', width: 1024, height: 768, rate: 75, native: 'xtigervncviewer' },
];
const only = (values.only ?? []).flatMap((v) => v.split(','));
for (const o of only) {
  if (!ROWS.some((r) => r.id === o)) {
    console.error(`unknown --only ${o}\n${USAGE}`);
    process.exit(2);
  }
}
const selected = only.length ? ROWS.filter((r) => only.includes(r.id)) : ROWS;

// ---- cleanup: everything this run started, also on Ctrl+C ------------------------------------------------------------

const cleanups: Array<() => unknown> = [];
/** Set on Ctrl+C: the rows stop, and no result is printed for a run cut short. */
let interrupted = false;
let cleaning: Promise<void> | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.race([Promise.resolve().then(c).catch(() => undefined), sleep(10_000)]);
  })();
  return cleaning;
}
/** Runs `fn` with `stop` registered for cleanup, and stops it afterwards either way. */
async function using<T extends { stop(): Promise<unknown> }, R>(thing: T, fn: (t: T) => Promise<R>): Promise<R> {
  const stop = () => thing.stop();
  cleanups.push(stop);
  try {
    return await fn(thing);
  } finally {
    cleanups.splice(cleanups.indexOf(stop), 1);
    await stop();
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.prependOnceListener(sig, () => {
    console.error(`\n${sig}: stopping everything this benchmark started`);
    interrupted = true;
    // test/support's own handler runs next: it kills the servers it tracks and raises the signal again, which would end
    // this process before the browser, the source and the temporary folders are dealt with. The first repeat is
    // swallowed while the cleanup runs; another one (a second Ctrl+C) ends the process at once.
    let repeats = 0;
    process.on(sig, () => {
      if (++repeats > 1) process.exit(130);
    });
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- one run -----------------------------------------------------------------------------------------------------

/** One stream as both clients see it. */
interface Stream {
  source: SourceProcess;
  /** The server's processes (source included), for its CPU figure. */
  serverPids: number[];
  /** What is typed into the app's URL bar, and the tab's title. */
  address: string;
  title: string;
  palette: Palette;
}

interface Sample {
  /** Distinct whole frames shown per second: the figure. */
  fps: number;
  /** Reads per second (the page's animation frames, or X11 polls). */
  readHz: number;
  /** Reads per second that caught a half-painted frame. */
  tornPerSec: number;
  /** Frame numbers per second the stream moved on between the frames shown (fps plus frames never shown; a lower bound, see stripes.ts). */
  streamFps: number;
  /** What the source drew per second meanwhile, and (demo desktop) full screens it sent to this client. */
  sourceFps: number;
  sentFps?: number;
  /** The server's processes, percent of one core. */
  serverCpu: number;
  /** Percent of one core per process group on the client's side (stream/cpu.ts). */
  cpu: Record<string, number>;
  /**
   * Page only: frames with a draw on the canvas, draw calls, and ms per second in those calls, in the main thread's
   * tasks and in script (CDP), in long tasks, and in the counter itself.
   */
  page?: { paintFrames: number; paintCalls: number; paintMs: number; taskMs: number; scriptMs: number; longTaskMs: number; readMs: number; canvas: string };
  /** Native only: ms per second this process spent waiting for its polls. */
  pollMs?: number;
}

/** What the source and the server did during one measured window. */
async function serverSide<T>(row: Row, stream: Stream, measure: () => Promise<T>): Promise<{ result: T } & Pick<Sample, 'sourceFps' | 'sentFps' | 'serverCpu'>> {
  const groups = { server: stream.serverPids };
  const a = await stream.source.stats();
  const c0 = readCpu(groups);
  const result = await measure();
  const c1 = readCpu(groups);
  const b = await stream.source.stats();
  const s = (c1.at - c0.at) / 1000;
  const tilesPerScreen = Math.ceil(row.width / 64) * Math.ceil(row.height / 64);
  return {
    result,
    sourceFps: (b.frames - a.frames) / s,
    sentFps: row.id === '1024' || row.id === '1080' ? (b.tilesSent - a.tilesSent) / tilesPerScreen / s : undefined,
    serverCpu: cpuPercent(c0, c1).server,
  };
}

function rates(counts: FrameCounts, ms: number) {
  const s = ms / 1000;
  return { fps: counts.whole / s, readHz: counts.reads / s, tornPerSec: counts.torn / s, streamFps: counts.advanced / s };
}

async function appRun(app: StreamApp, row: Row, stream: Stream): Promise<Sample> {
  const { title } = stream;
  await openConsole(app, stream.address, title);
  try {
    await startCounting(app, title, samplePoints(row.width, row.height), stream.palette === DEMO_PALETTE ? 'demo' : 'x11');
    for (const t0 = Date.now(); !(await streamOnScreen(app)); await sleep(50)) {
      if (Date.now() - t0 > 30_000) throw new Error(`app: no stream frame on the canvas of ${title} within 30 s`);
    }
    await sleep(WARMUP * 1000);
    const groups = appGroups();
    await takeCounts(app);
    const { result, ...server } = await serverSide(row, stream, async () => {
      const m0 = await mainThreadMs(app);
      const c0 = readCpu(groups);
      await sleep(SECONDS * 1000);
      const r = await takeCounts(app);
      const c1 = readCpu(groups);
      const m1 = await mainThreadMs(app);
      return { r, cpu: cpuPercent(c0, c1), main: { tasks: m1.tasks - m0.tasks, script: m1.script - m0.script }, s: (c1.at - c0.at) / 1000 };
    });
    const { r, cpu, main } = result;
    const canvas = r.canvas ? `${r.canvas.width}×${r.canvas.height}` : 'none';
    if (canvas !== `${row.width}×${row.height}`) throw new Error(`app: the canvas is ${canvas}, not ${row.width}×${row.height}`);
    const per = (v: number) => v / (r.ms / 1000);
    return {
      ...rates(r.counts, r.ms),
      readHz: per(r.rafTicks),
      ...server,
      cpu,
      page: {
        paintFrames: per(r.paintFrames),
        paintCalls: per(r.paintCalls),
        paintMs: per(r.paintMs),
        taskMs: main.tasks / result.s,
        scriptMs: main.script / result.s,
        longTaskMs: per(r.longTaskMs),
        readMs: per(r.readMs),
        canvas,
      },
    };
  } finally {
    await stopCounting(app).catch(() => undefined);
    await closeConsole(app, title);
  }
}

async function nativeRun(row: Row, stream: Stream, screen: ClientScreen, start: () => Promise<NativeClient>): Promise<Sample> {
  const client = await start();
  try {
    await sleep(WARMUP * 1000);
    const groups = { [row.native]: [client.proc.pid], 'Xvfb (its screen)': [screen.x.proc.pid], 'node (poller)': [process.pid] };
    client.counter.take();
    const { result, ...server } = await serverSide(row, stream, async () => {
      const c0 = readCpu(groups);
      await sleep(SECONDS * 1000);
      const r = client.counter.take();
      return { r, cpu: cpuPercent(c0, readCpu(groups)) };
    });
    if (client.proc.exited()) throw new Error(`${row.native} exited during the run:\n${client.proc.output()}`);
    const { r, cpu } = result;
    return { ...rates(r.counts, r.ms), ...server, cpu, pollMs: r.readMs / (r.ms / 1000) };
  } finally {
    await client.stop();
  }
}

// ---- printing --------------------------------------------------------------------------------------------------------

const f1 = (v: number) => v.toFixed(1);
const cpuText = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .filter(([, v]) => v >= 0.5)
    .map(([k, v]) => `${k} ${v.toFixed(0)}%`)
    .join(', ');
function runLines(run: number, who: string, s: Sample): string {
  const src = `source drew ${f1(s.sourceFps)}/s${s.sentFps !== undefined ? `, sent this client ${f1(s.sentFps)} screens/s` : ''}, server CPU ${s.serverCpu.toFixed(0)}%`;
  const seen = `stream moved ${f1(s.streamFps)}/s, torn reads ${f1(s.tornPerSec)}/s`;
  const own = s.page
    ? `rAF ${f1(s.readHz)} Hz; frames with draws ${f1(s.page.paintFrames)}/s, ${s.page.paintCalls.toFixed(0)} draws/s; main thread busy ${s.page.taskMs.toFixed(0)} ms/s (script ${s.page.scriptMs.toFixed(0)}, in draw calls ${s.page.paintMs.toFixed(0)}, long tasks ${s.page.longTaskMs.toFixed(0)})`
    : `polls ${s.readHz.toFixed(0)}/s (${s.pollMs!.toFixed(0)} ms/s waiting for them)`;
  const pad = ' '.repeat(33);
  return [`  run ${run}  ${who.padEnd(16)} ${f1(s.fps).padStart(6)} fps   ${src}`, `${pad}${seen}`, `${pad}${own}`, `${pad}client CPU: ${cpuText(s.cpu)}`].join('\n');
}

// ---- rows ------------------------------------------------------------------------------------------------------------

interface RowResult {
  row: Row;
  app: Sample[];
  native: Sample[];
  profile?: { page: ProfileSummary; worker?: ProfileSummary };
}

/** One more app connection, not counted: CPU profiles of the page and (RDP) its worker over a measuring window. */
async function profileRun(app: StreamApp, row: Row, stream: Stream): Promise<NonNullable<RowResult['profile']>> {
  await openConsole(app, stream.address, stream.title);
  const targets: Array<[name: 'page' | 'worker', target: ProfileTarget]> = [['page', pageTarget(app.cdp)]];
  try {
    if (!stream.address.startsWith('vnc://')) targets.push(['worker', await workerTarget(app.browser, 'rdp-worker')]);
    await sleep(WARMUP * 1000 + 1000);
    for (const [, t] of targets) await startProfile(t);
    await sleep(SECONDS * 1000);
    const out: Partial<NonNullable<RowResult['profile']>> = {};
    for (const [name, t] of targets) out[name] = await stopProfile(t, join(tmpdir(), `stream-fps-${row.id}-${name}-${process.pid}.cpuprofile`));
    return out as NonNullable<RowResult['profile']>;
  } finally {
    for (const [, t] of targets) await t.detach();
    await closeConsole(app, stream.title);
  }
}

/** Runs app and native client alternately on one stream; `native` starts the native client once per run. */
async function alternate(row: Row, app: StreamApp, stream: Stream, screen: ClientScreen, native: () => Promise<NativeClient>): Promise<RowResult> {
  // A first connection answers the certificate prompt and sizes the window so the display area is the stream's size.
  await openConsole(app, stream.address, stream.title);
  await fitDisplayArea(app, row.width, row.height);
  await closeConsole(app, stream.title);
  const out: RowResult = { row, app: [], native: [] };
  for (let i = 1; i <= RUNS; i++) {
    const a = await appRun(app, row, stream);
    out.app.push(a);
    console.log(runLines(i, 'app', a));
    await sleep(300); // the server lets the previous connection go
    const n = await nativeRun(row, stream, screen, native);
    out.native.push(n);
    console.log(runLines(i, row.native, n));
    await sleep(300);
  }
  if (PROFILE) {
    out.profile = await profileRun(app, row, stream);
    const list = (o: Array<[string, number]>) => o.map(([k, v]) => `${k} ${v}%`).join(', ');
    for (const [name, p] of Object.entries(out.profile)) {
      console.log(`  app ${name} CPU profile (${p.file}):\n    ${list(Object.entries(p.groups))}\n    busiest: ${list(p.top)}`);
    }
  }
  return out;
}

async function demoRow(row: Row, app: StreamApp): Promise<RowResult> {
  return using(await startDemoSource(row.rate), async (source) =>
    using(await startClientScreen(row.width, row.height), (screen: ClientScreen) => {
      const title = `127.0.0.1:${source.port}`;
      const stream: Stream = { source, serverPids: [source.pid], address: title, title, palette: DEMO_PALETTE };
      const points = samplePoints(row.width, row.height);
      return alternate(row, app, stream, screen, () => startXfreerdp(screen, source.port, row.width, row.height, [], points, DEMO_PALETTE));
    }),
  );
}

async function shadowRow(row: Row, app: StreamApp): Promise<RowResult> {
  const desktop: Desktop = await startDesktop();
  return using(desktop, async () =>
    using(await startStripesSource(desktop.x.display, 'move', row.rate), async (source) =>
      using(await startShadow({ display: desktop.x.display }), async (shadow: ShadowServer) =>
        using(await startClientScreen(row.width, row.height), (screen) => {
          const title = `127.0.0.1:${shadow.port}`;
          // The server: the shadow server, the X server it captures, and the client moving the window there.
          const stream: Stream = { source, serverPids: [shadow.proc.pid, desktop.x.proc.pid, source.pid], address: title, title, palette: X11_PALETTE };
          const points = samplePoints(row.width, row.height);
          return alternate(row, app, stream, screen, () => startXfreerdp(screen, shadow.port, row.width, row.height, ['/sec:tls'], points, X11_PALETTE));
        }),
      ),
    ),
  );
}

async function vncRow(row: Row, app: StreamApp): Promise<RowResult> {
  const xvnc: Xvnc = await startXvnc({ width: row.width, height: row.height });
  return using(xvnc, async () =>
    using(await startStripesSource(xvnc.display, 'repaint', row.rate), async (source) =>
      // Room for the viewer's window (FLTK puts it at +1+20 or so without a window manager).
      using(await startClientScreen(row.width + 64, row.height + 96), (screen) => {
        const title = `127.0.0.1:${xvnc.port}`;
        const stream: Stream = { source, serverPids: [xvnc.proc.pid, source.pid], address: `vnc://${title}`, title, palette: X11_PALETTE };
        const points = samplePoints(row.width, row.height);
        return alternate(row, app, stream, screen, () => startViewer(screen, xvnc.port, row.width, row.height, points, X11_PALETTE));
      }),
    ),
  );
}

function missingFor(row: Row): string | false {
  if (row.id === '1024' || row.id === '1080') return haveBinary(XFREERDP) ? false : `${XFREERDP} is not installed`;
  if (row.id === 'shadow') return shadowMissing() || (haveBinary(XFREERDP) ? false : `${XFREERDP} is not installed`);
  return vncServersMissing() || (haveBinary(VIEWER) ? false : `${VIEWER} is not installed`);
}

// ---- main ------------------------------------------------------------------------------------------------------------

const round1 = (v: number) => Math.round(v * 10) / 10;
const median = (xs: number[]) => (xs.length ? stats(xs).median : NaN);
/** Per process group, the median over runs of its CPU share. */
function medianCpu(samples: Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(samples[0]?.cpu ?? {})) out[k] = Math.round(median(samples.map((s) => s.cpu[k] ?? 0)));
  return out;
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const json: Record<string, unknown> = {};
  const notes: string[] = [];
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const loadStart = loadavg().map((l) => l.toFixed(1)).join(' ');
  json.stream_setup = { when, cpus: cpus().length, load_average_start: loadStart, runs: RUNS, seconds: SECONDS, warmup_seconds: WARMUP, chromium_vsync: !NO_VSYNC };
  const missingChromium = chromiumMissing();
  if (missingChromium) {
    notes.push(`not run: ${missingChromium}`);
    emitResult({ group: 'stream', figures, json, notes });
    return;
  }
  console.log(`stream fps: ${RUNS} runs of ${SECONDS} s (after ${WARMUP} s warm-up) each for the app and the native client, alternating; ${when}, ${cpus().length} CPUs, load average ${loadStart}`);
  const extraArgs = NO_VSYNC ? ['--disable-frame-rate-limit', '--disable-gpu-vsync'] : [];
  const app = await startStreamApp({ extraArgs });
  cleanups.push(() => app.stop());
  const results: RowResult[] = [];
  for (const row of selected) {
    if (interrupted) return;
    const missing = missingFor(row);
    if (missing) {
      notes.push(`${row.name}: not measured: ${missing}`);
      json[row.key] = { not_measured: missing };
      continue;
    }
    console.log(`\n${row.name}, source at ${row.rate} fps; app vs ${row.native}`);
    try {
      const r = row.id === 'shadow' ? await shadowRow(row, app) : row.id === 'vnc' ? await vncRow(row, app) : await demoRow(row, app);
      results.push(r);
    } catch (err) {
      if (interrupted) return;
      const message = err instanceof Error ? err.message : String(err);
      console.log(`  not measured: ${message}`);
      notes.push(`${row.name}: not measured: ${message.split('\n')[0]}`);
      json[row.key] = { not_measured: message.split('\n')[0] };
    }
  }

  if (interrupted) return;
  console.log(`\n${'stream'.padEnd(62)} ${'app fps'.padStart(8)} ${'native'.padStart(8)} ${'ratio'.padStart(6)}  goal`);
  for (const { row, app: a, native: n, profile } of results) {
    const appFps = median(a.map((s) => s.fps));
    const nativeFps = median(n.map((s) => s.fps));
    const ratio = appFps / nativeFps;
    const goal = `${row.goalFps ? `≥ ${row.goalFps} fps and ` : ''}≥ ${GOAL_RATIO}× ${row.native}`;
    const met = (row.goalFps === undefined || appFps >= row.goalFps) && ratio >= GOAL_RATIO;
    console.log(`${row.name.padEnd(62)} ${f1(appFps).padStart(8)} ${f1(nativeFps).padStart(8)} ${ratio.toFixed(2).padStart(6)}  ${goal} (${met ? 'met' : 'not met'})`);
    figures.push({
      name: row.name,
      unit: 'fps',
      samples: a.map((s) => round1(s.fps)),
      better: 'higher',
      target: goal,
      native: { client: row.native, samples: n.map((s) => round1(s.fps)) },
    });
    const nativeKey = row.native === 'xfreerdp' ? 'xfreerdp_fps' : 'native_fps';
    json[row.key] = {
      app_fps: round1(appFps),
      [nativeKey]: round1(nativeFps),
      ratio: Number(ratio.toFixed(2)),
      goal_met: met,
      app_fps_runs: a.map((s) => round1(s.fps)),
      [`${nativeKey}_runs`]: n.map((s) => round1(s.fps)),
      app_raf_hz: round1(median(a.map((s) => s.readHz))),
      native_polls_per_s: Math.round(median(n.map((s) => s.readHz))),
      // Per side: on two cores a local source shares the CPU with the client, so a hungrier client slows its own stream.
      source_fps: { app: round1(median(a.map((s) => s.sourceFps))), [row.native]: round1(median(n.map((s) => s.sourceFps))) },
      // Frame numbers per second the client's picture moved on. Below the stream's own rate (source_fps for the demo
      // desktop, whose every redraw is the next number; the set rate for the X11 sources, which number steps by the
      // clock), the picture fell further behind the server's during the window (bytes queued between them) or jumped
      // 64 frames or more at once (numbers wrap at 64).
      stream_moved_fps: { app: round1(median(a.map((s) => s.streamFps))), [row.native]: round1(median(n.map((s) => s.streamFps))) },
      ...(row.id === '1024' || row.id === '1080'
        ? { server_sent_screens_per_s: { app: round1(median(a.map((s) => s.sentFps!))), [row.native]: round1(median(n.map((s) => s.sentFps!))) } }
        : {}),
      app_page_ms_per_s: {
        main_thread_tasks: Math.round(median(a.map((s) => s.page!.taskMs))),
        script: Math.round(median(a.map((s) => s.page!.scriptMs))),
        draw_calls: Math.round(median(a.map((s) => s.page!.paintMs))),
        long_tasks: Math.round(median(a.map((s) => s.page!.longTaskMs))),
        counter: round1(median(a.map((s) => s.page!.readMs))),
      },
      server_cpu_percent: { app: Math.round(median(a.map((s) => s.serverCpu))), [row.native]: Math.round(median(n.map((s) => s.serverCpu))) },
      client_cpu_percent: { app: medianCpu(a), [row.native]: medianCpu(n) },
      ...(profile
        ? Object.fromEntries(Object.entries(profile).map(([name, p]) => [`app_${name}_profile`, { percent: p.groups, busiest: p.top, file: p.file }]))
        : {}),
    };
  }
  const loadEnd = loadavg().map((l) => l.toFixed(1)).join(' ');
  (json.stream_setup as Record<string, unknown>).load_average_end = loadEnd;
  notes.push(
    'Frames are counted the same way on both sides: six sample points decoded into the stripes\' frame number; a frame counts when all agree on a new number (half-painted frames and paints that change nothing do not count).',
    "The app is read once per animation frame, so the page's frame rate caps app_fps (app_raf_hz: 60 Hz while the page keeps up, less while its main thread is saturated); the native client is read by X11 polls every 2 ms (native_polls_per_s), which bounds what can be seen there (a frame replaced within one poll is missed).",
    'The demo desktop is set to 75 fps at 1024×768 (76.9: a 13 ms timer) and 60 fps at 1920×1080 (58.8: 17 ms), in a process of its own; server_sent_screens_per_s is what it actually sent to each client (it skips frames while a client does not keep up: the app, whose IronRDP acknowledges frames, gets at most two unacknowledged; xfreerdp sends no acknowledgements and is held back by the bytes waiting in its socket).',
    'The server runs on the same two cores as the client: source_fps per side shows when a client\'s own CPU use slowed the stream it was given.',
    `Load average ${loadStart} at the start, ${loadEnd} at the end, on ${cpus().length} CPUs: other work on the machine shows in these figures.`,
  );
  if (results.some((r) => r.row.id === 'shadow')) {
    notes.push(
      "Shadow row: FreeRDP's shadow server captures the X screen at its own pace (no option sets it); its CPU and capture rate bound both clients there, so this row compares the clients on a real server's stream rather than at their limit.",
    );
  }
  if (results.some((r) => r.row.id === 'vnc')) {
    notes.push(
      "VNC row: Xvnc sends each client at most 60 updates a second (its FrameRate default), so 60 bounds both clients although the X client draws 75. Each client picks its own encodings (noVNC: the app's settings; xtigervncviewer: its automatic choice); the stripes' colours are far enough apart that JPEG does not change what is counted.",
    );
  }
  if (NO_VSYNC) notes.push('Chromium ran with --disable-frame-rate-limit --disable-gpu-vsync (not how the app runs).');
  emitResult({ group: 'stream', figures, json, notes });
}

try {
  await main();
} finally {
  await cleanup();
}
