// What Linux's /proc says about a process: private memory, open descriptors, and the process tree (to find every
// Chromium process as a descendant of the browser process this script launched, not by name: other Chromiums may
// run on the machine).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Private_Clean + Private_Dirty of smaps_rollup, in KiB: memory only this process holds (shared libraries excluded). */
export function privateKiB(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    // Gone, or not readable (another user's, or a non-dumpable sandboxed process).
    return undefined;
  }
  let total = 0;
  let found = false;
  for (const m of text.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB$/gm)) {
    total += Number(m[1]);
    found = true;
  }
  return found ? total : undefined;
}

export interface Descriptors {
  fds: number;
  /** Descriptors that are sockets (their link reads `socket:[inode]`). */
  sockets: number;
}

/** Open descriptors and sockets of a process (undefined when it is gone or unreadable). */
export function descriptors(pid: number): Descriptors | undefined {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  let sockets = 0;
  for (const name of names) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${name}`).startsWith('socket:')) sockets++;
    } catch {
      // Closed between the listing and the readlink (or the listing's own directory descriptor, already closed).
    }
  }
  return { fds: names.length, sockets };
}

/** The process's arguments (empty when it is gone). */
export function commandLine(pid: number): string[] {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
  // Chromium's child processes rewrite their title (setproctitle): one string, arguments joined by spaces. Split
  // again; an argument that held spaces comes apart, which the switches read here do not mind.
  return args.length === 1 && args[0].includes(' ') ? args[0].split(' ').filter((a) => a !== '') : args;
}

/** CPU time used so far (user + system), in seconds; undefined when the process is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are the 14th and 15th fields of stat (11th and 12th after the command name), in clock ticks:
    // 100 a second on Linux for every architecture Node runs on.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Parent pid of every process visible now. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name (2nd field) is in parentheses and may itself hold spaces or ')': read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), Number(fields[1]));
    } catch {
      // Exited while the list was read.
    }
  }
  return out;
}

/** Every descendant of `root` (children, their children, …), in no particular order. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The value of a `--name=value` switch, if given. */
function switchValue(args: string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/**
 * A short label for a Chromium process from its switches: its --type (renderer, gpu-process, utility, zygote, …;
 * none for the browser process itself), utilities by their service (network.mojom.NetworkService → utility:network).
 */
export function chromiumLabel(args: string[]): string {
  const type = switchValue(args, 'type');
  if (!type) return (args[0] ?? '').endsWith('chromium') ? 'browser' : (args[0]?.split('/').pop() ?? 'unknown');
  if (type === 'gpu-process') return 'gpu';
  if (type === 'utility') {
    const service = switchValue(args, 'utility-sub-type') ?? '';
    const short = service.split('.')[0].replace(/_/g, '-');
    return short ? `utility:${short}` : 'utility';
  }
  return type;
}

/** The Chromium browser process among `root`'s descendants: the chromium executable with no --type switch. */
export function findChromiumBrowser(root: number): number | undefined {
  for (const pid of descendants(root)) {
    const args = commandLine(pid);
    if (args.length > 0 && /(^|\/)chromium$/.test(args[0]) && !switchValue(args, 'type')) return pid;
  }
  return undefined;
}
