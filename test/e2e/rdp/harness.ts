import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/chromium.ts';
import { RdpGateway, type GatewayOptions } from '../../../electron/rdp/gateway.ts';
import { CertificateTrust, TrustStore } from '../../../electron/rdp/trust-store.ts';
import type { SessionStatus } from '../../../electron/rdp/relay-session.ts';
import type { TrustPrompt } from '../../../electron/common/contract.ts';

/**
 * One browser, one page server and one real gateway for the RDP end-to-end tests. The page is bundled with
 * esbuild from page/main.ts (which uses renderer/consoles/rdp/engine) and served from loopback with the product's strict CSP.
 */

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self' data: ws://127.0.0.1:*",
  "img-src 'self' data: blob:",
  "style-src 'self'",
].join('; ');

export interface Harness {
  browser: Browser;
  /** A fresh page with the WASM module initialised. */
  newPage(): Promise<Page>;
  pageUrl: string;
  gateway: RdpGateway;
  trust: CertificateTrust;
  prompts: TrustPrompt[];
  statuses: SessionStatus[];
  /** Errors the page printed (CSP violations show up here). */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function startHarness(gatewayOptions: Partial<GatewayOptions> = {}): Promise<Harness> {
  const outdir = mkdtempSync(join(tmpdir(), 'rdp-page-'));
  await build({
    entryPoints: [join(PAGE_DIR, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    outfile: join(outdir, 'main.js'),
    logLevel: 'silent',
  });
  const files: Record<string, { body: Buffer; type: string }> = {
    '/': { body: readFileSync(join(PAGE_DIR, 'index.html')), type: 'text/html; charset=utf-8' },
    '/main.js': { body: readFileSync(join(outdir, 'main.js')), type: 'text/javascript; charset=utf-8' },
    '/page.css': { body: readFileSync(join(PAGE_DIR, 'page.css')), type: 'text/css; charset=utf-8' },
  };
  rmSync(outdir, { recursive: true, force: true });
  const http: Server = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': f.type, 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' }).end(f.body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const pageUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;

  const prompts: TrustPrompt[] = [];
  const statuses: SessionStatus[] = [];
  const store = new TrustStore();
  // The test plays the user: every certificate question is answered "trust always" (and recorded).
  const trust: CertificateTrust = new CertificateTrust(store, (p) => {
    prompts.push(p);
    void trust.decide(p.promptId, 'trust-always');
  });
  const gateway = new RdpGateway({ verifyCertificate: trust.verify, onStatus: (s) => statuses.push(s), ...gatewayOptions });
  await gateway.listen();

  const browser = await launchChromium();
  const consoleErrors: string[] = [];
  const newPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 850 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(pageUrl);
    await page.evaluate(() => (window.rdpTest as { init(): Promise<boolean> }).init());
    return page;
  };
  return {
    browser,
    newPage,
    pageUrl,
    gateway,
    trust,
    prompts,
    statuses,
    consoleErrors,
    close: async () => {
      await browser.close().catch(() => {});
      await gateway.close();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

export interface Frame {
  png: PNG;
  at(x: number, y: number): [number, number, number];
}

export async function canvasFrame(page: Page, selector = '#screen'): Promise<Frame> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  return {
    png,
    at: (x, y) => {
      const i = (png.width * y + x) * 4;
      return [png.data[i], png.data[i + 1], png.data[i + 2]];
    },
  };
}

export const near = (a: readonly number[], b: readonly number[], tol = 12) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

/** Share of the rectangle's pixels within `tol` of `rgb`. */
export function share(f: Frame, rgb: readonly number[], rect = { x: 0, y: 0, w: f.png.width, h: f.png.height }, tol = 12): number {
  let hit = 0;
  let total = 0;
  for (let y = rect.y; y < rect.y + rect.h; y += 2) {
    for (let x = rect.x; x < rect.x + rect.w; x += 2) {
      total++;
      if (near(f.at(x, y), rgb, tol)) hit++;
    }
  }
  return hit / total;
}

/** Polls the canvas (bounded) until `ok` holds; returns the last frame either way. */
export async function waitForFrame(page: Page, ok: (f: Frame) => boolean, tries = 60, selector = '#screen'): Promise<Frame> {
  let f = await canvasFrame(page, selector);
  for (let i = 0; i < tries && !ok(f); i++) {
    await new Promise((r) => setTimeout(r, 250));
    f = await canvasFrame(page, selector);
  }
  return f;
}

export type ConnectResult = { ok: true } | { ok: false; kind: string; message: string };

export function connectPage(page: Page, grant: unknown, credentials?: unknown, credssp?: boolean): Promise<ConnectResult> {
  return page.evaluate(
    ([g, c, n]) => (window.rdpTest as { connect(g: unknown, c: unknown, n: unknown): Promise<ConnectResult> }).connect(g, c, n),
    [grant, credentials, credssp] as const,
  );
}

/** Everything the page rendered counts only if the canvas is not one flat colour. */
export function distinctColours(f: Frame, rect: { x: number; y: number; w: number; h: number }): number {
  const seen = new Set<number>();
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const [r, g, b] = f.at(x, y);
      seen.add((r << 16) | (g << 8) | b);
    }
  }
  return seen.size;
}
