// Benchmark group `memory`: what console tabs cost in memory. The app runs in browser mode on its embedded demo
// cloud with 0 (page loaded, no tab), 1, 5 and 10 RDP tabs open; at each level, once the tabs are Connected and
// memory has settled and garbage was collected, the private memory of every process is read from /proc: this
// process (the host: in browser mode it runs the app's services, the RDP gateway and the embedded demo, whose demo
// desktops are the servers behind the tabs) and each process of the Chromium showing the page.
//
//   npx tsx bench/tab-memory.ts [--settle 5] [--playwright]
//
// The page is driven over the DevTools protocol directly (bench/common/cdp.ts), not through Playwright: Playwright
// enables the Runtime domain on its pages, which makes the renderer keep about 160 MB more once an RDP session runs;
// --playwright drives it with Playwright anyway, to see that difference. --settle is the least time in seconds to
// wait after a level's last tab says Connected; the wait goes on (up to 30 s) until memory stops moving.
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import type { BrowserHost } from '../electron/browser-host.ts';
import type { MockCloudServer } from '../electron/demo/cloud/index.ts';
import type { DesktopView } from '../electron/demo/demo-desktop/desktop.ts';
import { runBench, startBenchApp, startBenchHost, type Stoppable } from './common/app.ts';
import { launchBareChromium, type CdpPage } from './common/cdp.ts';
import { collectGarbage, memorySnapshot, mib, type MemorySnapshot } from './common/memory.ts';
import { emitResult } from './result.ts';
import { stats } from './stats.ts';
import { DEMO_TREE, openTab } from './soak/tabs.ts';

const { values } = parseArgs({ options: { settle: { type: 'string', default: '5' }, playwright: { type: 'boolean', default: false } }, strict: true });
const SETTLE_MS = Math.max(0, Math.min(120, Number(values.settle) || 0)) * 1000;
/** Memory counts as settled when the last readings (a second apart) span no more than this. */
const STABLE_SPAN_MB = 4;
const STABLE_READINGS = 5;
const MAX_SETTLE_MS = 30_000;
const LEVELS = [0, 1, 5, 10];
/** Readings per level, a second apart, after the collection: the median of each is kept. */
const READINGS = 3;
const VIEWPORT = { width: 1280, height: 800 };

/** What the benchmark needs from whatever drives the page. */
interface Driver extends Stoppable {
  /** How the page is driven, for the printed lines. */
  kind: string;
  host: BrowserHost;
  browserPid: number | undefined;
  /** Loads the app and waits for the demo cloud's servers. */
  open(): Promise<void>;
  /** Opens an RDP tab of the server and waits until it says Connected; returns its panel's element id. */
  openRdpTab(server: MockCloudServer, via: 'click' | 'url'): Promise<string>;
  /** What each panel's status line says now. */
  statuses(panelIds: string[]): Promise<Array<string | null>>;
  /** A full garbage collection in the page. */
  pageGc(): Promise<unknown>;
  /** The page's V8 heap in use and the backing stores of its ArrayBuffers, bytes. */
  pageHeap(): Promise<{ used: number; buffers?: number } | undefined>;
  /** The first RDP display's size in remote pixels (what each session's frame buffers hold). */
  displaySize(panelId: string): Promise<{ width: number; height: number } | null>;
}

const statusExpr = (ids: string[]) => `${JSON.stringify(ids)}.map((id) => document.getElementById(id)?.querySelector('[role=status]')?.textContent ?? null)`;
const displayExpr = (id: string) =>
  `(() => { const c = document.getElementById(${JSON.stringify(id)})?.querySelector('canvas[aria-label^="Remote display"]'); return c ? { width: c.width, height: c.height } : null; })()`;

