// One sample of the soak: memory and descriptors of every process involved, the page's own counters, and what the
// consoles delivered since the previous sample.
//
// Where the consoles are counted: every graphical tab's display is drawn by the page, and the page probe
// (page-probe.ts) counts its frames there, per tab: noVNC's, and RDP's, whose engine (IronRDP in the app's RDP
// worker) ships the regions it drew to the page, which puts them on the tab's canvas. VNC (noVNC) and serial
// (xterm.js) tabs hold their sockets in the page too; RDP sessions hold theirs in the worker, where the worker probe
// (worker-probe.ts) counts their bytes. Each sample reads the page and every probed RDP worker and adds the
// worker's sockets to the page's: bytes are summed by kind, and the open ones of both are `page.openSockets` (the
// sockets of the page's consoles, wherever in it they are held).
import type { CDPSession, Worker } from 'playwright-core';
import type { ProbedSoakApp, Protocol } from './app.ts';
import { readProbe, type ProbeRead } from './page-probe.ts';
import { readWorkerProbe, type WorkerProbeRead } from './worker-probe.ts';
import { chromiumLabel, commandLine, cpuSeconds, descendants, descriptors, findChromiumBrowser, privateKiB } from './proc.ts';
import type { SoakTab } from './tabs.ts';

export interface ProcessFigures {
  pid: number;
  label: string;
  /** Private_Clean + Private_Dirty, KiB (undefined: unreadable). */
  privateKiB?: number;
  fds?: number;
  sockets?: number;
  /** CPU time used since the process started, seconds. */
  cpuSeconds?: number;
}

export interface Delivered {
  /** Distinct frames painted by the displays of each graphical kind (see page-probe.ts). */
  frames: { rdp: number; vnc: number };
  /** Canvas draw calls behind those frames. */
  draws: { rdp: number; vnc: number };
  /** Bytes the sockets of the page and its RDP worker received, per kind of console ('other': the app's own API socket). */
  bytes: Record<Protocol | 'other', number>;
  /** Line feeds the serial consoles received. */
  serialLines: number;
  /** The page's animation frames: the most any one canvas could paint. */
  pageFrames: number;
}

export interface Sample {
  /** Seconds since the soak started (all tabs open). */
  t: number;
  /** This process: it hosts the app (browser mode) and its embedded demo cloud, and drives Chromium. */
  host: ProcessFigures & { heapUsedKiB: number; heapTotalKiB: number; externalKiB: number; arrayBuffersKiB: number };
  chromium: ProcessFigures[];
  chromiumKiB: number;
  totalKiB: number;
  chromiumFds: number;
  chromiumSockets: number;
  /** Chromium processes whose figures could not be read (they are left out of the sums). */
  unreadable: number;
  /** The page's figures; openSockets counts the RDP worker's sockets too (the page's consoles, wherever held). */
  page: { jsHeapUsedKiB?: number; domNodes?: number; listeners?: number; documents?: number; openSockets: number };
  /** Since the previous sample (none for the first). */
  delivered?: Delivered & { seconds: number };
  /** CPU used since the previous sample, in % of one core (the machine's cores: os.availableParallelism()). */
  cpu?: { host: number; chromium: number };
  connected: Record<Protocol, number> & { total: number };
  tabs: Record<Protocol, number>;
  /** Tabs not Connected now, with what their status line says. */
  notConnected: Array<{ server: string; protocol: Protocol; status: string | null }>;
  /**
   * Graphical tabs (RDP, VNC) that say Connected but whose display painted no frame since the previous sample (the
   * demo desktops animate without pause, so a live display always paints); empty for the first sample.
   */
  quiet: Array<{ server: string; protocol: Protocol }>;
}

