// Connect-to-first-frame: the app's RDP path (IronRDP's WASM build in Chromium, through the app's gateway) against
// FreeRDP's native client, on the same server in the same run; then the page memory each extra session costs.
// Prints figures beside the targets; asserts nothing (not a test).
//
//   npm run -s bench:connect -- [--runs 7] [--sessions 4]
//
// Server: FreeRDP's shadow server (TLS, no authentication) sharing an Xvfb desktop with a solid root colour and
// an xterm (test/support), on a port of 33700-33799.
// IronRDP: one page with the module already initialised; timed inside the page from engine.connect() to the first
// animation frame whose canvas shows the desktop's root colour at five points (also reported: handshake done, and
// the first frame where any sampled canvas pixel left the initial fill).
// xfreerdp: `xfreerdp /v:127.0.0.1:PORT /cert:ignore /sec:tls` on its own Xvfb, timed from spawn to the first moment
// the same five points of its window (at +0+0: no window manager) show the root colour, read with X11 GetImage every
// 5 ms (1×1 reads, so polling costs next to nothing on the two cores the client also needs).
// Both criteria are the same pixels in the same colour; one unrecorded warm-up run each goes first (first-use
// certificate prompt on the app side, cold library loads on the FreeRDP side).
// Memory: one fresh page opens 1..N sessions (1024×768 canvases, earlier ones hidden like background tabs); after
// each one's first frame, a garbage collection and a short settle, the private memory (USS) of this browser's
// renderer processes and of all its processes is read from /proc, with the page's JS heap (CDP Performance.getMetrics,
// which does not include WASM memory).
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { commandLine, descendants as processTree } from './soak/proc.ts';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../test/support/chromium.ts';
import { DESKTOP, SHADOW, shadowMissing, startDesktop, waitForPort, type Desktop } from '../test/support/rdp-servers.ts';
import { haveBinary, spawnTracked, startXvfb, type Tracked, type XDisplay } from '../test/support/xvfb.ts';
import { RdpGateway } from '../electron/rdp/gateway.ts';
import { CertificateTrust, TrustStore } from '../electron/rdp/trust-store.ts';
import { createXrdpRepair } from '../electron/rdp/xrdp-repair/index.ts';
import type { RdpGrant } from '../electron/common/contract.ts';
import type { Probe, Timing } from './connect-page/main.ts';
import { openX11Pixels, type X11Pixels } from './x11-pixels.ts';
import { emitResult } from './result.ts';
import { stats } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, sessions: { type: 'string', default: '4' } } });
const RUNS = Math.max(1, Math.min(50, Number(values.runs) || 7));
const SESSIONS = Math.max(1, Math.min(8, Number(values.sessions) || 4));
const XFREERDP = '/usr/bin/xfreerdp';
const PORTS = { first: 33700, last: 33799 };
const TARGET = { firstFrameMs: 300, xfreerdpRefMs: 1500, perTabMB: 30 };
/** Root-colour probe points, away from the xterm in the top left corner. */
const POINTS: Array<[number, number]> = [[640, 440], [960, 440], [800, 600], [640, 720], [960, 720]];
const PROBE: Probe = { points: POINTS, rgb: [...DESKTOP.root.rgb], tolerance: 12, timeoutMs: 20_000 };

// ---- cleanup: every process and folder this run made, also on Ctrl+C --------------------------------------------

const cleanups: Array<() => unknown> = [];
const tempDirs: string[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.race([Promise.resolve().then(c).catch(() => {}), sleep(5000)]);
  })();
  return cleaning;
}
// Tracked processes are also SIGKILLed by test/support's exit hooks; the folders go here whatever happens.
process.once('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.prependOnceListener(sig, () => {
    console.error(`\n${sig}: stopping everything this benchmark started`);
    void cleanup().finally(() => process.exit(130));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the server ----------------------------------------------------------------------------------------------------

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** FreeRDP's shadow server, TLS without authentication, on a free port of this benchmark's range. */
async function startShadowTls(display: string): Promise<{ port: number; proc: Tracked }> {
  const span = PORTS.last - PORTS.first + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = PORTS.first + ((start + i) % span);
    if (!(await portFree(port))) continue;
    // A private HOME: the server writes its certificate and key under ~/.config/freerdp/shadow.
    const home = mkdtempSync(join(tmpdir(), 'bench-shadow-'));
    tempDirs.push(home);
    const proc = spawnTracked(SHADOW, ['/bind-address:127.0.0.1', `/port:${port}`, '/sec:tls', '-auth'], {
      ...process.env,
      DISPLAY: display,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
    });
    cleanups.push(() => proc.stop());
    await waitForPort(port, proc);
    return { port, proc };
  }
  throw new Error(`no free port in ${PORTS.first}-${PORTS.last}`);
}