/** The page driven over the DevTools protocol with nothing enabled on its session (see bench/common/cdp.ts). */
async function startBareDriver(): Promise<Driver> {
  const base = await startBenchHost();
  let chromium;
  try {
    chromium = await launchBareChromium(VIEWPORT);
  } catch (err) {
    await base.stop();
    throw err;
  }
  const page: CdpPage = chromium.page;
  const c = chromium;
  const consoles = base.host.app.services.consoles;
  const centre = (selector: string) =>
    `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return null; const r = e.getBoundingClientRect(); return r.width > 0 ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : null; })()`;
  const treeItem = (name: string) => `[role=tree][aria-label=${JSON.stringify(DEMO_TREE)}] [role=treeitem][aria-label=${JSON.stringify(name)}]`;
  return {
    kind: 'DevTools protocol, nothing enabled on the page',
    host: base.host,
    browserPid: c.pid,
    async open() {
      await page.send('Page.navigate', { url: base.host.url });
      await page.waitFor(`!!document.querySelector('[role=tree][aria-label=${JSON.stringify(DEMO_TREE)}] [role=treeitem]')`, 'the demo cloud in the sidebar', 60_000);
    },
    async openRdpTab(server, via) {
      const before = await page.evaluate<number>(`document.querySelectorAll('[role=tab]').length`);
      if (via === 'click') {
        // A click on a Hyper-V server opens its RDP console (the sidebar's default action).
        const at = await page.waitFor<{ x: number; y: number }>(centre(treeItem(server.name)), `${server.name} in the sidebar`);
        await page.click(at.x, at.y);
      } else {
        // A fresh console URL from the demo's Nova (what `openstack console url show` prints), typed into the URL bar.
        const { url } = await consoles.consoleUrl('demo', server.id, 'rdp');
        const at = await page.waitFor<{ x: number; y: number }>(centre('input[aria-label="Console URL or address"]'), 'the URL bar');
        await page.click(at.x, at.y);
        await page.insertText(url);
        await page.pressEnter();
      }
      await page.waitFor(`document.querySelectorAll('[role=tab]').length > ${before}`, `a new tab for ${server.name}`);
      // A new tab is the active one.
      const panelId = await page.waitFor<string>(`document.querySelector('[role=tab][aria-selected=true]')?.getAttribute('aria-controls') ?? ''`, 'the new tab');
      await page.waitFor(`${statusExpr([panelId])}[0] === 'Connected'`, `${server.name}'s tab to say Connected`, 30_000);
      return panelId;
    },
    statuses: (ids) => page.evaluate(statusExpr(ids)),
    pageGc: () => page.send('HeapProfiler.collectGarbage'),
    async pageHeap() {
      try {
        const h = await page.send<{ usedSize: number; backingStorageSize?: number }>('Runtime.getHeapUsage');
        return { used: h.usedSize, buffers: h.backingStorageSize };
      } catch {
        return undefined;
      }
    },
    displaySize: (id) => page.evaluate(displayExpr(id)),
    async stop() {
      await c.stop();
      await base.stop();
    },
  };
}

/** The page driven by Playwright (Runtime enabled on it, as Playwright always does). */
async function startPlaywrightDriver(): Promise<Driver> {
  const app = await startBenchApp();
  const cdp = await app.context.newCDPSession(app.page).catch(async (err: unknown) => {
    await app.stop();
    throw err;
  });
  return {
    kind: 'Playwright (Runtime enabled on the page)',
    host: app.host,
    browserPid: app.browserPid,
    async open() {
      await app.page.goto(app.host.url);
      await app.page.getByRole('tree', { name: DEMO_TREE }).getByRole('treeitem').first().waitFor({ timeout: 60_000 });
    },
    async openRdpTab(server, via) {
      const tab = await openTab(app, { protocol: 'rdp', server, via: via === 'click' ? 'menu' : 'url' });
      if (tab.connectMs === undefined) throw new Error(`${server.name}'s tab did not say Connected`);
      return tab.panelId;
    },
    statuses: (ids) => app.page.evaluate<Array<string | null>>(statusExpr(ids)),
    pageGc: () => cdp.send('HeapProfiler.collectGarbage'),
    async pageHeap() {
      try {
        const h = await cdp.send('Runtime.getHeapUsage');
        return { used: h.usedSize, buffers: (h as { backingStorageSize?: number }).backingStorageSize };
      } catch {
        return undefined;
      }
    },
    displaySize: (id) => app.page.evaluate<{ width: number; height: number } | null>(displayExpr(id)),
    stop: () => app.stop(),
  };
}

