// Streaming measurement for the demo desktop: every pixel changes each frame ('fullscreen' animation) at the
// configured rate, a real client (xfreerdp under Xvfb when installed, else a small in-process client) receives it,
// and the figures are printed. Not a test: nothing here asserts on time.
//
//   npm run -s bench:stream -- [--fps 30] [--seconds 10] [--encoding rle24|planar|raw] [--client xfreerdp|mini] [--no-pin]
// Where taskset is installed the bench runs itself again under `taskset -c 0`, so the server has one core (xfreerdp,
// a separate process, may use the other); --no-pin leaves scheduling alone. Prints one JSON object.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemoDesktop } from '../electron/demo/demo-desktop/server.ts';
import { missingTools, startXfreerdp, startXvfb } from '../test/support/xfreerdp.ts';
import { connectMiniClient } from '../test/electron/demo/demo-desktop/mini-client.ts';

const TASKSET = '/usr/bin/taskset';
if (!process.argv.includes('--no-pin') && process.env.NOVA_BENCH_PINNED !== '1' && existsSync(TASKSET)) {
  const argv = [TASKSET, '-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: { ...process.env, NOVA_BENCH_PINNED: '1' } });
  process.exit(r.status ?? 1);
}

const { values } = parseArgs({
  options: {
    'no-pin': { type: 'boolean', default: false },
    fps: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
    encoding: { type: 'string', default: 'rle24' },
    client: { type: 'string' },
    width: { type: 'string', default: '1024' },
    height: { type: 'string', default: '768' },
  },
});
const fps = Number(values.fps);
const seconds = Number(values.seconds);
const width = Number(values.width);
const height = Number(values.height);
if (!['rle24', 'planar', 'raw'].includes(values.encoding)) throw new Error(`--encoding must be rle24, planar or raw, not ${values.encoding}`);
const encoding = values.encoding as 'rle24' | 'planar' | 'raw';
const clientKind = values.client ?? (missingTools() ? 'mini' : 'xfreerdp');

const dataDir = mkdtempSync(join(tmpdir(), 'demo-bench-'));
const server = await startDemoDesktop({ dataDir, fps, animation: 'fullscreen', encoding, log: (l) => console.error(l) });
const stops: Array<() => Promise<void> | void> = [];
let framesRendered = 0;
server.desktop.on('frame', () => framesRendered++);

try {
  if (clientKind === 'xfreerdp') {
    const xvfb = await startXvfb({ width, height });
    stops.push(() => xvfb.stop());
    const c = startXfreerdp(xvfb.display, [`/v:127.0.0.1:${server.port}`, '/cert:ignore', `/size:${width}x${height}`]);
    stops.push(() => c.stop());
  } else {
    const c = await connectMiniClient(server.port, { width, height });
    stops.push(() => c.close());
  }
  for (let i = 0; i < 100 && server.sessions.size === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const session = [...server.sessions][0];
  if (!session) throw new Error('the client did not connect');
  for (let i = 0; i < 100 && session.stats.tilesSent === 0; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000)); // warm-up

  const tilesPerScreen = Math.ceil(width / 64) * Math.ceil(height / 64);
  const s0 = { ...session.stats, frames: framesRendered, cpu: process.cpuUsage(), t: performance.now() };
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(s0.cpu);
  const dt = (performance.now() - s0.t) / 1000;
  const rendered = framesRendered - s0.frames;
  const screens = (session.stats.tilesSent - s0.tilesSent) / tilesPerScreen;
  const bytes = session.stats.bytesOut - s0.bytesOut;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const figures = {
    pinnedToOneCore: process.env.NOVA_BENCH_PINNED === '1',
    client: clientKind,
    encoding,
    size: `${width}x${height}`,
    configuredFps: fps,
    renderedFps: +(rendered / dt).toFixed(1),
    fullScreensSentPerSecond: +(screens / dt).toFixed(1),
    megabytesPerSecond: +(bytes / dt / 1e6).toFixed(2),
    bytesPerFullScreen: Math.round(bytes / Math.max(screens, 1e-9)),
    serverCpuPercentOfOneCore: +((cpuMs / (dt * 1000)) * 100).toFixed(1),
    serverCpuMsPerFrame: +(cpuMs / Math.max(rendered, 1)).toFixed(2),
  };
  console.log(JSON.stringify(figures, null, 2));
} finally {
  for (const s of stops.reverse()) await s();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
