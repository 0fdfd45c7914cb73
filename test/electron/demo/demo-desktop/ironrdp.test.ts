// The demo desktop in IronRDP's WASM client (the product's engine) in Chromium, through the product's gateway:
// the picture matches the server's framebuffer, typed text reaches the desktop, and a resize request re-runs
// capability exchange at the new size.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../../../support/chromium.ts';
import { RdpGateway } from '../../../../electron/rdp/gateway.ts';
import { CertificateTrust, TrustStore } from '../../../../electron/rdp/trust-store.ts';
import { startDemoDesktop, type DemoDesktopServer } from '../../../../electron/demo/demo-desktop/server.ts';
import { startDemoConsoleHost } from '../../../../electron/demo/console-host/index.ts';

const PAGE_DIR = fileURLToPath(new URL('./ironrdp-page/', import.meta.url));
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' data: ws://127.0.0.1:*";
const BG = [0x1d, 0x35, 0x57];

describe('demo desktop in IronRDP (Chromium, through the gateway)', { skip: chromiumMissing() }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'demo-ironrdp-'));
  let server: DemoDesktopServer;
  let gateway: RdpGateway;
  let http: Server;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    server = await startDemoDesktop({ dataDir, vm: { id: 'vm-wasm', name: 'WASM-VIEW' }, fps: 10, log: () => {} });
    const outdir = mkdtempSync(join(tmpdir(), 'demo-page-'));
    await build({ entryPoints: [join(PAGE_DIR, 'main.ts')], bundle: true, format: 'esm', target: 'es2022', outfile: join(outdir, 'main.js'), logLevel: 'silent' });
    const files: Record<string, { body: Buffer; type: string }> = {
      '/': { body: readFileSync(join(PAGE_DIR, 'index.html')), type: 'text/html; charset=utf-8' },
      '/main.js': { body: readFileSync(join(outdir, 'main.js')), type: 'text/javascript; charset=utf-8' },
    };
    rmSync(outdir, { recursive: true, force: true });
    http = createServer((req, res) => {
      const f = files[new URL(req.url ?? '/', 'http://x').pathname];
      if (!f) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': f.type, 'Content-Security-Policy': CSP }).end(f.body);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const store = new TrustStore();
    const trust: CertificateTrust = new CertificateTrust(store, (p) => void trust.decide(p.promptId, 'trust-always'));
    gateway = new RdpGateway({ verifyCertificate: trust.verify });
    await gateway.listen();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 850 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    await page.evaluate(() => (window as unknown as { demoTest: { init(): Promise<boolean> } }).demoTest.init());
  });

  after(async () => {
    await page?.evaluate(() => (window as unknown as { demoTest: { shutdown(): void } }).demoTest.shutdown()).catch(() => {});
    await browser?.close().catch(() => {});
    await gateway?.close();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = <T>(fn: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(([f, a]) => (window as unknown as { demoTest: Record<string, (...x: unknown[]) => unknown> }).demoTest[f](...(a)), [fn, args] as const) as Promise<T>;

  async function canvas(): Promise<PNG> {
    return PNG.sync.read(await page.locator('#screen').screenshot());
  }
  const at = (png: PNG, x: number, y: number) => {
    const i = (png.width * y + x) * 4;
    return [png.data[i], png.data[i + 1], png.data[i + 2]];
  };
  const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 8);

  /** Waits for the desktop's background on a page's canvas, then compares the title's first letter with `srv`'s framebuffer. */
  async function assertDrawsDesktop(p: Page, srv: DemoDesktopServer): Promise<void> {
    const shot = async () => PNG.sync.read(await p.locator('#screen').screenshot());
    let png = await shot();
    for (let i = 0; i < 60 && !near(at(png, 512, 500), BG); i++) {
      await new Promise((r) => setTimeout(r, 250));
      png = await shot();
    }
    assert.ok(near(at(png, 512, 500), BG), `background ${at(png, 512, 500).join()}`);
    const view = srv.desktop.attach(1024, 768);
    try {
      let same = 0;
      for (let y = 32; y < 96; y++)
        for (let x = 32; x < 96; x++) {
          const i = (y * 1024 + x) * 4;
          if (near(at(png, x, y), [view.fb.data[i + 2], view.fb.data[i + 1], view.fb.data[i]])) same++;
        }
      assert.ok(same > 64 * 64 * 0.98, `${same} of ${64 * 64} title pixels match`);
    } finally {
      srv.desktop.detach(view);
    }
  }

  it('draws the desktop exactly as the server has it, and acknowledges its frames', async () => {
    const g = gateway.grant({ host: '127.0.0.1', port: server.port, vmconnect: false });
    const grant = { sessionId: g.sessionId, title: 'WASM-VIEW', gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination };
    const result = await call<{ ok: boolean; message?: string }>('connect', grant);
    assert.ok(result.ok, result.message);
    await assertDrawsDesktop(page, server);
    // IronRDP answers the frame markers the desktop sends it (so the desktop keeps at most two frames in flight).
    const [session] = server.sessions;
    for (let i = 0; i < 100 && session.stats.frameAcks === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(session.stats.frames > 0 && session.stats.frameAcks > 0, `frames ${session.stats.frames}, acknowledged ${session.stats.frameAcks}`);
  });

  it('draws planar tiles exactly too (the encoding that is not the default)', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 850 } });
    const planar = await startDemoDesktop({ dataDir, vm: { id: 'vm-planar', name: 'PLANAR' }, fps: 0, encoding: 'planar', log: () => {} });
    try {
      const p2 = await ctx.newPage();
      await p2.goto(page.url());
      await p2.evaluate(() => (window as unknown as { demoTest: { init(): Promise<boolean> } }).demoTest.init());
      const g = gateway.grant({ host: '127.0.0.1', port: planar.port, vmconnect: false });
      const grant = { sessionId: g.sessionId, title: 'PLANAR', gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination };
      const result = await p2.evaluate(
        ([gr]) => (window as unknown as { demoTest: { connect(g: unknown): Promise<{ ok: boolean; message?: string }> } }).demoTest.connect(gr),
        [grant] as const,
      );
      assert.ok(result.ok, result.message);
      await assertDrawsDesktop(p2, planar);
      await p2.evaluate(() => (window as unknown as { demoTest: { shutdown(): void } }).demoTest.shutdown());
    } finally {
      await ctx.close();
      await planar.close();
    }
  });

  it('passes typed text and the pointer to the desktop', async () => {
    await call('typeText', 'wasm ok');
    await call('mouseMove', 300, 200);
    for (let i = 0; i < 100 && !(server.desktop.typed.endsWith('wasm ok') && server.desktop.mouse?.x === 300); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(server.desktop.typed.endsWith('wasm ok'), `typed: ${JSON.stringify(server.desktop.typed)}`);
    assert.deepEqual(server.desktop.mouse, { x: 300, y: 200 });
  });

  it('reaches a VM through the console host with TLS only (VMConnect order, no CredSSP)', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 850 } });
    const host = await startDemoConsoleHost({ servers: [{ id: 'vm-tls-only', name: 'TLS-ONLY', status: 'ACTIVE' }], dataDir, port: 0, fps: 0, log: () => {} });
    try {
      const p2 = await ctx.newPage();
      await p2.goto(page.url());
      await p2.evaluate(() => (window as unknown as { demoTest: { init(): Promise<boolean> } }).demoTest.init());
      const g = gateway.grant({ host: '127.0.0.1', port: host.port, vmconnect: true, preConnectionBlob: 'vm-tls-only' });
      const grant = { sessionId: g.sessionId, title: 'TLS-ONLY', gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination, vmconnect: true, preConnectionBlob: 'vm-tls-only' };
      const result = await p2.evaluate(
        ([gr]) => (window as unknown as { demoTest: { connect(g: unknown, c: boolean): Promise<{ ok: boolean; message?: string }> } }).demoTest.connect(gr, false),
        [grant] as const,
      );
      assert.ok(result.ok, result.message);
      let png = PNG.sync.read(await p2.locator('#screen').screenshot());
      for (let i = 0; i < 60 && !near(at(png, 512, 500), BG); i++) {
        await new Promise((r) => setTimeout(r, 250));
        png = PNG.sync.read(await p2.locator('#screen').screenshot());
      }
      assert.ok(near(at(png, 512, 500), BG), `background ${at(png, 512, 500).join()}`);
      await p2.evaluate(() => (window as unknown as { demoTest: { shutdown(): void } }).demoTest.shutdown());
    } finally {
      await ctx.close();
      await host.close();
    }
  });

  it('follows a resize request at the new size and keeps drawing', async () => {
    await call('resize', 800, 600);
    const session = [...server.sessions][0];
    for (let i = 0; i < 100 && session.size?.width !== 800; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(session.size, { width: 800, height: 600 });
    let state = await call<{ width: number; height: number; closed: string[] }>('state');
    for (let i = 0; i < 60 && state.width !== 800; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await call('state');
    }
    assert.equal(state.width, 800, JSON.stringify(state));
    assert.equal(state.height, 600);
    assert.deepEqual(state.closed, []);
    let png = await canvas();
    for (let i = 0; i < 40 && !near(at(png, 700, 400), BG); i++) {
      await new Promise((r) => setTimeout(r, 250));
      png = await canvas();
    }
    assert.ok(near(at(png, 700, 400), BG), `background after resize ${at(png, 700, 400).join()}`);
    assert.deepEqual(pageErrors, []);
  });
});
