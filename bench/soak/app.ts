// The app in browser mode on its embedded demo cloud, hosted by this very process (as the end-to-end tests host it),
// and Chromium driving its page. Unlike the tests' harness, Chromium is launched without Playwright's own signal
// handlers: those exit the process on Ctrl+C, before the soak could print what it measured and stop the host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildRenderer } from '../../scripts/build-renderer.mjs';
import { startBrowserHost, type BrowserHost } from '../../electron/browser-host.ts';
import { DemoDesktop } from '../../electron/demo/demo-desktop/desktop.ts';
import type { SessionGrant } from '../../electron/common/contract.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/e2e/app/harness.ts';
import { installProbe } from './page-probe.ts';

export type Protocol = SessionGrant['protocol'];

export interface SoakApp {
  host: BrowserHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The run's temporary folder (renderer build, app data), removed by stop(). */
  dir: string;
  /** Which kind of console a page socket's URL belongs to (from the grants the main process handed out). */
  socketKind(url: string): Protocol | 'other';
  stop(): Promise<void>;
}

export interface SoakAppOptions {
  /** The demo desktops' frame rate (undefined: the demo's default). */
  fps?: number;
  /** 'fullscreen' makes every demo desktop change every pixel each frame instead of its animated band. */
  animation: 'box' | 'fullscreen';
  /** Every line the app logs. */
  log: (line: string) => void;
}

export async function startSoakApp(opts: SoakAppOptions): Promise<SoakApp> {
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

/**
 * Notes the URL of every grant the session service hands out, to tell the page's sockets apart: RDP sessions go to
 * the gateway's URL, VNC and serial sessions to a relay URL of their own. The page's requests still reach the real
 * service (the API handlers read `services.sessions` on each request).
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
