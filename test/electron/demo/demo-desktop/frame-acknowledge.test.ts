// Frame markers and acknowledgements on the demo desktop: a client that offers them (as IronRDP does) gets each
// flush as one frame between a begin and an end marker, and once it acknowledges frames the desktop keeps at most two
// unacknowledged; what changes meanwhile goes out as one frame later, not as a queue. A client that offers them and
// never acknowledges, or asks to suspend acknowledgements, is not held up; one that does not offer them gets no
// surface commands. The animation is still (fps 0) and moved on by hand; what the server sent is read from its
// session's own counters after its redraw, so no assertion waits for something not to happen.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoDesktop, type DemoDesktopServer } from '../../../../electron/demo/demo-desktop/server.ts';
import type { DesktopSession } from '../../../../electron/demo/demo-desktop/session.ts';
import { bitmapRects, connectMiniClient, frameAcknowledge, frameMarkers, type MiniClient } from './mini-client.ts';

const PDUTYPE2_FRAME_ACKNOWLEDGE = 56;
const SUSPEND = 0xffffffff;
const SIZE = { width: 640, height: 480 };
const TILES = Math.ceil(640 / 64) * Math.ceil(480 / 64);

/** What a client received, in order: frame markers and bitmap rectangles. */
type Item = { marker: 'begin' | 'end'; id: number } | { rect: string };

function items(client: MiniClient): Item[] {
  return client.frames.flatMap((f): Item[] => [
    ...frameMarkers(f).map((m) => ({ marker: m.action, id: m.id })),
    ...bitmapRects(f).map((r) => ({ rect: `${r.x},${r.y}` })),
  ]);
}

/** The rectangles of frame `id`, or undefined until its end marker has arrived. */
function frame(client: MiniClient, id: number): string[] | undefined {
  const all = items(client);
  const begin = all.findIndex((i) => 'marker' in i && i.marker === 'begin' && i.id === id);
  const end = all.findIndex((i) => 'marker' in i && i.marker === 'end' && i.id === id);
  if (begin < 0 || end < begin) return undefined;
  return all.slice(begin + 1, end).map((i) => ('rect' in i ? i.rect : `marker ${i.marker} ${i.id}`));
}

describe('demo desktop: frame markers and frame acknowledgements', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'demo-frame-ack-'));
  let server: DemoDesktopServer;
  let client: MiniClient | undefined;
  before(async () => {
    server = await startDemoDesktop({ dataDir, vm: { id: 'vm-frames', name: 'FRAMES' }, fps: 0, animation: 'fullscreen', log: () => {} });
  });
  after(async () => {
    client?.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The server side of the one client connected now. */
  function session(): DesktopSession {
    assert.equal(server.sessions.size, 1);
    return [...server.sessions][0];
  }

  /** Moves the animation on one frame and lets the desktop redraw (it does so on the next turn of the event loop). */
  async function advance(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) {
      server.desktop.advanceAnimation(1);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
  }

  async function connect(frameAcks?: number): Promise<MiniClient> {
    client?.close();
    for (let i = 0; i < 250 && server.sessions.size; i++) await new Promise((r) => setTimeout(r, 20));
    client = await connectMiniClient(server.port, SIZE, undefined, { frameAcks });
    return client;
  }

  async function ack(c: MiniClient, id: number): Promise<void> {
    const before = session().stats.frameAcks;
    c.sendShareData(PDUTYPE2_FRAME_ACKNOWLEDGE, frameAcknowledge(id));
    for (let i = 0; i < 200 && session().stats.frameAcks === before; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(session().stats.frameAcks, before + 1, 'the server read the acknowledgement');
    await new Promise((r) => setImmediate(r));
  }

  it('wraps each flush in begin and end markers, the first screen being frame 1 with every tile', async () => {
    const c = await connect(20);
    await c.waitFor(() => frame(c, 1) !== undefined);
    const first = frame(c, 1)!;
    assert.equal(new Set(first).size, TILES, 'frame 1 holds the whole screen');
    assert.ok(first.every((i) => !i.startsWith('marker')), 'no marker inside a frame');
  });

  it('keeps at most two frames unacknowledged and sends what changed meanwhile as one frame', async () => {
    const c = await connect(20);
    await c.waitFor(() => frame(c, 1) !== undefined);
    await ack(c, 1);
    await advance(5);
    assert.equal(session().stats.frames, 3, 'frames 2 and 3 went out, then the desktop waited');
    await c.waitFor(() => frame(c, 3) !== undefined);

    await ack(c, 2);
    assert.equal(session().stats.frames, 4, 'the acknowledgement let one more frame out');
    await c.waitFor(() => frame(c, 4) !== undefined);
    assert.equal(new Set(frame(c, 4)).size, TILES, 'frame 4 holds every tile: the screens in between were skipped, not queued');

    await ack(c, 4);
    await advance();
    await c.waitFor(() => frame(c, 5) !== undefined);
    for (let id = 1; id <= 5; id++) assert.ok(frame(c, id)!.length > 0, `frame ${id} is not empty`);
  });

  it('keeps to a client that allows fewer unacknowledged frames', async () => {
    const c = await connect(1);
    await c.waitFor(() => frame(c, 1) !== undefined);
    await ack(c, 1);
    await advance(3);
    assert.equal(session().stats.frames, 2);
  });

  it('does not wait for a client that never acknowledges, or that suspends acknowledgements', async () => {
    let c = await connect(20);
    await c.waitFor(() => frame(c, 1) !== undefined);
    await advance(4);
    assert.ok(session().stats.frames >= 5, `no acknowledgement yet, no limit (${session().stats.frames} frames)`);
    await c.waitFor(() => frame(c, 5) !== undefined);

    c = await connect(20);
    await c.waitFor(() => frame(c, 1) !== undefined);
    await ack(c, 1);
    await ack(c, SUSPEND);
    await advance(4);
    assert.ok(session().stats.frames >= 5, `acknowledgements suspended (${session().stats.frames} frames)`);
  });

  it('sends no surface commands to a client that did not offer frame markers', async () => {
    const c = await connect();
    await c.waitFor((f) => bitmapRects(f).length > 0);
    await advance(2);
    await c.waitFor(() => items(c).filter((i) => 'rect' in i).length >= 3 * TILES);
    assert.deepEqual(
      c.frames.flatMap((f) => frameMarkers(f)),
      [],
    );
    assert.equal(session().stats.frames, 0);
  });
});
