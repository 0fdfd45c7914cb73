// The app in browser mode, hosted by this process as the end-to-end tests host it (a private renderer build, the
// browser host with its real RDP gateway and VNC relay, no clouds), and Debian's Chromium showing it. Consoles are
// opened the user's way: an address typed into the URL bar. The page gets the frame counter (page-counter.ts)
// before its own scripts run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { buildRenderer } from '../../scripts/build-renderer.mjs';
import { startBrowserHost, type BrowserHost } from '../../electron/browser-host.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/e2e/app/harness.ts';
import type { PageTake, StreamFpsApi } from './page-counter.ts';

const CONNECT_TIMEOUT_MS = 30_000;

export interface StreamApp {
  host: BrowserHost;
  browser: Browser;
  page: Page;
  /** DevTools session of the page, with its Performance domain on (main-thread time). */
  cdp: CDPSession;
  /** Chromium's command-line switches beyond the tests' own (none unless asked for). */
  extraArgs: string[];
  stop(): Promise<void>;
}

/** The page counter as one script (esbuild, no names kept: nothing in it may refer to a Node-side helper). */
async function counterScript(): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./page-counter.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

export async function startStreamApp(opts: { extraArgs?: string[]; log?: (line: string) => void } = {}): Promise<StreamApp> {
  const dir = mkdtempSync(join(tmpdir(), 'stream-fps-app-'));
  const extraArgs = opts.extraArgs ?? [];
  let host: BrowserHost | undefined;
  let browser: Browser | undefined;
  try {
    // A private build: a build someone starts in dist/ meanwhile cannot change the page under the benchmark.
    await buildRenderer({ quiet: true, outdir: join(dir, 'renderer') });
    host = await startBrowserHost({
      rendererDir: join(dir, 'renderer'),
      dataDir: join(dir, 'data'),
      log: opts.log ?? (() => undefined),
      // No clouds of this machine's user and no demo cloud: only the addresses typed in.
      compose: { cloudSources: { cwd: dir, home: dir, siteDir: join(dir, 'etc'), env: {} }, demo: false },
    });
    // Without Playwright's signal handlers (they would close the browser and exit on Ctrl+C before the benchmark
    // stops what it started and says what it measured).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript({ content: await counterScript() });
    const page = await context.newPage();
    page.setDefaultTimeout(CONNECT_TIMEOUT_MS);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(host.url);
    await page.getByRole('textbox', { name: 'Console URL or address' }).waitFor();
    const h = host;
    const b = browser;
    return {
      host: h,
      browser: b,
      page,
      cdp,
      extraArgs,
      stop: async () => {
        await b.close().catch(() => undefined);
        await h.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export const canvasSelector = (title: string) => `canvas[aria-label="Remote display: ${title}"]`;

/**
 * Opens `address` from the URL bar and waits until its tab says Connected, answering a certificate prompt with
 * "Trust always" (a user's first visit; later connections to the same server find it pinned).
 */
export async function openConsole(app: StreamApp, address: string, title: string): Promise<void> {
  const { page } = app;
  const box = page.getByRole('textbox', { name: 'Console URL or address' });
  await box.fill(address);
  await box.press('Enter');
  await page.getByRole('tab', { name: title, exact: true }).waitFor();
  const dialog = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    const status = await page.evaluate(() => document.querySelector('[role=tabpanel]:not([hidden]) [role=status]')?.textContent ?? '');
    if (status === 'Connected') break;
    if (/^Disconnected/.test(status)) throw new Error(`${address}: ${status}`);
    if (Date.now() > deadline) throw new Error(`${address}: not connected within ${CONNECT_TIMEOUT_MS} ms (status: ${status})`);
    if (await dialog.isVisible()) await dialog.getByRole('button', { name: 'Trust always' }).click();
    await page.waitForTimeout(50);
  }
  await page.locator(canvasSelector(title)).waitFor();
}

export async function closeConsole(app: StreamApp, title: string): Promise<void> {
  await app.page.getByRole('button', { name: `Close ${title}`, exact: true }).click();
  await app.page.locator(canvasSelector(title)).waitFor({ state: 'detached' });
}

/** The size of the open tab's display area, in CSS pixels (what the RDP session asks the server for). */
export function displayArea(app: StreamApp): Promise<{ width: number; height: number }> {
  return app.page.evaluate(() => {
    const area = document.querySelector<HTMLElement>('[role=tabpanel]:not([hidden]) .display-area');
    return { width: area?.clientWidth ?? 0, height: area?.clientHeight ?? 0 };
  });
}

/**
 * Resizes the browser window so the display area of a tab (measured on the open one) is exactly width × height:
 * the next RDP session then asks for that desktop size, and the canvas shows it at scale 1, as xfreerdp shows it.
 * A few rounds: the toolbars wrap onto more lines in a narrower window, so the area does not follow the window
 * one for one.
 */
export async function fitDisplayArea(app: StreamApp, width: number, height: number): Promise<void> {
  let area = await displayArea(app);
  for (let round = 0; round < 6 && (area.width !== width || area.height !== height); round++) {
    const vp = app.page.viewportSize()!;
    await app.page.setViewportSize({ width: vp.width + width - area.width, height: vp.height + height - area.height });
    // Layout follows the resize within a frame; two make sure a ResizeObserver-driven relayout is included.
    await app.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    area = await displayArea(app);
  }
  if (area.width !== width || area.height !== height) throw new Error(`the display area is ${area.width}×${area.height}, not ${width}×${height}, after resizing the window`);
}

export function startCounting(app: StreamApp, title: string, points: Array<[number, number]>, palette: 'demo' | 'x11'): Promise<void> {
  return app.page.evaluate(
    ([sel, pts, pal]) => (window as unknown as { __streamFps: StreamFpsApi }).__streamFps.start(sel, pts, pal),
    [canvasSelector(title), points, palette] as const,
  );
}

export function takeCounts(app: StreamApp): Promise<PageTake> {
  return app.page.evaluate(() => (window as unknown as { __streamFps: StreamFpsApi }).__streamFps.take());
}

export function streamOnScreen(app: StreamApp): Promise<boolean> {
  return app.page.evaluate(() => (window as unknown as { __streamFps: StreamFpsApi }).__streamFps.onScreen());
}

export function stopCounting(app: StreamApp): Promise<void> {
  return app.page.evaluate(() => (window as unknown as { __streamFps: StreamFpsApi }).__streamFps.stop());
}

/** The page's main thread so far: all its tasks, and the script run in them (CDP Performance metrics), in ms. */
export async function mainThreadMs(app: StreamApp): Promise<{ tasks: number; script: number }> {
  const { metrics } = await app.cdp.send('Performance.getMetrics');
  const get = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  return { tasks: get('TaskDuration'), script: get('ScriptDuration') };
}
