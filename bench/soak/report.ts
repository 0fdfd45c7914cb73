// How the soak's samples are printed: one line per sample, then a summary and one JSON line with the figures.
import type { Protocol } from './app.ts';
import type { Sample } from './sample.ts';
import type { SoakTab } from './tabs.ts';

const MiB = (kib: number | undefined) => (kib === undefined ? 'n/a' : (kib / 1024).toFixed(1));
const round1 = (x: number) => Math.round(x * 10) / 10;

export function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Chromium's processes summed per label, in a fixed order (browser first), with a count where there are several. */
function chromiumGroups(s: Sample): string {
  const groups = new Map<string, { kib: number; n: number }>();
  for (const p of s.chromium) {
    const g = groups.get(p.label) ?? { kib: 0, n: 0 };
    g.kib += p.privateKiB ?? 0;
    g.n++;
    groups.set(p.label, g);
  }
  const rank = (label: string) => ['browser', 'renderer', 'gpu'].indexOf(label) >>> 0;
  return [...groups]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([label, g]) => `${label}${g.n > 1 ? `×${g.n}` : ''} ${MiB(g.kib)}`)
    .join(', ');
}

/** Frames of one graphical kind, with the rate per connected tab of that kind. */
function framesOf(s: Sample, kind: 'rdp' | 'vnc'): string {
  const d = s.delivered!;
  const tabs = s.connected[kind] || s.tabs[kind];
  const rate = d.seconds > 0 && tabs > 0 ? d.frames[kind] / d.seconds / tabs : 0;
  return `${kind} ${d.frames[kind]} fr (${rate.toFixed(1)}/s/tab, ${bytes(d.bytes[kind])})`;
}

export function formatSample(s: Sample): string {
  const parts = [
    `[${clock(s.t).padStart(5)}]`,
    `private MiB: host ${MiB(s.host.privateKiB)} (V8 heap ${MiB(s.host.heapUsedKiB)}) | chromium ${chromiumGroups(s)} | total ${MiB(s.totalKiB)}`,
    `| fds/sockets: host ${s.host.fds ?? 'n/a'}/${s.host.sockets ?? 'n/a'}, chromium ${s.chromiumFds}/${s.chromiumSockets}`,
    `| page: JS heap ${MiB(s.page.jsHeapUsedKiB)} MiB, ${s.page.domNodes ?? 'n/a'} nodes, ${s.page.listeners ?? 'n/a'} listeners, ${s.page.openSockets} sockets`,
  ];
  if (s.delivered) {
    const d = s.delivered;
    if (s.cpu) parts.push(`| cpu % of a core: host ${s.cpu.host.toFixed(0)}, chromium ${s.cpu.chromium.toFixed(0)}`);
    parts.push(
      `| in ${d.seconds.toFixed(0)} s: ${framesOf(s, 'rdp')}, ${framesOf(s, 'vnc')}, serial ${bytes(d.bytes.serial)} in ${d.serialLines} line${d.serialLines === 1 ? '' : 's'}; page ${(d.pageFrames / Math.max(d.seconds, 1e-9)).toFixed(0)} fps`,
    );
  } else {
    parts.push('| frames: counting starts now');
  }
  parts.push(`| connected ${s.connected.total}/${s.tabs.rdp + s.tabs.vnc + s.tabs.serial} (rdp ${s.connected.rdp}, vnc ${s.connected.vnc}, serial ${s.connected.serial})`);
  if (s.quiet.length > 0) parts.push(`| no frame painted: ${s.quiet.map((q) => `${q.protocol} ${q.server}`).join(', ')}`);
  if (s.unreadable > 0) parts.push(`| ${s.unreadable} chromium process(es) unreadable`);
  return parts.join(' ');
}

/** Messages of one kind: per message with ids and numbers folded, how often it came and its first wording. */
export type Messages = Map<string, { count: number; first: string }>;

/** Problems seen during the run. */
export interface Problems {
  consoleErrors: Messages;
  consoleWarnings: Messages;
  pageErrors: Messages;
  hostLog: Messages;
  inputFailures: Messages;
  /** Samples that could not be taken (the page did not answer). */
  failedSamples: Messages;
  crashed: boolean;
}

