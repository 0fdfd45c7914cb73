// The stream sources, each in a process of its own (forked by source-process.ts): the demo desktop's RDP server with
// its full-screen animation, or the X11 stripes on a real X server. Apart because the app under test is hosted by
// the benchmark's own process (browser mode: its gateway and relay run on that event loop): a source sharing that loop
// would draw late exactly while the app is measured, and the app would be judged on a slower stream than the native
// client. Here both clients see a source on its own event loop. Ends with its parent (the IPC channel closing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoDesktop, type DemoDesktopServer } from '../../electron/demo/demo-desktop/server.ts';
import type { DesktopSession, TileEncoding } from '../../electron/demo/demo-desktop/session.ts';
import { startStripes, type StripesSource } from './x11-stripes.ts';

export type SourceRequest =
  | { op: 'demo'; fps: number }
  | { op: 'stripes'; display: string; mode: 'move' | 'repaint'; rate: number }
  | { op: 'stats' }
  | { op: 'stop' };

export interface SourceStats {
  /** Frames the source drew: the demo desktop's redraws, or X11 steps the X server acknowledged. */
  frames: number;
  /** Demo desktop only: 64×64 tiles and bytes sent to all its sessions, and how many sessions are open. */
  tilesSent: number;
  bytesOut: number;
  sessions: number;
}

export type SourceReply = { op: 'ready'; port?: number } | { op: 'stats'; stats: SourceStats } | { op: 'error'; message: string };

let demo: DemoDesktopServer | undefined;
let stripes: StripesSource | undefined;
let dataDir: string | undefined;
let frames = 0;
/** Every session the server ever had (its Set forgets closed ones), so totals never go backwards between reads. */
const everySession: DesktopSession[] = [];

const send = (m: SourceReply) => process.send?.(m);

/** DEMO_ENCODING (for comparing encodings): the demo desktop's default (rle24) when unset; anything unknown is an error. */
function demoEncoding(): TileEncoding | undefined {
  const e = process.env.DEMO_ENCODING;
  if (!e) return undefined;
  if (e === 'planar' || e === 'raw' || e === 'rle24') return e;
  throw new Error(`DEMO_ENCODING must be planar, raw or rle24, not ${e}`);
}

async function stop(): Promise<void> {
  await stripes?.stop().catch(() => undefined);
  await demo?.close().catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

function stats(): SourceStats {
  return {
    frames: stripes ? stripes.steps() : frames,
    tilesSent: everySession.reduce((n, s) => n + s.stats.tilesSent, 0),
    bytesOut: everySession.reduce((n, s) => n + s.stats.bytesOut, 0),
    sessions: demo?.sessions.size ?? 0,
  };
}

process.on('message', (m: SourceRequest) => {
  void (async () => {
    try {
      if (m.op === 'demo') {
        dataDir = mkdtempSync(join(tmpdir(), 'stream-demo-'));
        demo = await startDemoDesktop({ dataDir, fps: m.fps, animation: 'fullscreen', encoding: demoEncoding(), log: (l) => console.error(l) });
        demo.desktop.on('frame', () => frames++);
        const sessions = demo.sessions;
        const add = sessions.add.bind(sessions);
        sessions.add = (s) => {
          everySession.push(s);
          return add(s);
        };
        send({ op: 'ready', port: demo.port });
      } else if (m.op === 'stripes') {
        stripes = await startStripes({ display: m.display, mode: m.mode, rate: m.rate });
        send({ op: 'ready' });
      } else if (m.op === 'stats') {
        send({ op: 'stats', stats: stats() });
      } else {
        await stop();
        process.exit(0);
      }
    } catch (err) {
      send({ op: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
// The parent went away (finished, crashed or killed): nothing is left running.
process.on('disconnect', () => void stop().finally(() => process.exit(0)));
