// Private memory of the processes a browser-mode benchmark runs: this process (the host) and every process of the
// Chromium it launched, read from /proc/PID/smaps (Linux only).
//
// Two figures per process. "Raw private" is Private_Clean + Private_Dirty (what smaps_rollup sums): pages only that
// process maps. It counts the clean pages of mapped files too (the chromium executable's code, fonts, resources.pak)
// whenever no other process happens to map the same pages, so a process's figure jumps as others come, go or touch
// other code: the browser process's swung between about 40 and 95 MB between readings with nothing else changing.
// "Owned" leaves those out: every private page except clean pages of regular files, which are page cache the kernel
// can drop and read back. Dirty file-backed pages (written data sections) and anonymous, memfd and shared-memory
// pages all count. Owned is the steady figure; both are reported.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { chromiumLabel, commandLine, descendants } from '../soak/proc.ts';

export interface PrivateMemory {
  /** Private pages except clean pages of regular files, KiB. */
  ownedKiB: number;
  /** Private_Clean + Private_Dirty, KiB. */
  rawKiB: number;
}

/** A mapping's pathname names a regular file (not anonymous memory, a memfd, a device or SysV shared memory). */
function regularFile(path: string): boolean {
  return path.startsWith('/') && !/^\/(memfd:|dev\/|SYSV)/.test(path);
}

/** A process's private memory from its smaps (undefined when it is gone or not readable). */
export function privateMemory(pid: number): PrivateMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  let owned = 0;
  let raw = 0;
  let file = false;
  let found = false;
  for (const line of text.split('\n')) {
    // A mapping's header: address range, permissions, offset, device, inode, then the pathname (may hold spaces).
    const header = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (header) {
      file = regularFile(header[1]);
      continue;
    }
    const field = /^Private_(Clean|Dirty):\s+(\d+) kB$/.exec(line);
    if (!field) continue;
    found = true;
    const kib = Number(field[2]);
    raw += kib;
    if (field[1] === 'Dirty' || !file) owned += kib;
  }
  return found ? { ownedKiB: owned, rawKiB: raw } : undefined;
}

export interface ProcessMemory extends PrivateMemory {
  pid: number;
  /** 'host' for this process; Chromium's processes by type (browser, renderer, gpu, utility:network, zygote, …). */
  label: string;
}

export interface MemorySnapshot {
  host: ProcessMemory;
  chromium: ProcessMemory[];
  /** Chromium's processes' owned memory summed by label, KiB. */
  byLabel: Map<string, number>;
  /** Owned memory, KiB: Chromium's processes, and theirs and the host's together. */
  chromiumKiB: number;
  totalKiB: number;
  /** The same as raw private memory (Private_Clean + Private_Dirty), KiB. */
  rawChromiumKiB: number;
  rawTotalKiB: number;
  /** Chromium processes that were listed but whose memory could not be read (left out of the sums). */
  unreadable: number;
}

/** Reads every process now. `browserPid` is the Chromium browser process (the root of its tree). */
export function memorySnapshot(browserPid: number | undefined): MemorySnapshot {
  const own = privateMemory(process.pid) ?? { ownedKiB: 0, rawKiB: 0 };
  const host: ProcessMemory = { pid: process.pid, label: 'host', ...own };
  const chromium: ProcessMemory[] = [];
  let unreadable = 0;
  if (browserPid !== undefined) {
    for (const pid of [browserPid, ...descendants(browserPid)]) {
      const args = commandLine(pid);
      // Exited since the listing (or a zombie): it holds nothing any more.
      if (args.length === 0) continue;
      const m = privateMemory(pid);
      if (!m) {
        unreadable++;
        continue;
      }
      chromium.push({ pid, label: chromiumLabel(args), ...m });
    }
  }
  const byLabel = new Map<string, number>();
  for (const p of chromium) byLabel.set(p.label, (byLabel.get(p.label) ?? 0) + p.ownedKiB);
  const chromiumKiB = chromium.reduce((a, p) => a + p.ownedKiB, 0);
  const rawChromiumKiB = chromium.reduce((a, p) => a + p.rawKiB, 0);
  return {
    host,
    chromium,
    byLabel,
    chromiumKiB,
    totalKiB: host.ownedKiB + chromiumKiB,
    rawChromiumKiB,
    rawTotalKiB: host.rawKiB + rawChromiumKiB,
    unreadable,
  };
}

export const mib = (kib: number) => kib / 1024;

let hostGc: (() => void) | undefined | null;

/**
 * This process's garbage collector, made callable without starting Node with --expose-gc: the flag set at run time
 * takes effect for contexts created afterwards, and the function a fresh context gets is the same collector.
 * Null when that does not work (the run then measures without a forced collection here).
 */
function hostCollector(): (() => void) | null {
  if (hostGc !== undefined) return hostGc;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    hostGc = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    hostGc = null;
  }
  return hostGc;
}

/**
 * Forces full garbage collections where memory is held by a JavaScript heap: the page's (`pageGc`: the DevTools
 * protocol's HeapProfiler.collectGarbage on the page) and this process's. Returns what could be collected.
 */
export async function collectGarbage(pageGc: () => Promise<unknown>): Promise<{ page: boolean; host: boolean }> {
  let page = true;
  try {
    await pageGc();
  } catch {
    page = false;
  }
  const gc = hostCollector();
  if (gc) {
    // Twice: objects with finalizers (sockets, buffers held by weak references) are freed by the second pass.
    gc();
    gc();
  }
  return { page, host: gc !== null };
}