interface Level {
  tabs: number;
  connected: number;
  /** Seconds waited for memory to settle. */
  settledS: number;
  /** Medians over the readings, MiB: owned memory (see bench/common/memory.ts). */
  totalMb: number;
  hostMb: number;
  chromiumMb: number;
  /** Chromium's processes summed by type, MiB (medians). */
  byLabel: Map<string, number>;
  /** Raw private memory (Private_Clean + Private_Dirty), all processes and Chromium's. */
  rawTotalMb: number;
  rawChromiumMb: number;
  processes: number;
  /** The page's V8 heap in use and the backing stores of its ArrayBuffers and external strings. */
  pageHeapMb?: number;
  pageBuffersMb?: number;
  /** This process's V8 heap in use and its ArrayBuffers (Node Buffers: sockets, frame buffers). */
  hostHeapMb: number;
  hostBuffersMb: number;
  /** The demo desktops' own pictures in this process (not the app's: a real console host keeps them elsewhere). */
  demoPicturesMb: number;
  /** Which desktop sizes the demo desktops draw (one picture per desktop and size). */
  demoViews: string[];
}

const f1 = (x: number) => x.toFixed(1);
const median = (xs: number[]) => stats(xs).median;

/**
 * What the demo desktops hold for their pictures: per desktop size in use, the current frame (4 bytes a pixel) and
 * the encoded tiles kept for their sessions, plus one scratch frame per size, shared by all desktops. Read through
 * each desktop's private map of views: an estimate of how much of the host's growth is the demo server's, not the
 * app's.
 */
function demoPictures(host: BrowserHost): { bytes: number; sizes: string[] } {
  let bytes = 0;
  const sizes: string[] = [];
  const scratchSizes = new Set<string>();
  for (const desktop of host.app.demo?.consoleHost.desktops.values() ?? []) {
    const views = (desktop as unknown as { views?: Map<string, DesktopView> }).views;
    for (const view of views?.values() ?? []) {
      bytes += view.width * view.height * 4;
      for (const cache of Object.values(view.encoded)) for (const tile of cache.values()) bytes += tile.data.length;
      sizes.push(`${desktop.name} ${view.width}×${view.height}`);
      scratchSizes.add(`${view.width}x${view.height}`);
    }
  }
  for (const size of scratchSizes) {
    const [w, h] = size.split('x').map(Number);
    bytes += w * h * 4;
  }
  return { bytes, sizes };
}

/** Waits at least SETTLE_MS, then until the total stops moving (or MAX_SETTLE_MS); returns the seconds waited. */
async function settle(driver: Driver): Promise<number> {
  const t0 = performance.now();
  // Garbage left from starting up (the renderer build, the demo's setup) would keep the host's figure falling for a
  // while: collected first, so what is waited for is the tabs' memory.
  await collectGarbage(() => driver.pageGc());
  await delay(SETTLE_MS);
  const recent: number[] = [];
  for (;;) {
    recent.push(mib(memorySnapshot(driver.browserPid).totalKiB));
    if (recent.length > STABLE_READINGS) recent.shift();
    const span = Math.max(...recent) - Math.min(...recent);
    if (recent.length === STABLE_READINGS && span <= STABLE_SPAN_MB) break;
    if (performance.now() - t0 > MAX_SETTLE_MS) {
      console.log(`  ! memory still moving after ${MAX_SETTLE_MS / 1000} s (last ${STABLE_READINGS} readings span ${f1(span)} MB); measuring anyway`);
      break;
    }
    await delay(1000);
  }
  return (performance.now() - t0) / 1000;
}