export function newProblems(): Problems {
  return { consoleErrors: new Map(), consoleWarnings: new Map(), pageErrors: new Map(), hostLog: new Map(), inputFailures: new Map(), failedSamples: new Map(), crashed: false };
}

/** Ids, numbers and times vary between otherwise equal messages; folded, each kind of message is counted once. */
const fold = (text: string) => text.replace(/[0-9a-f]{8,}(-[0-9a-f]{4,})*/gi, '…').replace(/\d+/g, '#');

/** Counts a message; true the first time its kind is seen (so it is printed once, as it happens). */
export function note(map: Messages, message: string): boolean {
  const key = fold(message);
  const seen = map.get(key);
  if (seen) seen.count++;
  else map.set(key, { count: 1, first: message });
  return !seen;
}

const total = (m: Messages) => [...m.values()].reduce((a, b) => a + b.count, 0);

/** A handle count is flat when it ends no higher than at warm-up, give or take a couple of transient ones. */
const slack = (baseline: number) => Math.max(2, Math.ceil(baseline * 0.02));
const flat = (baseline: number | undefined, final: number | undefined) => baseline === undefined || final === undefined || final <= baseline + slack(baseline);

/** Least-squares slope of total private memory over the samples from warm-up on, in MiB per minute. */
function trend(samples: Sample[]): number | undefined {
  if (samples.length < 3) return undefined;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.t, 0) / n;
  const my = samples.reduce((a, s) => a + s.totalKiB, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mx) * (s.totalKiB - my);
    den += (s.t - mx) ** 2;
  }
  return den > 0 ? ((num / den) * 60) / 1024 : undefined;
}

export interface RunFacts {
  plannedSeconds: number;
  intervalSeconds: number;
  warmupSeconds: number;
  /** True when Ctrl+C (or SIGTERM) ended the run early. */
  interrupted: boolean;
  setupSeconds: number;
  tabs: SoakTab[];
  options: Record<string, unknown>;
}

