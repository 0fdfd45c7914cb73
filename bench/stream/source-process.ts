// The parent's side of a stream source process (source.ts): forked with this process's loader flags (tsx), asked one
// thing at a time over IPC, stopped by PID.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SourceReply, SourceRequest, SourceStats } from './source.ts';

export interface SourceProcess {
  pid: number;
  stats(): Promise<SourceStats>;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./source.ts', import.meta.url));

async function startSource(first: SourceRequest): Promise<{ proc: SourceProcess; ready: Extract<SourceReply, { op: 'ready' }> }> {
  const child: ChildProcess = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  if (child.pid === undefined) throw new Error('the stream source could not be started');
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let chain: Promise<unknown> = Promise.resolve();
  const ask = <T extends SourceReply['op']>(req: SourceRequest, want: T, timeoutMs = 30_000): Promise<Extract<SourceReply, { op: T }>> => {
    const p = chain.then(
      () =>
        new Promise<Extract<SourceReply, { op: T }>>((resolve, reject) => {
          const timer = setTimeout(() => finish(new Error(`the stream source did not answer ${req.op} within ${timeoutMs} ms:\n${log}`)), timeoutMs);
          const onMessage = (m: SourceReply) => {
            if (m.op === want) finish(undefined, m as Extract<SourceReply, { op: T }>);
            else if (m.op === 'error') finish(new Error(`stream source: ${m.message}\n${log}`));
          };
          const onExit = () => finish(new Error(`the stream source exited:\n${log}`));
          const finish = (err?: Error, m?: Extract<SourceReply, { op: T }>) => {
            clearTimeout(timer);
            child.off('message', onMessage);
            child.off('exit', onExit);
            if (err) reject(err);
            else resolve(m!);
          };
          child.on('message', onMessage);
          child.once('exit', onExit);
          child.send(req);
        }),
    );
    chain = p.catch(() => undefined);
    return p;
  };
  const proc: SourceProcess = {
    pid: child.pid,
    stats: async () => (await ask({ op: 'stats' }, 'stats')).stats,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ op: 'stop' } satisfies SourceRequest);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    return { proc, ready: await ask(first, 'ready') };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** The demo desktop's RDP server (TLS, planar) with its full-screen animation at `fps`, in its own process. */
export async function startDemoSource(fps: number): Promise<SourceProcess & { port: number }> {
  const { proc, ready } = await startSource({ op: 'demo', fps });
  return { ...proc, port: ready.port! };
}

/** The X11 stripes on `display`, in their own process. */
export async function startStripesSource(display: string, mode: 'move' | 'repaint', rate: number): Promise<SourceProcess> {
  return (await startSource({ op: 'stripes', display, mode, rate })).proc;
}