// ---- the app side: page, gateway, Chromium --------------------------------------------------------------------------

const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>connect bench</title>
<style>body{margin:0;background:#fff}canvas{display:block}</style></head>
<body><script type="module" src="main.js"></script></body></html>`;
/** The product's page policy (scripts from the app, WASM compilation, loopback sockets). */
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' data: ws://127.0.0.1:*; style-src 'self' 'unsafe-inline'";

interface AppSide {
  browser: Browser;
  gateway: RdpGateway;
  pageUrl: string;
}

async function startAppSide(): Promise<AppSide> {
  const out = mkdtempSync(join(tmpdir(), 'bench-page-'));
  tempDirs.push(out);
  await build({
    entryPoints: [fileURLToPath(new URL('./connect-page/main.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    outfile: join(out, 'main.js'),
    logLevel: 'silent',
  });
  const js = readFileSync(join(out, 'main.js'));
  const http: Server = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = path === '/' ? PAGE_HTML : path === '/main.js' ? js : undefined;
    if (body === undefined) return res.writeHead(404).end();
    const type = path === '/' ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8';
    res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' }).end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => http.close(() => r())));
  // The gateway as the app composes it: certificate check (answered "trust always", as a user would once), the
  // xrdp repair filter on the server stream.
  const trust: CertificateTrust = new CertificateTrust(new TrustStore(), (p) => void trust.decide(p.promptId, 'trust-always'));
  const gateway = new RdpGateway({
    verifyCertificate: trust.verify,
    serverFilter: () => {
      const repair = createXrdpRepair();
      return (chunk) => repair.push(chunk);
    },
  });
  await gateway.listen();
  cleanups.push(() => gateway.close());
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  return { browser, gateway, pageUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/` };
}

function grantFor(app: AppSide, port: number): RdpGrant {
  const g = app.gateway.grant({ host: '127.0.0.1', port, vmconnect: false });
  return { protocol: 'rdp', sessionId: g.sessionId, title: g.destination, gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination, vmconnect: false };
}

type Bench = {
  init(): Promise<boolean>;
  connectTimed(name: string, grant: RdpGrant, probe: Probe): Promise<Timing>;
  close(name: string, timeoutMs: number): Promise<void>;
};

async function openPage(app: AppSide): Promise<Page> {
  const page = await app.browser.newPage({ viewport: { width: 1100, height: 850 } });
  page.setDefaultTimeout(60_000);
  await page.goto(app.pageUrl);
  await page.evaluate(() => (window.connectBench as Bench).init());
  return page;
}

function connectTimed(page: Page, name: string, grant: RdpGrant): Promise<Timing> {
  return page.evaluate(([n, g, p]) => (window.connectBench as Bench).connectTimed(n, g, p), [name, grant, PROBE] as const);
}

function closeSession(page: Page, name: string): Promise<void> {
  return page.evaluate((n) => (window.connectBench as Bench).close(n, 5000), name);
}

async function ironRdpRuns(app: AppSide, port: number): Promise<{ handshake: number[]; firstPaint: number[]; desktop: number[] }> {
  const r = { handshake: [] as number[], firstPaint: [] as number[], desktop: [] as number[] };
  const page = await openPage(app);
  try {
    for (let i = 0; i <= RUNS; i++) {
      const t = await connectTimed(page, `run${i}`, grantFor(app, port));
      await closeSession(page, `run${i}`);
      if (!t.ok) throw new Error(`IronRDP run ${i}: ${t.error}`);
      if (i === 0) continue; // warm-up (first-use certificate prompt, first JIT of the session code)
      r.handshake.push(t.handshakeMs!);
      r.firstPaint.push(t.firstPaintMs!);
      r.desktop.push(t.desktopMs!);
      console.error(`  IronRDP run ${i}: handshake ${t.handshakeMs!.toFixed(0)} ms, first paint ${t.firstPaintMs!.toFixed(0)} ms, desktop ${t.desktopMs!.toFixed(0)} ms`);
      await sleep(300); // let the server drop the previous connection
    }
  } finally {
    await page.close();
  }
  return r;
}

// ---- the native client ---------------------------------------------------------------------------------------------

