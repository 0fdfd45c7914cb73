import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildRenderer } from '../../../scripts/build-renderer.mjs';
import { chromiumSwitchArgs } from '../../../electron/app/chromium-switches.ts';
import { startBrowserHost, type BrowserHost, type BrowserHostOptions } from '../../../electron/browser-host.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`;

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // The switches the app's Electron window runs with. This --disable-features replaces Playwright's own (Chromium
  // honours the last one): those keep automation quiet (translation, media router, update downloads), and Electron's
  // window has none of them disabled either.
  ...chromiumSwitchArgs(),
];

/** One browser-mode app on a private data folder and an empty clouds.yaml search path (only the demo cloud). */
export interface AppUnderTest {
  host: BrowserHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  dir: string;
  stop(): Promise<void>;
}

export async function startAppUnderTest(opts: Partial<BrowserHostOptions> & { cloudsYaml?: string } = {}): Promise<AppUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'nova-app-e2e-'));
  if (opts.cloudsYaml) writeFileSync(join(dir, 'clouds.yaml'), opts.cloudsYaml);
  const rendererDir = join(dir, 'renderer');
  let host: BrowserHost | undefined;
  let browser: Browser | undefined;
  try {
    // A private build: tests never race another build writing dist/renderer.
    await buildRenderer({ quiet: true, outdir: rendererDir });
    host = await startBrowserHost({
      rendererDir,
      dataDir: join(dir, 'data'),
      log: () => undefined,
      ...opts,
      // Port 0 for the demo console host: tests never take Hyper-V's 2179 from a running app or another test.
      compose: { cloudSources: { cwd: dir, home: dir, siteDir: join(dir, 'etc'), env: {} }, demo: { consolePort: 0 }, ...opts.compose },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const h = host;
    const b = browser;
    return {
      host: h,
      browser: b,
      context,
      page,
      dir,
      async stop() {
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