async function measure(driver: Driver, panelIds: string[]): Promise<Level> {
  const settledS = await settle(driver);
  const gc = await collectGarbage(() => driver.pageGc());
  if (!gc.page || !gc.host) console.log(`  ! garbage not collected in ${[gc.page ? '' : 'the page', gc.host ? '' : 'the host'].filter(Boolean).join(' and ')}`);
  await delay(1000);
  const snaps: MemorySnapshot[] = [];
  const heaps: Array<{ used: number; buffers?: number }> = [];
  const host: Array<{ heap: number; buffers: number }> = [];
  for (let i = 0; i < READINGS; i++) {
    if (i > 0) await delay(1000);
    snaps.push(memorySnapshot(driver.browserPid));
    const h = await driver.pageHeap();
    if (h) heaps.push(h);
    const m = process.memoryUsage();
    host.push({ heap: m.heapUsed, buffers: m.arrayBuffers });
  }
  const unreadable = Math.max(...snaps.map((s) => s.unreadable));
  if (unreadable) console.log(`  ! ${unreadable} Chromium process(es) could not be read (left out)`);
  const labels = new Set(snaps.flatMap((s) => [...s.byLabel.keys()]));
  const byLabel = new Map([...labels].sort().map((l) => [l, mib(median(snaps.map((s) => s.byLabel.get(l) ?? 0)))]));
  const statuses = await driver.statuses(panelIds);
  const buffers = heaps.map((h) => h.buffers).filter((b): b is number => b !== undefined);
  const pictures = demoPictures(driver.host);
  return {
    tabs: panelIds.length,
    connected: statuses.filter((s) => s === 'Connected').length,
    settledS,
    totalMb: mib(median(snaps.map((s) => s.totalKiB))),
    hostMb: mib(median(snaps.map((s) => s.host.ownedKiB))),
    chromiumMb: mib(median(snaps.map((s) => s.chromiumKiB))),
    byLabel,
    rawTotalMb: mib(median(snaps.map((s) => s.rawTotalKiB))),
    rawChromiumMb: mib(median(snaps.map((s) => s.rawChromiumKiB))),
    processes: snaps[snaps.length - 1].chromium.length,
    ...(heaps.length ? { pageHeapMb: median(heaps.map((h) => h.used)) / 2 ** 20 } : {}),
    ...(buffers.length ? { pageBuffersMb: median(buffers) / 2 ** 20 } : {}),
    hostHeapMb: median(host.map((h) => h.heap)) / 2 ** 20,
    hostBuffersMb: median(host.map((h) => h.buffers)) / 2 ** 20,
    demoPicturesMb: pictures.bytes / 2 ** 20,
    demoViews: pictures.sizes,
  };
}

