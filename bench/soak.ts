// Soak: the app in browser mode on its embedded demo cloud with 20 console tabs (RDP, VNC and serial, a third each)
// running for a long time under light use, printing memory, descriptors and delivered frames at each interval and
// a summary at the end: did total private memory grow less than 10 % after warm-up, and did descriptors and sockets
// stay flat? Not a test: it prints figures and asserts nothing.
//
//   npm run soak -- [--minutes 30] [--interval 60] [--tabs 20] [--switch 4] [--fps N] [--animation box|fullscreen]
//
// --minutes takes fractions (0.5 for a quick check); --interval is the sampling interval in seconds; --switch the
// seconds between two tab switches (each switch also gives that tab input); --fps the demo desktops' frame rate
// (default: the demo's own, 10); --animation fullscreen repaints whole demo desktops each frame instead of their
// animated band. Ctrl+C ends the run early: the summary covers what was sampled, then everything is stopped.
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { startSoakApp, type ProbedSoakApp } from './soak/app.ts';
import { commandLine } from './soak/proc.ts';
import { clock, formatSample, newProblems, note, summarize } from './soak/report.ts';
import { Sampler, type Sample } from './soak/sample.ts';
import { DEMO_TREE, openTab, plan, visit, type SoakTab } from './soak/tabs.ts';

