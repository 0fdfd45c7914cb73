// Full-screen streaming through the standalone demo: `demo-cloud --demo-fps 30 --demo-animation fullscreen` (held to
// one core with taskset when present) changes every pixel each frame; a client connected to the console host as
// VMConnect does receives a bounded number of full screens. Rate and server CPU are measured and reported with
// t.diagnostic, never asserted: the assertions are that every update decodes to its rectangle's size and that every
// full screen covers every tile (no tile runs ahead or falls behind by more than the frame in flight).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodePlanarForTest } from '../../../../electron/demo/demo-desktop/planar.ts';
import { decodeInterleavedReference } from './interleaved-reference.ts';
import { bitmapRects, connectMiniClient, type DecodedRect, type MiniClient } from './mini-client.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'demo-stream-'));
const FPS = 30;
const FRAMES = 45;
const WIDTH = 1024;
const HEIGHT = 768;
const TILE = 64;
const TASKSET = '/usr/bin/taskset';

let child: ChildProcess | undefined;
let client: MiniClient | undefined;
after(async () => {
  client?.close();
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** CPU time (user + system) of a process in milliseconds, from /proc (clock ticks of 10 ms on Linux). */
function cpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

test(`the console host streams ${FRAMES} full screens at --demo-fps ${FPS}, every one complete and decodable`, async (t) => {
  const args = ['--import', 'tsx', 'electron/demo/main.ts', '--port', '0', '--console-port', '0', '--data-dir', dataDir, '--demo-fps', String(FPS), '--demo-animation', 'fullscreen'];
  const pinned = existsSync(TASKSET);
  // taskset execs node in place, so the child's pid is the server's.
  child = pinned ? spawn(TASKSET, ['-c', '0', process.execPath, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const info = JSON.parse(
    await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`demo-cloud exited with ${code}`)));
    }),
  );
  const vm = info.servers.find((s: { status: string }) => s.status === 'ACTIVE');
  client = await connectMiniClient(info.console_host.port, { width: WIDTH, height: HEIGHT }, vm.vm_id);

  const columns = WIDTH / TILE;
  const tiles = columns * (HEIGHT / TILE);
  const counts = new Array<number>(tiles).fill(0);
  let seen = 0;
  // Decoded after the run: the test's decoder must not be what limits the rate it reports.
  const received: DecodedRect[] = [];
  let rects = 0;
  let bytes = 0;
  let spreadMax = 0;
  let start: { t: number; cpu: number | undefined } | undefined;
  const deadline = Date.now() + 60_000;
  while (Math.min(...counts) < FRAMES + 1) {
    if (Date.now() > deadline) break;
    if (seen === client.frames.length) {
      if (client.socket.destroyed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        client!.socket.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (; seen < client.frames.length; seen++) {
      const frame: Buffer = client.frames[seen];
      for (const r of bitmapRects(frame)) {
        received.push(r);
        assert.equal(r.x % TILE, 0);
        assert.equal(r.y % TILE, 0);
        counts[(r.y / TILE) * columns + r.x / TILE]++;
        rects++;
        bytes += r.data.length;
      }
      const low = Math.min(...counts);
      spreadMax = Math.max(spreadMax, Math.max(...counts) - low);
      // The clock starts at the first whole screen, so the handshake is not counted.
      if (!start && low >= 1) start = { t: performance.now(), cpu: cpuMs(child.pid!) };
    }
  }
  const seconds = (performance.now() - start!.t) / 1000;
  const cpu = cpuMs(child.pid!);
  const low = Math.min(...counts);
  for (const r of received) {
    // Compressed tiles: 24 bpp interleaved RLE (the default) or 32 bpp planar.
    const pixels = !(r.flags & 1) ? r.data : r.bpp === 24 ? decodeInterleavedReference(r.data, r.w, r.h) : decodePlanarForTest(r.data, r.w, r.h);
    assert.equal(pixels.length, r.w * r.h * 4, `tile at ${r.x},${r.y} decodes to its size`);
  }
  assert.ok(low >= FRAMES + 1, `every tile updated at least ${FRAMES + 1} times (least updated tile: ${low})`);
  assert.ok(spreadMax <= 1, `full screens stay whole: tiles differ by at most the frame in flight (saw ${spreadMax})`);

  const screens = low - 1;
  t.diagnostic(`server ${pinned ? 'pinned to one core (taskset -c 0)' : 'not pinned (no taskset)'}; ${WIDTH}x${HEIGHT}, configured ${FPS} fps`);
  t.diagnostic(`delivered ${(screens / seconds).toFixed(1)} full screens/s over ${seconds.toFixed(2)} s (${screens} screens, ${rects} tiles, ${(bytes / 1e6).toFixed(1)} MB of bitmaps)`);
  if (cpu !== undefined && start!.cpu !== undefined) {
    t.diagnostic(`server CPU ${(((cpu - start!.cpu) / (seconds * 1000)) * 100).toFixed(0)}% of one core, ${((cpu - start!.cpu) / screens).toFixed(1)} ms per full screen`);
  }
});