const READ_TIMEOUT_MS = 30_000;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s from ${what}`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export class Sampler {
  private chromiumRoot: number | undefined;
  private cdp: CDPSession | undefined;
  private last: number | undefined;
  /** CPU seconds per pid at the previous sample. */
  private lastCpu = new Map<number, number>();

  constructor(
    private readonly app: ProbedSoakApp,
    private readonly tabs: SoakTab[],
  ) {}

  /** Starts the per-interval counters afresh (what happened while the tabs were opened is not the soak's). */
  async reset(): Promise<void> {
    await this.app.page.evaluate(readProbe, []);
    await this.readWorkers();
    this.last = performance.now();
  }

  /**
   * Reads the probe of every RDP worker (bounded, as the page's read). A worker that ended meanwhile (the engine lost
   * it; its sessions end and say so in their tabs) is skipped; one that is there and does not answer fails the sample.
   */
  private async readWorkers(): Promise<WorkerProbeRead[]> {
    const reads = await Promise.all(
      this.app.rdpWorkers().map((w: Worker) =>
        withTimeout(w.evaluate(readWorkerProbe), READ_TIMEOUT_MS, 'reading the RDP worker').catch((err: unknown) => {
          if (!this.app.rdpWorkers().includes(w)) return undefined;
          throw err;
        }),
      ),
    );
    return reads.filter((r): r is WorkerProbeRead => r !== undefined);
  }

  /** The page's read with the RDP workers' sockets added (their bytes count by kind, as the page's do). */
  private static merge(read: ProbeRead, workers: WorkerProbeRead[]): ProbeRead {
    return { ...read, sockets: [...read.sockets, ...workers.flatMap((w) => w.sockets)] };
  }

  async take(t: number, measureDelivery: boolean): Promise<Sample> {
    const { page } = this.app;
    const now = performance.now();
    // Bounded: a page that no longer answers is reported as a failed sample, not a soak that hangs. The page first,
    // then its RDP workers, back to back: their intervals differ by the milliseconds between the reads.
    const pageRead = await withTimeout(
      page.evaluate(
        readProbe,
        this.tabs.map((x) => x.panelId),
      ),
      READ_TIMEOUT_MS,
      'reading the page',
    );
    const read = Sampler.merge(pageRead, await this.readWorkers());
    const seconds = this.last === undefined ? 0 : (now - this.last) / 1000;
    this.last = now;

    const byPanel = new Map(this.tabs.map((x) => [x.panelId, x]));
    const delivered: Delivered = {
      frames: { rdp: 0, vnc: 0 },
      draws: { rdp: 0, vnc: 0 },
      bytes: { rdp: 0, vnc: 0, serial: 0, other: 0 },
      serialLines: 0,
      pageFrames: read.ticks,
    };
    const connected = { rdp: 0, vnc: 0, serial: 0, total: 0 };
    const tabs = { rdp: 0, vnc: 0, serial: 0 };
    const notConnected: Sample['notConnected'] = [];
    const quiet: Sample['quiet'] = [];
    for (const p of read.panels) {
      const tab = byPanel.get(p.id)!;
      tabs[tab.protocol]++;
      if (p.status === 'Connected') {
        connected[tab.protocol]++;
        connected.total++;
      } else {
        notConnected.push({ server: tab.server, protocol: tab.protocol, status: p.status });
      }
      if (tab.protocol !== 'serial') {
        delivered.frames[tab.protocol] += p.frames;
        delivered.draws[tab.protocol] += p.draws;
        if (measureDelivery && p.status === 'Connected' && p.frames === 0) quiet.push({ server: tab.server, protocol: tab.protocol });
      }
    }
    let openSockets = 0;
    for (const s of read.sockets) {
      if (s.open) openSockets++;
      const kind = this.app.socketKind(s.url);
      delivered.bytes[kind] += s.bytes;
      if (kind === 'serial') delivered.serialLines += s.lines;
    }

    const pageFigures: Sample['page'] = { openSockets };
    try {
      this.cdp ??= await this.app.context.newCDPSession(page);
      const heap = await withTimeout(this.cdp.send('Runtime.getHeapUsage'), READ_TIMEOUT_MS, 'the page heap');
      const dom = await withTimeout(this.cdp.send('Memory.getDOMCounters'), READ_TIMEOUT_MS, 'the DOM counters');
      pageFigures.jsHeapUsedKiB = heap.usedSize / 1024;
      pageFigures.domNodes = dom.nodes;
      pageFigures.listeners = dom.jsEventListeners;
      pageFigures.documents = dom.documents;
    } catch {
      // Figures of the page are extras; a sample without them still holds the process figures.
    }

    const mem = process.memoryUsage();
    const own = descriptors(process.pid);
    const host: Sample['host'] = {
      pid: process.pid,
      label: 'host',
      privateKiB: privateKiB(process.pid),
      cpuSeconds: cpuSeconds(process.pid),
      fds: own?.fds,
      sockets: own?.sockets,
      heapUsedKiB: mem.heapUsed / 1024,
      heapTotalKiB: mem.heapTotal / 1024,
      externalKiB: mem.external / 1024,
      arrayBuffersKiB: mem.arrayBuffers / 1024,
    };
    const chromium = this.chromiumProcesses();
    let chromiumKiB = 0;
    let chromiumFds = 0;
    let chromiumSockets = 0;
    let unreadable = 0;
    for (const c of chromium) {
      if (c.privateKiB === undefined || c.fds === undefined) unreadable++;
      chromiumKiB += c.privateKiB ?? 0;
      chromiumFds += c.fds ?? 0;
      chromiumSockets += c.sockets ?? 0;
    }
    // Per pid, so a process that ended (or started) between two samples does not make the sum jump.
    const used = (p: ProcessFigures) => (p.cpuSeconds ?? 0) - (this.lastCpu.get(p.pid) ?? 0);
    const cpu =
      measureDelivery && seconds > 0
        ? { host: (used(host) / seconds) * 100, chromium: (chromium.reduce((a, p) => a + used(p), 0) / seconds) * 100 }
        : undefined;
    this.lastCpu = new Map([host, ...chromium].map((p) => [p.pid, p.cpuSeconds ?? 0]));
    return {
      t,
      host,
      ...(cpu ? { cpu } : {}),
      chromium,
      chromiumKiB,
      totalKiB: (host.privateKiB ?? 0) + chromiumKiB,
      chromiumFds,
      chromiumSockets,
      unreadable,
      page: pageFigures,
      ...(measureDelivery ? { delivered: { ...delivered, seconds } } : {}),
      connected,
      tabs,
      notConnected,
      quiet,
    };
  }

  /** The browser process and all its descendants (zygotes, renderers, GPU, utilities), each with its figures. */
  private chromiumProcesses(): ProcessFigures[] {
    if (this.chromiumRoot === undefined || commandLine(this.chromiumRoot).length === 0) this.chromiumRoot = findChromiumBrowser(process.pid);
    const root = this.chromiumRoot;
    if (root === undefined) return [];
    const out: ProcessFigures[] = [];
    for (const pid of [root, ...descendants(root)]) {
      const args = commandLine(pid);
      // An empty command line: exited since the listing (or a zombie), holding nothing any more.
      if (args.length === 0) continue;
      const d = descriptors(pid);
      out.push({ pid, label: chromiumLabel(args), privateKiB: privateKiB(pid), fds: d?.fds, sockets: d?.sockets, cpuSeconds: cpuSeconds(pid) });
    }
    return out;
  }

  /** The Chromium browser process's pid, if found (to end it by pid should its orderly close fail). */
  browserPid(): number | undefined {
    return this.chromiumRoot ?? findChromiumBrowser(process.pid);
  }
}
