// CPU time of the processes on each side, from /proc, to show where a client's time goes while it streams: the
// app's Chromium processes by kind (renderer: the page, IronRDP's WASM and noVNC; GPU process: compositing, in
// software here; browser; the rest) and this Node process (the browser host with the RDP gateway and the VNC relay),
// against the native client and the X server it draws on.
import { readFileSync } from 'node:fs';
import { commandLine, descendants as processTree } from '../soak/proc.ts';

/** Kernel clock ticks per second (getconf CLK_TCK; 100 on Linux on every architecture this runs on). */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process, in ms (0 when it is gone). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every process descending from `root`, with its command line (arguments joined by spaces). */
function descendants(root: number): Array<{ pid: number; cmd: string }> {
  return processTree(root).map((pid) => ({ pid, cmd: commandLine(pid).join(' ') }));
}

/** Groups of processes to read together: name → pids. */
export type ProcessGroups = Record<string, number[]>;

/** This process's Chromium processes by kind, and this process itself. */
export function appGroups(): ProcessGroups {
  const groups: ProcessGroups = { renderer: [], 'gpu process': [], browser: [], 'other chromium': [], 'node (host, gateway, relay)': [process.pid] };
  for (const p of descendants(process.pid)) {
    if (!/chromium/.test(p.cmd)) continue;
    const type = /--type=(\S+)/.exec(p.cmd)?.[1];
    if (type === 'renderer') groups.renderer.push(p.pid);
    else if (type === 'gpu-process') groups['gpu process'].push(p.pid);
    else if (type === undefined) groups.browser.push(p.pid);
    else groups['other chromium'].push(p.pid);
  }
  return groups;
}

/** A reading of every group's CPU time; `since` turns two readings into percent of one core per group. */
export interface CpuReading {
  at: number;
  ms: Record<string, number>;
}

export function readCpu(groups: ProcessGroups): CpuReading {
  const ms: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    // This process: process.cpuUsage() (microseconds, finer than /proc's ticks).
    ms[name] = pids.reduce((sum, pid) => {
      if (pid !== process.pid) return sum + cpuMs(pid);
      const u = process.cpuUsage();
      return sum + (u.user + u.system) / 1000;
    }, 0);
  }
  return { at: performance.now(), ms };
}

/** Percent of one core each group used between two readings. */
export function cpuPercent(a: CpuReading, b: CpuReading): Record<string, number> {
  const wall = b.at - a.at;
  const out: Record<string, number> = {};
  // A process that ended in between reads as 0: never report negative time for it.
  for (const name of Object.keys(b.ms)) out[name] = Math.max(0, ((b.ms[name] - (a.ms[name] ?? 0)) / wall) * 100);
  return out;
}