const USAGE = 'usage: npm run soak -- [--minutes N] [--interval S] [--tabs N] [--switch S] [--fps N] [--animation box|fullscreen]';

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text) || n < min || n > max) {
    console.error(`soak: ${flag} needs a number from ${min} to ${max}, got '${text}'\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      minutes: { type: 'string' },
      interval: { type: 'string' },
      tabs: { type: 'string' },
      switch: { type: 'string' },
      fps: { type: 'string' },
      animation: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (err) {
  console.error(`soak: ${(err as Error).message.split('\n')[0]}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const minutes = number('--minutes', args.minutes, 30, 0.05, 7 * 24 * 60);
const intervalSeconds = number('--interval', args.interval, 60, 1, 3600);
const tabCount = Math.round(number('--tabs', args.tabs, 20, 1, 60));
const switchSeconds = number('--switch', args.switch, 4, 0.5, 600);
const fps = args.fps === undefined ? undefined : Math.round(number('--fps', args.fps, 10, 0, 120));
if (args.animation !== undefined && args.animation !== 'box' && args.animation !== 'fullscreen') {
  console.error(`soak: --animation needs box or fullscreen, got '${args.animation}'\n${USAGE}`);
  process.exit(2);
}
const animation = args.animation === 'fullscreen' ? 'fullscreen' : 'box';
const runSeconds = minutes * 60;
// The baseline is the sample at 5 minutes, or at a sixth of a shorter run: start-up allocations (WASM heaps, JIT,
// first frames, caches) have settled by then, so what grows afterwards is what a long session would keep adding.
const warmupSeconds = Math.min(300, runSeconds / 6);

const out = (line: string) => console.log(line);
const problems = newProblems();
const firstLine = (text: string) => text.split('\n')[0].trim();

// Ctrl+C (or SIGTERM) stops the run where it is and goes on to the summary and an orderly shutdown; a second one
// ends Chromium by its pid and exits at once. Under `npm run`, one Ctrl+C arrives more than once (the terminal
// signals the whole process group, and npm and tsx each pass it on to their child): what comes within two seconds
// of the first is that same Ctrl+C.
const stop = new AbortController();
let interrupted = false;
let firstSignalAt = 0;
let browserPid: number | undefined;
let app: ProbedSoakApp | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  if (!stop.signal.aborted) {
    interrupted = true;
    firstSignalAt = performance.now();
    out(`\n${signal}: stopping (again to quit at once)`);
    stop.abort();
    return;
  }
  if (performance.now() - firstSignalAt < 2000) return;
  if (browserPid !== undefined && commandLine(browserPid).length > 0) process.kill(browserPid, 'SIGKILL');
  // The host goes with this process; its temporary folder would not.
  if (app) rmSync(app.dir, { recursive: true, force: true });
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

/** Waits, or returns early when the run is stopped. */
const pause = (ms: number) => delay(Math.max(0, ms), undefined, { signal: stop.signal }).catch(() => undefined);

out(
  `soak: ${minutes} min, a sample every ${intervalSeconds} s (warm-up baseline at ${clock(warmupSeconds)}), ${tabCount} tabs, a tab switch every ${switchSeconds} s, demo animation ${animation}${fps === undefined ? '' : ` at ${fps} fps`}`,
);
out(
  `host process: pid ${process.pid}, this script's own process: it hosts the app (browser mode) and its embedded demo cloud (the servers behind the consoles) and drives Chromium, so its figures include all three; ${availableParallelism()} cores`,
);

const samples: Sample[] = [];
const tabs: SoakTab[] = [];
let setupSeconds = 0;
let exitCode = 0;
let shuttingDown = false;
try {
  const t0 = performance.now();
  app = await startSoakApp({
    fps,
    animation,
    log: (line) => {
      // What the app logs while it is being stopped (each session's end) is the shutdown's, not the soak's.
      if (!shuttingDown && note(problems.hostLog, firstLine(line))) out(`  ! app log: ${firstLine(line)}`);
    },
  });
  const { page } = app;
  page.on('console', (msg) => {
    const type = msg.type();
    if (type !== 'error' && type !== 'warning') return;
    const map = type === 'error' ? problems.consoleErrors : problems.consoleWarnings;
    if (note(map, firstLine(msg.text()))) out(`  ! page console ${type}: ${firstLine(msg.text())}`);
  });
  page.on('pageerror', (err) => {
    if (note(problems.pageErrors, `${err.name}: ${firstLine(err.message)}`)) out(`  ! page error: ${err.name}: ${firstLine(err.message)}`);
  });
  page.on('crash', () => {
    problems.crashed = true;
    out('  ! the page crashed');
  });

  await page.goto(app.host.url);
  await page.getByRole('tree', { name: DEMO_TREE }).getByRole('treeitem').first().waitFor({ timeout: 60_000 });
  // RDP sessions hold their sockets in the app's RDP worker, which it starts at page load: its probe goes in before
  // the first RDP tab opens, so it sees every RDP socket open (bench/soak/worker-probe.ts). Their frames are drawn,
  // and counted, in the page.
  const worker = await app.rdpWorkerProbed(30_000);
  const sampler = new Sampler(app, tabs);
  browserPid = sampler.browserPid();
  out(`app up in ${((performance.now() - t0) / 1000).toFixed(1)} s (renderer built, demo cloud started, Chromium pid ${browserPid ?? 'not found'})`);
  out(
    worker.ok
      ? '  RDP engine: in its worker (rdp-worker.js), probe installed: RDP sockets are counted there, frames and the rest in the page'
      : `  ! RDP engine: no RDP worker probed within 30 s${worker.error ? ` (${worker.error})` : ''}: RDP bytes count only if the engine runs in the page, or once a worker is probed`,
  );

  for (const item of plan(app.host.app.demo!.demoCloud.info.servers, tabCount)) {
    if (stop.signal.aborted) break;
    const tab = await openTab(app, item);
    tabs.push(tab);
    out(
      `  tab ${String(tabs.length).padStart(2)}: ${tab.protocol.padEnd(6)} ${tab.server} (${tab.via === 'menu' ? 'Open as menu' : 'pasted console URL'}): ${tab.connectMs === undefined ? 'NOT connected after 30 s' : `connected in ${tab.connectMs.toFixed(0)} ms`}`,
    );
  }
  setupSeconds = (performance.now() - t0) / 1000;

  if (!stop.signal.aborted) {
    await sampler.reset();
    const soakStart = performance.now();
    const elapsed = () => (performance.now() - soakStart) / 1000;
    const record = async (withDelivery: boolean) => {
      try {
        const s = await sampler.take(elapsed(), withDelivery);
        samples.push(s);
        out(formatSample(s));
      } catch (err) {
        // A missed sample is a finding (the page stopped answering), not the end of the soak.
        const message = `sample at ${clock(elapsed())} failed: ${firstLine((err as Error).message)}`;
        note(problems.failedSamples, message);
        out(`  ! ${message}`);
      }
    };
    await record(false);

    // Input: every few seconds the next tab (of those that connected) comes to the front and gets input.
    const live = tabs.filter((t) => t.connectMs !== undefined);
    const input = (async () => {
      for (let i = 0; live.length > 0; i++) {
        await pause(switchSeconds * 1000);
        if (stop.signal.aborted) return;
        const tab = live[i % live.length];
        try {
          await visit(page, tab);
        } catch (err) {
          const message = `${tab.protocol} ${tab.server}: ${firstLine((err as Error).message)}`;
          if (note(problems.inputFailures, message)) out(`  ! input failed: ${message}`);
        }
      }
    })();

    for (let k = 1; !stop.signal.aborted; k++) {
      const target = Math.min(k * intervalSeconds, runSeconds);
      await pause(soakStart + target * 1000 - performance.now());
      if (stop.signal.aborted) break;
      await record(true);
      if (target >= runSeconds) break;
    }
    const cutShort = stop.signal.aborted;
    stop.abort();
    await input;
    // Stopped between samples: one more, so the summary ends where the run did.
    if (cutShort && samples.length > 0 && elapsed() - samples.at(-1)!.t > 1 && !page.isClosed()) await record(true);
  }
} catch (err) {
  exitCode = 1;
  out(`soak failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  let figures: Record<string, unknown> | undefined;
  if (samples.length > 0) {
    figures = summarize(
      samples,
      problems,
      {
        plannedSeconds: runSeconds,
        intervalSeconds,
        warmupSeconds,
        interrupted,
        setupSeconds,
        tabs,
        options: { minutes, intervalSeconds, tabs: tabCount, switchSeconds, fps: fps ?? 'demo default (10)', animation },
      },
      out,
    );
  } else {
    out('no samples taken: nothing to summarize');
  }
  shuttingDown = true;
  await app?.stop();
  // Chromium closes with the browser; should it not have, it is ended by the pid this run found for it.
  if (browserPid !== undefined && commandLine(browserPid).length > 0) {
    out(`Chromium (pid ${browserPid}) still ran after closing; ended it by its pid`);
    process.kill(browserPid, 'SIGKILL');
  } else {
    out(`stopped: Chromium closed${browserPid === undefined ? '' : ` (pid ${browserPid} gone)`}, app host closed, temporary folder removed`);
  }
  // Last, so `tail -n 1` gives the figures.
  if (figures) out(JSON.stringify(figures));
}
process.exit(interrupted ? 130 : exitCode);
