// Prints the desktop app's latency figures in browser mode on the embedded demo (no assertions):
// cold start to first frame, server click to first frame, and search over 10,000 servers per keystroke.
// Usage: npm run -s bench:app [-- --only latency|search]
import { parseArgs } from 'node:util';
import { startAppUnderTest } from '../test/e2e/app/harness.ts';
import { emitResult } from './result.ts';
import { stats } from './stats.ts';

const only = parseArgs({ options: { only: { type: 'string' } } }).values.only;

/**
 * In the page, before its scripts run: when each click happened (the event's own time stamp, taken as the browser
 * dispatched it) and when each remote display was first drawn on, then the animation frame that showed it.
 * Anonymous callbacks and methods only: this runs in the page, where tsx's helper for named functions does not exist.
 */
function installFirstFrameProbe(): void {
  type Draw = (this: CanvasRenderingContext2D, ...a: unknown[]) => unknown;
  const probe = {
    clicks: [] as number[],
    shown: {} as Record<string, number>,
    /** When a tree item first carried each watched name (the server listed, clickable). */
    listed: {} as Record<string, number>,
    watch: ['win2022-web-01'],
    wrap(native: Draw): Draw {
      return function (this: CanvasRenderingContext2D, ...a: unknown[]) {
        const label = this.canvas.getAttribute('aria-label') ?? '';
        const name = label.startsWith('Remote display: ') ? label.slice('Remote display: '.length) : '';
        const result = native.apply(this, a);
        if (name && !(name in probe.shown)) {
          probe.shown[name] = -1;
          requestAnimationFrame((t) => (probe.shown[name] = t));
        }
        return result;
      };
    },
  };
  document.addEventListener('click', (e) => probe.clicks.push(e.timeStamp), { capture: true });
  new MutationObserver(() => {
    for (const name of probe.watch) {
      if (name in probe.listed) continue;
      for (const item of document.querySelectorAll('[role=treeitem]')) {
        if (item.textContent?.includes(name)) {
          probe.listed[name] = performance.now();
          break;
        }
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of ['putImageData', 'drawImage'] as const) {
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    Object.defineProperty(proto, name, { ...d, value: probe.wrap(d.value as Draw) });
  }
  (window as unknown as { __firstFrames: typeof probe }).__firstFrames = probe;
}

/** The probe's marks: the last click and the first frame of `name` (page clock, ms; -1 while not shown yet). */
const marks = (name: string) => {
  const p = (window as unknown as { __firstFrames: { clicks: number[]; shown: Record<string, number>; listed: Record<string, number> } }).__firstFrames;
  return { click: p.clicks[p.clicks.length - 1] ?? -1, shown: p.shown[name] ?? -1, listed: p.listed[name] ?? -1, timeOrigin: performance.timeOrigin };
};

async function latency() {
  const app = await startAppUnderTest({ compose: { demo: { consolePort: 0 } } });
  try {
    const { page } = app;
    await app.context.addInitScript(installFirstFrameProbe);
    const shown = async (name: string) => {
      for (let i = 0; i < 3000; i++) {
        const m = await page.evaluate(marks, name);
        if (m.shown > 0) return m;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`${name}: no frame within 30 s`);
    };
    const t0 = Date.now();
    await page.goto(app.host.url);
    const tree = page.getByRole('tree', { name: 'Demo cloud (offline)' });
    await tree.getByRole('treeitem', { name: 'win2022-web-01', exact: true }).click();
    const first = await shown('win2022-web-01');
    // From the navigation's start (the page's time origin, on the wall clock) to the frame that showed the desktop.
    const coldRaw = first.timeOrigin + first.shown - t0;
    // Less the harness's own time between the server appearing and its click (Playwright checks that the item is
    // visible, stable over two frames and hit by the pointer first): that wait is not the app's, as a person's
    // reaction time would not be. Navigation → server listed, then click → desktop on screen.
    if (first.listed < 0 || first.click < first.listed) throw new Error('win2022-web-01: the probe did not see the server listed before its click');
    const cold = coldRaw - (first.click - first.listed);
    const clicks: number[] = [];
    for (const name of ['win2022-web-02', 'win2019-sql-01', 'jump-host', 'ad-dc-01', 'win2019-paused', 'win11-kiosk']) {
      const item = tree.getByRole('treeitem', { name, exact: true });
      if (!(await item.count())) continue;
      await page.waitForTimeout(300);
      await item.click();
      const m = await shown(name).catch(() => undefined);
      if (m) clicks.push(m.shown - m.click);
    }
    console.log(
      `cold start (page load, click) to first frame: ${cold.toFixed(0)} ms (navigation → listed ${(first.timeOrigin + first.listed - t0).toFixed(0)} ms, click → frame ${(first.shown - first.click).toFixed(0)} ms; with the harness's ${(first.click - first.listed).toFixed(0)} ms to click: ${coldRaw.toFixed(0)} ms)`,
    );
    console.log(`server click to first frame: ${clicks.map((c) => c.toFixed(0)).join(', ')} ms (median ${median(clicks).toFixed(0)})`);
    emitResult({
      group: 'connect',
      figures: [
        { name: 'cold start (page load, click) → first frame (demo RDP)', unit: 'ms', samples: [cold], better: 'lower', target: '≤ 800 ms' },
        { name: 'server click → first frame (demo RDP)', unit: 'ms', samples: clicks, better: 'lower', target: '≤ 200 ms' },
      ],
      json: {
        cold_start_ms: Math.round(cold),
        cold_start: {
          listed_ms: Math.round(first.timeOrigin + first.listed - t0),
          first_click_ms: Math.round(first.shown - first.click),
          harness_click_wait_ms: Math.round(first.click - first.listed),
          with_harness_wait_ms: Math.round(coldRaw),
        },
        click_ms: Math.round(median(clicks)),
      },
      notes: [
        "Click and cold start, on the embedded demo cloud: to the page's first animation frame after the first draw on the tab's display (the desktop on screen). A click is timed from the click event's own time stamp in the page; cold start from just before navigation (the page's time origin is on the same wall clock) to the server listed in the sidebar, plus its click to the desktop on screen: the harness's own wait between the two (Playwright's actionability checks, not the app's) is left out, and shown in cold_start.with_harness_wait_ms.",
      ],
    });
  } finally {
    await app.stop();
  }
}

async function search() {
  const app = await startAppUnderTest({ compose: { demo: { servers: 10_000, consolePort: 0 } } });
  try {
    const { page } = app;
    await page.goto(app.host.url);
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('.count')?.textContent ?? ''), undefined, { timeout: 60_000 });
    // Per keystroke: from the input event to the end of the frame that shows its result. Each keystroke comes at a
    // random moment of a frame (as typing does: not in step with the display), and the frame is over when a task
    // queued from its animation-frame callback runs, which is after that frame's style, layout and paint. (Waiting
    // for two animation frames instead, as this did before, reads 33 ms on a page that does nothing at all.)
    const times = await page.evaluate(async () => {
      const input = document.querySelector<HTMLInputElement>('input[type=search]')!;
      const value = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!;
      const out: number[] = [];
      // An object method: this runs in the page, where the helper tsx wraps named functions with does not exist.
      const frame = {
        done(): Promise<void> {
          return new Promise<void>((resolve) =>
            requestAnimationFrame(() => {
              const ch = new MessageChannel();
              ch.port1.addEventListener('message', () => resolve());
              ch.port1.start();
              ch.port2.postMessage(0);
            }),
          );
        },
      };
      for (const q of ['s', 'sc', 'sca', 'scal', 'scale', 'scale-', 'scale-0', 'scale-09', 'scale-099', 'scale-0999', '10.3', '10.39', '']) {
        await frame.done();
        await new Promise((r) => setTimeout(r, Math.random() * 16));
        const t = performance.now();
        value.set!.call(input, q);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await frame.done();
        out.push(performance.now() - t);
      }
      return out;
    });
    console.log(`search 10,000 servers, per keystroke to paint: ${times.map((t) => t.toFixed(1)).join(', ')} ms (median ${median(times).toFixed(1)})`);
    emitResult({
      group: 'sidebar',
      figures: [{ name: 'filter 10,000 servers, keystroke → paint', unit: 'ms', samples: times, better: 'lower', target: '≤ 16 ms' }],
      json: { sidebar_filter_ms: Number(median(times).toFixed(1)) },
      notes: [
        'Sidebar: each keystroke at a random moment of a frame, timed from the input event to the end of the frame that shows its result (a task queued from that frame’s animation-frame callback runs after its style, layout and paint), so the figure includes the wait for the next frame (0–16.7 ms).',
      ],
    });
  } finally {
    await app.stop();
  }
}

const median = (xs: number[]) => stats(xs).median;

if (only !== 'search') await latency();
if (only !== 'latency') await search();