/** Prints the summary; returns the figures for the JSON line. */
export function summarize(samples: Sample[], problems: Problems, run: RunFacts, print: (line: string) => void): Record<string, unknown> {
  const start = samples[0];
  const final = samples.at(-1);
  // The first sample at or after the warm-up time (a run cut short may have none: then there is no verdict).
  const baseline = samples.find((s) => s.t >= run.warmupSeconds - 0.5 && s !== start) ?? undefined;
  const after = baseline ? samples.filter((s) => s.t >= baseline.t) : [];
  const growth = (a: number | undefined, b: number | undefined) => (a && b !== undefined ? ((b - a) / a) * 100 : undefined);
  const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`);

  const totalGrowth = baseline && final ? growth(baseline.totalKiB, final.totalKiB) : undefined;
  const hostGrowth = baseline && final ? growth(baseline.host.privateKiB, final.host.privateKiB) : undefined;
  const chromiumGrowth = baseline && final ? growth(baseline.chromiumKiB, final.chromiumKiB) : undefined;
  const slope = trend(after);
  const handles =
    baseline && final
      ? {
          hostFds: flat(baseline.host.fds, final.host.fds),
          hostSockets: flat(baseline.host.sockets, final.host.sockets),
          chromiumFds: flat(baseline.chromiumFds, final.chromiumFds),
          chromiumSockets: flat(baseline.chromiumSockets, final.chromiumSockets),
          pageSockets: flat(baseline.page.openSockets, final.page.openSockets),
        }
      : undefined;
  const leaked = handles ? Object.entries(handles).filter(([, ok]) => !ok).map(([k]) => k) : [];
  const memoryOk = totalGrowth !== undefined && totalGrowth < 10;
  const goalMet = baseline !== undefined && final !== undefined && final !== baseline && memoryOk && leaked.length === 0;
  const minConnected = samples.reduce((m, s) => Math.min(m, s.connected.total), Infinity);
  // Connected graphical tabs whose display painted nothing in an interval: per tab, in how many intervals.
  const quiet = new Map<string, number>();
  for (const s of samples) for (const q of s.quiet) quiet.set(`${q.protocol} ${q.server}`, (quiet.get(`${q.protocol} ${q.server}`) ?? 0) + 1);
  const intervals = samples.filter((s) => s.delivered).length;
  const sums = { rdp: 0, vnc: 0, serialBytes: 0, serialLines: 0, seconds: 0 };
  for (const s of samples) {
    if (!s.delivered) continue;
    sums.rdp += s.delivered.frames.rdp;
    sums.vnc += s.delivered.frames.vnc;
    sums.serialBytes += s.delivered.bytes.serial;
    sums.serialLines += s.delivered.serialLines;
    sums.seconds += s.delivered.seconds;
  }

  const line = (label: string, s: Sample | undefined) =>
    s
      ? `${label} [${clock(s.t)}] total ${MiB(s.totalKiB)} MiB = host ${MiB(s.host.privateKiB)} + chromium ${MiB(s.chromiumKiB)}; host V8 heap ${MiB(s.host.heapUsedKiB)} MiB; page JS heap ${MiB(s.page.jsHeapUsedKiB)} MiB, ${s.page.domNodes ?? 'n/a'} DOM nodes`
      : `${label} none`;
  const handleLine = (label: string, pick: (s: Sample) => string) =>
    `    ${label}: ${samples.length ? `${pick(start)} at start, ${baseline ? pick(baseline) : 'n/a'} at warm-up, ${pick(final!)} at end` : 'n/a'}`;

  print('');
  print(`Summary: ${clock(final?.t ?? 0)} soaked of ${clock(run.plannedSeconds)} planned${run.interrupted ? ' (interrupted)' : ''}, a sample every ${run.intervalSeconds} s, ${run.tabs.length} tabs opened in ${run.setupSeconds.toFixed(0)} s`);
  print(`  ${line('warm-up baseline', baseline)}`);
  print(`  ${line('final           ', final)}`);
  print(`  growth after warm-up: total ${pct(totalGrowth)} (host ${pct(hostGrowth)}, chromium ${pct(chromiumGrowth)}); trend ${slope === undefined ? 'n/a (too few samples)' : `${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB/min`}`);
  print('  descriptors (fds/sockets):');
  print(handleLine('host process', (s) => `${s.host.fds ?? 'n/a'}/${s.host.sockets ?? 'n/a'}`));
  print(handleLine('chromium (all processes)', (s) => `${s.chromiumFds}/${s.chromiumSockets}`));
  print(handleLine('page WebSockets open (with its RDP worker\'s)', (s) => String(s.page.openSockets)));
  print(`  tabs connected: ${final?.connected.total ?? 0}/${run.tabs.length} at end, at least ${Number.isFinite(minConnected) ? minConnected : 0} at every sample`);
  for (const nc of final?.notConnected ?? []) print(`    not connected at end: ${nc.protocol} ${nc.server}: ${nc.status ?? '(tab gone)'}`);
  print(
    `  connected displays that painted no frame in an interval: ${quiet.size === 0 ? 'none' : [...quiet].map(([tab, n]) => `${tab} (${n} of ${intervals} intervals)`).join(', ')}`,
  );
  print(
    `  delivered over ${sums.seconds.toFixed(0)} s: rdp ${sums.rdp} frames, vnc ${sums.vnc} frames, serial ${bytes(sums.serialBytes)} in ${sums.serialLines} lines`,
  );
  const listProblems = (label: string, m: Messages) => {
    print(`  ${label}: ${total(m)}`);
    for (const { count, first } of [...m.values()].slice(0, 15)) print(`    ${count}× ${first.length > 300 ? first.slice(0, 297) + '…' : first}`);
    if (m.size > 15) print(`    … and ${m.size - 15} more distinct messages`);
  };
  listProblems('page console errors', problems.consoleErrors);
  listProblems('page console warnings', problems.consoleWarnings);
  listProblems('page errors (uncaught)', problems.pageErrors);
  listProblems('app log lines', problems.hostLog);
  listProblems('input actions that failed', problems.inputFailures);
  listProblems('samples that failed', problems.failedSamples);
  if (problems.crashed) print('  THE PAGE CRASHED');
  const reasons: string[] = [];
  if (!baseline || final === baseline) reasons.push('no sample after warm-up to compare with');
  else {
    if (!memoryOk) reasons.push(`total private memory grew ${pct(totalGrowth)} after warm-up`);
    if (leaked.length) reasons.push(`not flat: ${leaked.join(', ')}`);
  }
  print(
    `  goal (< 10 % growth of total private memory after warm-up; fds and sockets end within max(2, 2 %) of warm-up): ${goalMet ? 'MET' : `NOT MET (${reasons.join('; ')})`}`,
  );
  if ((final?.connected.total ?? 0) < run.tabs.length) print(`  caveat: only ${final?.connected.total ?? 0} of ${run.tabs.length} tabs were connected at the end, so the load was lower than planned`);
  if (run.plannedSeconds < 1800) print('  note: a run this short only shows the figures work; leaks need the full soak (30 minutes) to show');

  const brief = (s: Sample | undefined) =>
    s && {
      t: round1(s.t),
      totalMiB: round1(s.totalKiB / 1024),
      hostMiB: round1((s.host.privateKiB ?? 0) / 1024),
      hostHeapUsedMiB: round1(s.host.heapUsedKiB / 1024),
      chromiumMiB: round1(s.chromiumKiB / 1024),
      perProcessMiB: Object.fromEntries(s.chromium.map((p) => [`${p.label}:${p.pid}`, round1((p.privateKiB ?? 0) / 1024)])),
      hostFds: s.host.fds,
      hostSockets: s.host.sockets,
      chromiumFds: s.chromiumFds,
      chromiumSockets: s.chromiumSockets,
      pageJsHeapMiB: s.page.jsHeapUsedKiB === undefined ? undefined : round1(s.page.jsHeapUsedKiB / 1024),
      pageDomNodes: s.page.domNodes,
      pageListeners: s.page.listeners,
      pageSockets: s.page.openSockets,
      connected: s.connected.total,
    };
  const tabsOf = (p: Protocol) => run.tabs.filter((t) => t.protocol === p);
  return {
    goalMet,
    reasons,
    interrupted: run.interrupted,
    options: run.options,
    warmupSeconds: run.warmupSeconds,
    tabs: {
      rdp: tabsOf('rdp').length,
      vnc: tabsOf('vnc').length,
      serial: tabsOf('serial').length,
      connectedAtEnd: final?.connected.total ?? 0,
      neverConnected: run.tabs.filter((t) => t.connectMs === undefined).map((t) => `${t.protocol}:${t.server}`),
      quiet: Object.fromEntries([...quiet].map(([tab, n]) => [tab.replace(' ', ':'), n])),
    },
    growthPercent: { total: totalGrowth === undefined ? undefined : round1(totalGrowth), host: hostGrowth === undefined ? undefined : round1(hostGrowth), chromium: chromiumGrowth === undefined ? undefined : round1(chromiumGrowth) },
    trendMiBPerMinute: slope === undefined ? undefined : Math.round(slope * 100) / 100,
    flat: handles,
    start: brief(start),
    baseline: brief(baseline),
    final: brief(final),
    delivered: { seconds: round1(sums.seconds), rdpFrames: sums.rdp, vncFrames: sums.vnc, serialBytes: sums.serialBytes, serialLines: sums.serialLines },
    problems: {
      consoleErrors: total(problems.consoleErrors),
      consoleWarnings: total(problems.consoleWarnings),
      pageErrors: total(problems.pageErrors),
      appLogLines: total(problems.hostLog),
      inputFailures: total(problems.inputFailures),
      failedSamples: total(problems.failedSamples),
      crashed: problems.crashed,
    },
    series: samples.map((s) => ({ t: round1(s.t), totalMiB: round1(s.totalKiB / 1024), hostMiB: round1((s.host.privateKiB ?? 0) / 1024), chromiumMiB: round1(s.chromiumKiB / 1024) })),
  };
}
