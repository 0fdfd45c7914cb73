// The app in browser mode for a benchmark: hosted by this very process (the app's services and its embedded demo
// cloud, whose demo desktops are the servers behind the consoles), shown by a Chromium page. The page gets no counters
// or wrappers of its own (unlike the soak's), so what is measured is the app. Chromium is launched without
// Playwright's signal handlers: on Ctrl+C, runBench stops the browser and the host itself, then exits, so no Chromium
// and no temporary folder outlive the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildRenderer } from '../../scripts/build-renderer.mjs';
import { startBrowserHost, type BrowserHost } from '../../electron/browser-host.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../../test/e2e/app/harness.ts';
import type { SoakApp } from '../soak/app.ts';
import { commandLine, findChromiumBrowser } from '../soak/proc.ts';

export interface Stoppable {
  /** Stops everything this started; safe to call more than once. */
  stop(): Promise<void>;
}

/** The host alone: the app's services and the embedded demo, serving the page on 127.0.0.1. */
export interface BenchHost extends Stoppable {
  host: BrowserHost;
  /** The run's temporary folder (renderer build, app data), removed by stop(). */
  dir: string;
}

/** The app as the soak's tab helpers (bench/soak/tabs.ts) expect it; `socketKind` is not tracked here. */
export type BenchApp = SoakApp & {
  /** Pid of the Chromium browser process (the root of the page's process tree), when found. */
  browserPid: number | undefined;
};

export interface BenchAppOptions {
  /** Where the app's log lines go (default: dropped; the benchmarks print their own lines). */
  log?: (line: string) => void;
  /** The demo desktops' animation rate (undefined: the demo's own default). */
  fps?: number;
  /** Switches for Chromium on top of the tests' own (e.g. --js-flags=… to see what a V8 setting changes). */
  chromiumArgs?: string[];
}

/**
 * Builds the renderer into a private folder (a build someone else starts in dist/ meanwhile cannot change the page
 * under the benchmark) and starts the host on a free port with only the demo cloud.
 */
export async function startBenchHost(opts: BenchAppOptions = {}): Promise<BenchHost> {
  const dir = mkdtempSync(join(tmpdir(), 'nova-bench-'));
  const rendererDir = join(dir, 'renderer');
  try {
    await buildRenderer({ quiet: true, outdir: rendererDir });
    const host = await startBrowserHost({
      rendererDir,
      dataDir: join(dir, 'data'),
      log: opts.log ?? (() => undefined),
      // No clouds.yaml of this machine's user, only the demo; its console host on any free port (a running app may
      // hold Hyper-V's 2179).
      compose: { cloudSources: { cwd: dir, home: dir, siteDir: join(dir, 'etc'), env: {} }, demo: { consolePort: 0, fps: opts.fps } },
    });
    let stopping: Promise<void> | undefined;
    return {
      host,
      dir,
      stop() {
        stopping ??= (async () => {
          await host.close().catch(() => undefined);
          removeQuietly(dir);
        })();
        return stopping;
      },
    };
  } catch (err) {
    removeQuietly(dir);
    throw err;
  }
}

/** The host, and Chromium driven by Playwright with one page (not yet navigated). */
export async function startBenchApp(opts: BenchAppOptions = {}): Promise<BenchApp> {
  if (chromiumMissing) throw new Error(chromiumMissing);
  const base = await startBenchHost(opts);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(opts.chromiumArgs ?? [])],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const b = browser;
    const browserPid = findChromiumBrowser(process.pid);
    let stopping: Promise<void> | undefined;
    return {
      host: base.host,
      browser: b,
      context,
      page,
      dir: base.dir,
      browserPid,
      socketKind: () => 'other',
      stop() {
        stopping ??= (async () => {
          await b.close().catch(() => undefined);
          // A browser that did not close in an orderly way is ended by its pid (never by name: other Chromiums may
          // run on this machine).
          if (browserPid !== undefined && commandLine(browserPid).length > 0) killQuietly(browserPid);
          await base.stop();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await base.stop();
    throw err;
  }
}

/**
 * Removes a temporary folder; a process that is still ending may write into it meanwhile (Chromium's profile), so a
 * few retries, and a folder that still cannot go is left (and said) rather than failing the run's shutdown.
 */
export function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  } catch (err) {
    console.error(`could not remove ${dir}: ${(err as Error).message}`);
  }
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Runs a benchmark body on what `start` starts and stops it afterwards, whether the body finished, threw, or the run
 * was interrupted (SIGINT/SIGTERM: everything is stopped, then the process exits with 130; a signal during start-up
 * takes effect once the start is done, so nothing it started is left behind; a second signal exits at once). A
 * failure is printed and sets exit code 1; the result line is the body's to print.
 */
export async function runBench<T extends Stoppable>(name: string, start: () => Promise<T>, body: (started: T) => Promise<void>): Promise<void> {
  let started: T | undefined;
  let interrupted = false;
  const quit = () => process.exit(130);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) quit();
    interrupted = true;
    console.log(`\n${name}: ${signal}, stopping`);
    if (started) started.stop().then(quit, quit);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    started = await start();
    if (interrupted) {
      await started.stop();
      quit();
    }
    await body(started);
  } catch (err) {
    if (interrupted) {
      await started?.stop();
      quit();
    } else {
      console.error(`${name}: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    }
  } finally {
    await started?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** runBench with the host and a Playwright-driven page. */
export function withBenchApp(name: string, opts: BenchAppOptions, body: (app: BenchApp) => Promise<void>): Promise<void> {
  return runBench(name, () => startBenchApp(opts), body);
}
