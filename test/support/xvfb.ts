import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * Test processes: started here, tracked by PID, stopped exactly (never by name: other suites run the same
 * programs on this machine).
 */

export function haveBinary(path: string): boolean {
  return spawnSync('test', ['-x', path]).status === 0;
}

/** Every process started here and still running: ended with the test process even when it dies early. */
const live = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const child of live) child.kill('SIGKILL');
    live.clear();
  };
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      process.off(sig, onSignal);
      process.kill(process.pid, sig); // then die as the signal intends
    };
    process.on(sig, onSignal);
  }
}

export interface Tracked {
  pid: number;
  child: ChildProcess;
  /** Last output lines, for failure messages. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export function spawnTracked(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, extraFds = 0): Tracked {
  const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe'];
  for (let i = 0; i < extraFds; i++) stdio.push('pipe');
  installExitHooks();
  const child = spawn(cmd, args, { env, stdio });
  if (child.pid === undefined) throw new Error(`${cmd} could not be started`);
  live.add(child);
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(String(e))));
  let exited = false;
  const exitPromise = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      r();
    }),
  );
  return {
    pid: child.pid,
    child,
    output: () => log,
    exited: () => exited,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

export interface XDisplay {
  /** ":N" */
  display: string;
  proc: Tracked;
  stop(): Promise<void>;
}

/** An Xvfb display chosen by the server itself (-displayfd), so parallel suites never collide. */
export async function startXvfb(opts: { width?: number; height?: number } = {}): Promise<XDisplay> {
  const { width = 1024, height = 768 } = opts;
  const proc = spawnTracked('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'], process.env, 1);
  const number = await displayNumberOf(proc, 'Xvfb');
  return { display: `:${number}`, proc, stop: () => proc.stop() };
}

/** The display number an X server started with `-displayfd 3` writes on that descriptor, once it is ready. */
export function displayNumberOf(proc: Tracked, name: string): Promise<string> {
  const fd3 = proc.child.stdio[3] as NodeJS.ReadableStream;
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not report a display number: ${proc.output()}`)), 15_000);
    fd3.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.trim());
      }
    });
    proc.child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${name} exited: ${proc.output()}`));
    });
  });
}