async function xfreerdpRuns(port: number): Promise<number[]> {
  const x: XDisplay = await startXvfb({ width: 1024, height: 768 });
  cleanups.push(() => x.stop());
  const px: X11Pixels = await openX11Pixels(x.display);
  cleanups.push(() => px.close());
  const isDesktop = async () => {
    for (const [x0, y0] of POINTS) {
      const v = await px.pixel(x0, y0);
      const rgb = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
      if (!rgb.every((c, i) => Math.abs(c - PROBE.rgb[i]) <= PROBE.tolerance)) return false;
    }
    return true;
  };
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    if (await isDesktop()) throw new Error('the xfreerdp display shows the desktop colour before the client started');
    const t0 = performance.now();
    const client = spawnTracked(XFREERDP, [`/v:127.0.0.1:${port}`, '/cert:ignore', '/sec:tls'], { ...process.env, DISPLAY: x.display });
    let ms: number | undefined;
    try {
      while (performance.now() - t0 < PROBE.timeoutMs && !client.exited()) {
        if (await isDesktop()) {
          ms = performance.now() - t0;
          break;
        }
        await sleep(5);
      }
    } finally {
      await client.stop();
    }
    if (ms === undefined) throw new Error(`xfreerdp run ${i}: no desktop on screen within ${PROBE.timeoutMs} ms:\n${client.output()}`);
    if (i === 0) continue; // warm-up (libraries from disk)
    times.push(ms);
    console.error(`  xfreerdp run ${i}: ${ms.toFixed(0)} ms`);
    await sleep(300);
  }
  return times;
}

// ---- memory per extra session --------------------------------------------------------------------------------------

/** Every process descending from this one, with its command line (arguments joined by spaces). */
function descendants(): Array<{ pid: number; cmd: string }> {
  return processTree(process.pid).map((pid) => ({ pid, cmd: commandLine(pid).join(' ') }));
}

/**
 * Unique set size of a process in kB (private pages, from smaps_rollup): what the process holds for itself, so sums
 * over Chromium's processes count no shared library or buffer twice and do not move when another process maps or
 * drops the same pages (RSS and PSS both would).
 */
function ussKb(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return field('Private_Clean') + field('Private_Dirty');
  } catch {
    return 0;
  }
}

interface MemSample {
  sessions: number;
  rendererMB: number;
  chromiumMB: number;
  jsHeapMB: number;
  renderers: number;
}

async function memorySample(cdp: CDPSession, sessions: number): Promise<MemSample> {
  await cdp.send('HeapProfiler.collectGarbage');
  await sleep(1500); // let decoding and compositing settle
  const procs = descendants().filter((p) => p.cmd.includes('chromium'));
  const renderers = procs.filter((p) => p.cmd.includes('--type=renderer'));
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  const mb = (kb: number) => kb / 1024;
  return {
    sessions,
    rendererMB: mb(renderers.reduce((s, p) => s + ussKb(p.pid), 0)),
    chromiumMB: mb(procs.reduce((s, p) => s + ussKb(p.pid), 0)),
    jsHeapMB: heap / 2 ** 20,
    renderers: renderers.length,
  };
}

async function memoryRuns(app: AppSide, port: number): Promise<MemSample[]> {
  const page = await openPage(app);
  try {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const samples = [await memorySample(cdp, 0)];
    for (let n = 1; n <= SESSIONS; n++) {
      const t = await connectTimed(page, `tab${n}`, grantFor(app, port));
      if (!t.ok) throw new Error(`memory session ${n}: ${t.error}`);
      samples.push(await memorySample(cdp, n));
    }
    for (let n = 1; n <= SESSIONS; n++) await closeSession(page, `tab${n}`);
    return [...samples, await memorySample(cdp, 0)];
  } finally {
    await page.close();
  }
}

// ---- figures -------------------------------------------------------------------------------------------------------

function row(label: string, xs: number[], target: string): string {
  const s = stats(xs);
  const f = (v: number) => v.toFixed(0).padStart(6);
  return `${label.padEnd(46)} ${f(s.min)} ${f(s.median)} ${f(s.max)}   ${target}`;
}