/** "6 × 980×630, 4 × 980×600": how many pictures of each size. */
function pictureSizes(views: string[]): string {
  const counts = new Map<string, number>();
  for (const v of views) {
    const size = v.slice(v.lastIndexOf(' ') + 1);
    counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  return [...counts].map(([size, n]) => `${n} × ${size}`).join(', ') || 'none';
}

function print(l: Level): void {
  const parts = [...l.byLabel].map(([label, mb]) => `${label} ${f1(mb)}`).join(', ');
  console.log(
    `memory: ${String(l.tabs).padStart(2)} tab${l.tabs === 1 ? ' ' : 's'} (${l.connected} Connected, settled ${l.settledS.toFixed(0)} s): total ${f1(l.totalMb)} MB = host ${f1(l.hostMb)} + Chromium ${f1(l.chromiumMb)} (${l.processes} processes: ${parts})`,
  );
  const page = l.pageHeapMb === undefined ? '' : `page JS heap ${f1(l.pageHeapMb)} MB${l.pageBuffersMb === undefined ? '' : `, page ArrayBuffers ${f1(l.pageBuffersMb)} MB`}; `;
  console.log(`          raw private (Private_Clean + Private_Dirty): total ${f1(l.rawTotalMb)} MB, Chromium ${f1(l.rawChromiumMb)} MB`);
  console.log(`          ${page}host JS heap ${f1(l.hostHeapMb)} MB, host ArrayBuffers ${f1(l.hostBuffersMb)} MB, demo desktops' pictures ≈ ${f1(l.demoPicturesMb)} MB (${pictureSizes(l.demoViews)})`);
}

await runBench('memory', values.playwright ? startPlaywrightDriver : startBareDriver, async (driver) => {
  const t0 = performance.now();
  await driver.open();
  if (driver.browserPid === undefined) throw new Error("Chromium's browser process was not found");
  console.log(
    `memory: app up in ${((performance.now() - t0) / 1000).toFixed(1)} s, page driven by ${driver.kind}; host pid ${process.pid} (this process: the app's services, gateway and embedded demo), Chromium pid ${driver.browserPid}`,
  );
  const running = driver.host.app.demo!.demoCloud.info.servers.filter((s) => s.hypervisor_type === 'hyperv' && s.status === 'ACTIVE' && s.power_state === 1);
  if (running.length === 0) throw new Error('the demo cloud has no running Hyper-V server');
  console.log(
    `memory: ${running.length} running Hyper-V servers; tabs beyond that are second tabs of the same servers, opened by typing fresh console URLs into the URL bar; each level: at least ${SETTLE_MS / 1000} s and until memory stops moving, then garbage collection, then ${READINGS} readings`,
  );

  const panelIds: string[] = [];
  const levels: Level[] = [];
  for (const target of LEVELS) {
    while (panelIds.length < target) {
      const i = panelIds.length;
      const server = running[i % running.length];
      panelIds.push(await driver.openRdpTab(server, i < running.length ? 'click' : 'url'));
      if (i === 0) {
        const size = await driver.displaySize(panelIds[0]);
        if (size) console.log(`memory: remote desktops ${size.width}×${size.height} (one frame: ${f1((size.width * size.height * 4) / 2 ** 20)} MB at 32 bpp)`);
      }
    }
    const level = await measure(driver, panelIds);
    levels.push(level);
    print(level);
  }

  const at = (n: number) => levels.find((l) => l.tabs === n)!;
  const part = (get: (l: Level) => number) => ({
    first: get(at(1)) - get(at(0)),
    increments: [(get(at(5)) - get(at(1))) / 4, (get(at(10)) - get(at(5))) / 5],
    get extra() {
      return median(this.increments);
    },
  });
  const total = part((l) => l.totalMb);
  const raw = part((l) => l.rawTotalMb);
  const host = part((l) => l.hostMb);
  const demo = part((l) => l.demoPicturesMb);
  const chromiumParts = [...new Set(levels.flatMap((l) => [...l.byLabel.keys()]))].map((label) => ({ label, p: part((l) => l.byLabel.get(label) ?? 0) }));

  console.log(`memory: first session (1 tab − 0 tabs): ${total.first >= 0 ? '+' : ''}${f1(total.first)} MB (goal ≤ +50 MB)`);
  console.log(`memory: each extra tab: ${f1(total.extra)} MB (median of ${f1(total.increments[0])} (1→5) and ${f1(total.increments[1])} (5→10) per tab; goal ≤ 16 MB)`);
  console.log(`memory: total with 10 tabs: ${f1(at(10).totalMb)} MB (0 tabs: ${f1(at(0).totalMb)} MB)`);
  console.log(
    `memory: the same in raw private memory (clean pages of the executable and other files included): first session ${f1(raw.first)} MB, each extra tab ${f1(raw.extra)} MB (${f1(raw.increments[0])}, ${f1(raw.increments[1])}), 10 tabs ${f1(at(10).rawTotalMb)} MB`,
  );
  console.log('memory: where it goes (first session / each extra tab, MB):');
  console.log(
    `  host ${f1(host.first)} / ${f1(host.extra)}, of which the demo desktops' pictures ≈ ${f1(demo.first)} / ${f1(demo.extra)} (the demo server's, not the app's)`,
  );
  for (const c of chromiumParts) if (Math.abs(c.p.first) >= 0.5 || Math.abs(c.p.extra) >= 0.5) console.log(`  chromium ${c.label} ${f1(c.p.first)} / ${f1(c.p.extra)}`);
  if (at(0).pageHeapMb !== undefined) {
    const heap = part((l) => l.pageHeapMb ?? 0);
    const buffers = part((l) => l.pageBuffersMb ?? 0);
    console.log(`  inside the renderer: JS heap ${f1(heap.first)} / ${f1(heap.extra)}, ArrayBuffer and external-string backing stores ${f1(buffers.first)} / ${f1(buffers.extra)}`);
  }

  const round = (x: number) => Math.round(x * 10) / 10;
  const byLevel = (get: (l: Level) => number) => Object.fromEntries(levels.map((l) => [String(l.tabs), round(get(l))]));
  emitResult({
    group: 'memory',
    figures: [
      { name: 'first console session (1 RDP tab − 0 tabs), all processes', unit: 'MB', samples: [round(total.first)], better: 'lower', target: '≤ +50 MB' },
      { name: 'each extra RDP tab, all processes', unit: 'MB', samples: [round(total.extra)], better: 'lower', target: '≤ 16 MB' },
      { name: 'total private memory, 10 RDP tabs', unit: 'MB', samples: [round(at(10).totalMb)], better: 'lower' },
    ],
    json: {
      memory_mb: {
        first_session: round(total.first),
        per_extra_tab: round(total.extra),
        total_10_tabs: round(at(10).totalMb),
        totals: byLevel((l) => l.totalMb),
        host: byLevel((l) => l.hostMb),
        chromium: byLevel((l) => l.chromiumMb),
        renderer: byLevel((l) => l.byLabel.get('renderer') ?? 0),
        demo_pictures: byLevel((l) => l.demoPicturesMb),
        raw_private: { first_session: round(raw.first), per_extra_tab: round(raw.extra), total_10_tabs: round(at(10).rawTotalMb), totals: byLevel((l) => l.rawTotalMb) },
        driver: values.playwright ? 'playwright' : 'cdp',
      },
    },
    notes: [
      "Memory owned by this process and every process of the Chromium it launched, summed (MB = MiB): Private_Clean + Private_Dirty from /proc/PID/smaps except clean pages of regular files. Those (the executable's code, fonts, resources.pak) count as private only while no other process maps the same pages, so they swung the browser process by ~50 MB between readings; the raw Private_Clean + Private_Dirty figures are in memory_mb.raw_private.",
      `Browser mode: this process hosts the app's services, its RDP gateway and the embedded demo (the demo desktops behind the tabs), so the host's figures include the demo server's share (its pictures ≈ ${f1(demo.first)} MB for the first tab, ${f1(demo.extra)} MB per extra one).`,
      `Levels 0, 1, 5, 10 RDP tabs on ${running.length} running demo servers (tabs beyond those are second tabs of the same servers, from typed console URLs); each level settles (≥ ${SETTLE_MS / 1000} s, until the total moves ≤ ${STABLE_SPAN_MB} MB over ${STABLE_READINGS} s), then a forced garbage collection (page and host), then the median of ${READINGS} readings.`,
      'Each extra tab: the median of the per-tab increments from 1 to 5 tabs and from 5 to 10 tabs.',
      values.playwright
        ? 'Page driven by Playwright: its Runtime domain is enabled on the page, which makes the renderer keep ~160 MB more once an RDP session runs; not what the app costs on its own.'
        : "Page driven over the DevTools protocol with no domain enabled on it (Playwright's Runtime domain makes the renderer keep ~160 MB more once an RDP session runs; --playwright shows it).",
    ],
  });
});
