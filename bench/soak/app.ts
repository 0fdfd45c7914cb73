// The app in browser mode on its embedded demo cloud, hosted by this very process (as the end-to-end tests host it),
// and Chromium driving its page. Unlike the tests' harness, Chromium is launched without Playwright's own signal
// handlers: those exit the process on Ctrl+C, before the soak could print what it measured and stop the host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { buildRenderer } from '../../scripts/build-renderer.mjs';
import { startBrowserHost, type BrowserHost } from '../../electron/browser-host.ts';
import { DemoDesktop } from '../../electron/demo/demo-desktop/desktop.ts';
import type { SessionGrant } from '../../electron/common/contract.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/e2e/app/harness.ts';
import { installProbe } from './page-probe.ts';
import { installWorkerProbe } from './worker-probe.ts';

export type Protocol = SessionGrant['protocol'];

export interface SoakApp {
  host: BrowserHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The run's temporary folder (renderer build, app data), removed by stop(). */
  dir: string;
  /** Which kind of console a socket's URL belongs to, page's or RDP worker's (from the grants the main process handed out). */
  socketKind(url: string): Protocol | 'other';
  stop(): Promise<void>;
}

/**
 * The soak's app: with its probes in the page (page-probe.ts) and in the RDP worker (worker-probe.ts). SoakApp alone is
 * what the tab helpers (tabs.ts) need, and what other benchmarks' apps (bench/common/app.ts) offer them.
 */
export interface ProbedSoakApp extends SoakApp {
  /** The page's RDP workers (the app's RDP engine, rdp-worker.js) whose probe is installed (worker-probe.ts). */
  rdpWorkers(): Worker[];
  /**
   * Waits (at most `ms`) until the page's RDP worker runs with its probe installed; false if it did not in time (a
   * page without workers runs the engine in the page, where the page probe counts it). Why installing failed, if it did.
   */
  rdpWorkerProbed(ms: number): Promise<{ ok: boolean; error?: string }>;
}

export interface SoakAppOptions {
  /** The demo desktops' frame rate (undefined: the demo's default). */
  fps?: number;
  /** 'fullscreen' makes every demo desktop change every pixel each frame instead of its animated band. */
  animation: 'box' | 'fullscreen';
  /** Every line the app logs. */
  log: (line: string) => void;
}

export async function startSoakApp(opts: SoakAppOptions): Promise<ProbedSoakApp> {
  const dir = mkdtempSync(join(tmpdir(), 'nova-soak-'));
  const rendererDir = join(dir, 'renderer');
  let host: BrowserHost | undefined;
  let browser: Browser | undefined;
  let undoAnimation: () => void = () => undefined;
  try {
    if (opts.animation === 'fullscreen') undoAnimation = fullscreenAnimation();
    // A private build, so a build another person starts in dist/ meanwhile cannot change the page under the soak.
    await buildRenderer({ quiet: true, outdir: rendererDir });
    host = await startBrowserHost({
      rendererDir,
      dataDir: join(dir, 'data'),
      log: opts.log,
      // No clouds.yaml of this machine's user, only the demo; its console host on any free port (not Hyper-V's
      // 2179, which a running app may hold).
      compose: { cloudSources: { cwd: dir, home: dir, siteDir: join(dir, 'etc'), env: {} }, demo: { consolePort: 0, fps: opts.fps } },
    });
    const kinds = recordGrants(host);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(installProbe);
    const page = await context.newPage();
    const workers = probeRdpWorkers(page);
    const h = host;
    const b = browser;
    let stopping: Promise<void> | undefined;
    return {
      host: h,
      browser: b,
      context,
      page,
      dir,
      socketKind: kinds,
      rdpWorkers: workers.probed,
      rdpWorkerProbed: workers.wait,
      stop() {
        stopping ??= (async () => {
          await b.close().catch(() => undefined);
          await h.close().catch(() => undefined);
          undoAnimation();
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    undoAnimation();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The app's RDP engine runs in a worker started from this script (scripts/build-renderer.mjs builds it). */
const RDP_WORKER = /\/rdp-worker\.js(\?.*)?$/;

/**
 * Installs the worker probe in every RDP worker the page starts, as soon as Playwright reports it (the app starts its
 * worker at page load, to warm the engine up, so before any RDP tab opens; a worker the engine starts again after
 * losing one gets it as well). Playwright's 'worker' event comes for a worker that is already running its script, so
 * the probe cannot precede the script as addInitScript does in the page; it need only precede the first RDP socket
 * (see worker-probe.ts for what happens to a socket it does not).
 */
function probeRdpWorkers(page: Page): { probed: () => Worker[]; wait: (ms: number) => Promise<{ ok: boolean; error?: string }> } {
  const probed = new Set<Worker>();
  const closed = new WeakSet<Worker>();
  let error: string | undefined;
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiters) wake();
  };
  const install = (w: Worker) => {
    if (!RDP_WORKER.test(w.url())) return;
    w.on('close', () => {
      closed.add(w);
      probed.delete(w);
    });
    w.evaluate(installWorkerProbe).then(
      () => {
        if (!closed.has(w)) probed.add(w);
        wakeAll();
      },
      (err: unknown) => {
        // A worker that ended meanwhile needs no probe; its successor gets one.
        if (!closed.has(w)) error = (err as Error).message.split('\n')[0];
        wakeAll();
      },
    );
  };
  page.on('worker', install);
  for (const w of page.workers()) install(w);
  return {
    probed: () => [...probed],
    wait: (ms) =>
      new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(probed.size > 0 ? { ok: true } : { ok: false, error });
        };
        const check = () => {
          if (probed.size > 0 || error !== undefined) finish();
        };
        const timer = setTimeout(finish, ms);
        waiters.add(check);
        check();
      }),
  };
}

/**
 * Notes the URL of every grant the session service hands out, to tell the sockets apart: RDP sessions go to the
 * gateway's URL (one for all of them: the session's token travels inside its first message, so this names the kind,
 * not the tab; these sockets are the RDP worker's), VNC and serial sessions to a relay URL of their own (the page's).
 * The page's requests still reach the real service (the API handlers read `services.sessions` on each request).
 */
function recordGrants(host: BrowserHost): (url: string) => Protocol | 'other' {
  const byUrl = new Map<string, Protocol>();
  const services = host.app.services;
  const real = services.sessions;
  if (real) {
    services.sessions = {
      open: async (target) => {
        const grant = await real.open(target);
        byUrl.set(grant.protocol === 'rdp' ? grant.gatewayUrl : grant.relayUrl, grant.protocol);
        return grant;
      },
      close: (sessionId) => real.close(sessionId),
    };
  }
  return (url) => {
    for (const [prefix, kind] of byUrl) if (url.startsWith(prefix)) return kind;
    return 'other';
  };
}

/**
 * The embedded demo offers no switch for the full-screen animation (only the standalone demo cloud's
 * --demo-animation and bench/demo-desktop-stream.ts use it), but a desktop reads its public `animation` field on each
 * redraw: it is set as each desktop gets its first session. Returns what puts the prototype back.
 */
function fullscreenAnimation(): () => void {
  const proto = DemoDesktop.prototype;
  const attach = Object.getOwnPropertyDescriptor(proto, 'attach')!;
  const original = attach.value as DemoDesktop['attach'];
  proto.attach = function attachFullscreen(this: DemoDesktop, width: number, height: number) {
    this.animation = 'fullscreen';
    return original.call(this, width, height);
  };
  return () => {
    Object.defineProperty(proto, 'attach', attach);
  };
}