async function main(): Promise<void> {
  const missing = shadowMissing() || chromiumMissing() || (haveBinary(XFREERDP) ? false : `${XFREERDP} is not installed (run scripts/install-test-deps.sh)`);
  if (missing) {
    console.log(`connect-vs-xfreerdp: not run: ${missing}`);
    return;
  }
  const desktop: Desktop = await startDesktop();
  cleanups.push(() => desktop.stop());
  const { port } = await startShadowTls(desktop.x.display);
  console.error(`shadow server on 127.0.0.1:${port} (display ${desktop.x.display}), ${RUNS} runs each after one warm-up`);
  const app = await startAppSide();

  console.error('IronRDP (WASM in Chromium, through the gateway):');
  const iron = await ironRdpRuns(app, port);
  console.error('xfreerdp (native, own Xvfb):');
  const xf = await xfreerdpRuns(port);
  console.error(`memory: 0..${SESSIONS} sessions in one page`);
  const mem = await memoryRuns(app, port);

  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`\nconnect to first frame, FreeRDP shadow server (TLS) on 127.0.0.1, 1024x768, ${RUNS} runs each`);
  console.log(`${when} UTC, ${cpus().length} CPUs, load average ${load} (other work on the machine shows in these figures)`);
  console.log(`${''.padEnd(46)} ${'min'.padStart(6)} ${'median'.padStart(6)} ${'max'.padStart(6)}   target`);
  console.log(row('IronRDP connect -> handshake done (ms)', iron.handshake, ''));
  console.log(row('IronRDP connect -> first paint (ms)', iron.firstPaint, ''));
  console.log(row('IronRDP connect -> desktop on canvas (ms)', iron.desktop, `<= ${TARGET.firstFrameMs} ms`));
  console.log(row('xfreerdp spawn -> desktop on screen (ms)', xf, `~${TARGET.xfreerdpRefMs} ms (reference)`));
  const ratio = stats(xf).median / stats(iron.desktop).median;
  console.log(`${'ratio xfreerdp median / IronRDP median'.padEnd(46)} ${ratio.toFixed(2).padStart(20)}`);

  console.log(`\nmemory per session (1024x768 each, one page, after GC)       target: each extra tab <= ${TARGET.perTabMB} MB`);
  console.log(`${'sessions'.padEnd(10)} ${'renderer USS'.padStart(14)} ${'+/session'.padStart(10)} ${'all Chromium USS'.padStart(17)} ${'+/session'.padStart(10)} ${'JS heap'.padStart(9)} ${'+/session'.padStart(10)}`);
  const closedAll = mem.pop()!;
  for (let i = 0; i < mem.length; i++) {
    const m = mem[i];
    const p = mem[i - 1];
    const d = (a: number, b?: number) => (b === undefined ? '' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(1)}`);
    console.log(
      `${String(m.sessions).padEnd(10)} ${m.rendererMB.toFixed(1).padStart(11)} MB ${d(m.rendererMB, p?.rendererMB).padStart(10)} ${m.chromiumMB.toFixed(1).padStart(14)} MB ${d(m.chromiumMB, p?.chromiumMB).padStart(10)} ${m.jsHeapMB.toFixed(1).padStart(6)} MB ${d(m.jsHeapMB, p?.jsHeapMB).padStart(10)}`,
    );
  }
  const last = mem[mem.length - 1];
  console.log(`first session in the page: renderer +${(mem[1].rendererMB - mem[0].rendererMB).toFixed(1)} MB (compare with what the page keeps after closing all)`);
  if (SESSIONS > 1) {
    // The median increment: another process's lazily released or allocated memory can land in any one sample.
    const extra = (k: 'rendererMB' | 'chromiumMB') => stats(mem.slice(2).map((m, i) => m[k] - mem[i + 1][k])).median.toFixed(1);
    console.log(`each extra session (median increment, sessions 2..${SESSIONS}): renderer +${extra('rendererMB')} MB, all Chromium processes +${extra('chromiumMB')} MB   target <= ${TARGET.perTabMB} MB`);
    console.log(`all ${SESSIONS} sessions together: renderer +${(last.rendererMB - mem[0].rendererMB).toFixed(1)} MB, all Chromium processes +${(last.chromiumMB - mem[0].chromiumMB).toFixed(1)} MB`);
  }
  console.log(`after closing all ${SESSIONS}: renderer ${closedAll.rendererMB.toFixed(1)} MB, all Chromium processes ${closedAll.chromiumMB.toFixed(1)} MB (what the page keeps)`);
  console.log(`(private memory (USS) summed over this browser's processes; renderer processes: ${[...mem, closedAll].map((m) => m.renderers).join(', ')})`);
  emitResult({
    group: 'connect',
    figures: [
      {
        name: 'RDP connect → desktop on canvas (shadow server, TLS)',
        unit: 'ms',
        samples: iron.desktop,
        better: 'lower',
        target: `≤ ${TARGET.firstFrameMs} ms`,
        native: { client: 'xfreerdp', samples: xf },
      },
    ],
    json: { rdp_connect_ms: { app: Math.round(stats(iron.desktop).median), xfreerdp: Math.round(stats(xf).median) } },
    notes: [
      'RDP connect: timed inside the page from connect() (module initialised) to the first frame showing the desktop; xfreerdp from spawn to the same five points of its window.',
    ],
  });
}

try {
  await main();
} finally {
  await cleanup();
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
