// noVNC 1.7's own decoders (@novnc/novnc core/decoders: ZRLE with its pako inflater, CopyRect, Raw) paint what
// the demo sends through the demo's noVNC proxy, asked for with noVNC's encoding list and pixel format: the picture
// they draw must equal the VM's desktop. (noVNC's RFB class needs a DOM; its decoders and their receive-queue
// interface do not, so this runs in Node, against the code the app's VNC tabs run in the page.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { startDemoEnvironment, type DemoEnvironment } from '../../../../electron/demo/environment.ts';
import { login, raw } from '../cloud/support.ts';
import { NOVNC_FORMAT, expectedPicture } from './mini-vnc-client.ts';

const NOVNC = fileURLToPath(new URL('../../../../node_modules/@novnc/novnc/core/', import.meta.url));
const UBUNTU = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01';

interface Decoder {
  decodeRect(x: number, y: number, w: number, h: number, sock: ReceiveQueue, display: Canvas, depth: number): boolean;
}

/** The part of noVNC's Websock the decoders use, over the bytes received so far. */
class ReceiveQueue {
  private buf = Buffer.alloc(0);
  private i = 0;
  private waiter: (() => void) | null = null;
  push(d: Buffer): void {
    this.buf = Buffer.concat([this.buf.subarray(this.i), d]);
    this.i = 0;
    this.waiter?.();
  }
  rQlen(): number {
    return this.buf.length - this.i;
  }
  rQwait(_msg: string, n: number): boolean {
    return this.rQlen() < n;
  }
  rQshift8(): number {
    return this.buf[this.i++];
  }
  rQshift16(): number {
    const v = this.buf.readUInt16BE(this.i);
    this.i += 2;
    return v;
  }
  rQshift32(): number {
    const v = this.buf.readUInt32BE(this.i);
    this.i += 4;
    return v;
  }
  rQshiftBytes(n: number, copy = true): Uint8Array {
    const out = this.buf.subarray(this.i, this.i + n);
    this.i += n;
    return copy ? Uint8Array.from(out) : new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  /** Waits until `n` bytes are queued. */
  async need(n: number): Promise<void> {
    while (this.rQlen() < n) await new Promise<void>((r) => (this.waiter = r));
  }
  /** Waits for the next arrival. */
  more(): Promise<void> {
    return new Promise<void>((r) => (this.waiter = r));
  }
}

/** The part of noVNC's Display the decoders draw with, into an RGBA picture. */
class Canvas {
  rgba: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rgba = new Uint8Array(width * height * 4);
  }
  blitImage(x: number, y: number, w: number, h: number, arr: Uint8Array, offset: number): void {
    for (let row = 0; row < h; row++) this.rgba.set(arr.subarray(offset + row * w * 4, offset + (row + 1) * w * 4), ((y + row) * this.width + x) * 4);
  }
  fillRect(x: number, y: number, w: number, h: number, color: number[]): void {
    for (let row = y; row < y + h; row++) for (let col = x; col < x + w; col++) this.rgba.set([color[0], color[1], color[2], 255], (row * this.width + col) * 4);
  }
  copyImage(oldX: number, oldY: number, newX: number, newY: number, w: number, h: number): void {
    const copy = new Uint8Array(w * h * 4);
    for (let row = 0; row < h; row++) copy.set(this.rgba.subarray(((oldY + row) * this.width + oldX) * 4, ((oldY + row) * this.width + oldX + w) * 4), row * w * 4);
    this.blitImage(newX, newY, w, h, copy, 0);
  }
  /** 0xRRGGBB per pixel. */
  picture(): Uint32Array {
    const out = new Uint32Array(this.width * this.height);
    for (let i = 0; i < out.length; i++) out[i] = (this.rgba[i * 4] << 16) | (this.rgba[i * 4 + 1] << 8) | this.rgba[i * 4 + 2];
    return out;
  }
}

describe("noVNC 1.7's decoders through the demo noVNC proxy", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'novnc-decoders-'));
  let env: DemoEnvironment;
  let decoders: Record<number, Decoder>;
  let encodings: Record<string, number>;
  before(async () => {
    env = await startDemoEnvironment({ dataDir, consolePort: 0, novncPort: 0, fps: 0, log: () => {} });
    const load = async (path: string) => (await import(pathToFileURL(join(NOVNC, path)).href)) as { default: new () => Decoder };
    const [Raw, CopyRect, Zrle] = await Promise.all(['decoders/raw.js', 'decoders/copyrect.js', 'decoders/zrle.js'].map(load));
    encodings = ((await import(pathToFileURL(join(NOVNC, 'encodings.js')).href)) as { encodings: Record<string, number> }).encodings;
    decoders = { 0: new Raw.default(), 1: new CopyRect.default(), 16: new Zrle.default() };
  });
  after(async () => {
    await env?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('draws the VM desktop exactly, from ZRLE and CopyRect rectangles', async () => {
    const demo = env.info.users.find((u) => u.username === 'demo')!;
    const token = await login(env.info.auth_url, demo.username, demo.password, demo.project_name);
    const created = await raw(`${env.info.auth_url.replace('/identity/v3', '/compute/v2.1')}/servers/${UBUNTU}/remote-consoles`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'OpenStack-API-Version': 'compute 2.6' },
      body: JSON.stringify({ remote_console: { protocol: 'vnc', type: 'novnc' } }),
    });
    const url = new URL(created.json.remote_console.url as string);
    const ws = new WebSocket(`ws://${url.host}/${url.searchParams.get('path')}`, ['binary']);
    const q = new ReceiveQueue();
    ws.on('message', (d: Buffer) => q.push(d));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    try {
      // Handshake: 3.8, None, shared.
      await q.need(12);
      q.rQshiftBytes(12);
      ws.send(Buffer.from('RFB 003.008\n'));
      await q.need(2);
      assert.deepEqual([q.rQshift8(), q.rQshift8()], [1, 1]);
      ws.send(Buffer.from([1]));
      await q.need(4);
      assert.equal(q.rQshift32(), 0);
      ws.send(Buffer.from([1]));
      await q.need(24);
      const width = q.rQshift16();
      const height = q.rQshift16();
      q.rQshiftBytes(16);
      const nameLength = q.rQshift32();
      await q.need(nameLength);
      q.rQshiftBytes(nameLength);

      // noVNC's pixel format for depth 24 and its encoding list (rfb.js _sendEncodings, without H.264 in Node).
      const pf = Buffer.from([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0]);
      const e = encodings;
      const list = [
        e.encodingCopyRect, e.encodingTight, e.encodingTightPNG, e.encodingZRLE, e.encodingJPEG, e.encodingHextile, e.encodingRRE, e.encodingZlib, e.encodingRaw,
        e.pseudoEncodingQualityLevel0 + 6, e.pseudoEncodingCompressLevel0 + 2, e.pseudoEncodingDesktopSize, e.pseudoEncodingLastRect,
        e.pseudoEncodingQEMUExtendedKeyEvent, e.pseudoEncodingQEMULedEvent, e.pseudoEncodingExtendedDesktopSize, e.pseudoEncodingXvp,
        e.pseudoEncodingFence, e.pseudoEncodingContinuousUpdates, e.pseudoEncodingDesktopName, e.pseudoEncodingExtendedClipboard,
        e.pseudoEncodingExtendedMouseButtons, e.pseudoEncodingVMwareCursor, e.pseudoEncodingCursor,
      ];
      const setEncodings = Buffer.alloc(4 + 4 * list.length);
      setEncodings[0] = 2;
      setEncodings.writeUInt16BE(list.length, 2);
      list.forEach((x, i) => setEncodings.writeUInt32BE(x >>> 0, 4 + 4 * i));
      const request = Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      request.writeUInt16BE(width, 6);
      request.writeUInt16BE(height, 8);
      ws.send(Buffer.concat([pf, setEncodings, request]));

      // Updates decoded as noVNC's RFB class does it: rectangle headers here, bodies by its decoders.
      const canvas = new Canvas(width, height);
      const readUpdate = async (): Promise<number[]> => {
        const used: number[] = [];
        await q.need(4);
        assert.equal(q.rQshift8(), 0, 'a FramebufferUpdate');
        q.rQshift8();
        const count = q.rQshift16();
        for (let i = 0; i < count; i++) {
          await q.need(12);
          const [x, y, w, h] = [q.rQshift16(), q.rQshift16(), q.rQshift16(), q.rQshift16()];
          const encoding = q.rQshift32() | 0;
          used.push(encoding);
          if (encoding === e.pseudoEncodingExtendedDesktopSize) {
            await q.need(4);
            const screens = q.rQshift8();
            q.rQshiftBytes(3);
            await q.need(16 * screens);
            q.rQshiftBytes(16 * screens);
            continue;
          }
          if (encoding < 0) continue; // QEMU key events: no body
          const decoder = decoders[encoding];
          assert.ok(decoder, `an encoding noVNC listed: ${encoding}`);
          while (!decoder.decodeRect(x, y, w, h, q, canvas, 24)) await q.more();
        }
        return used;
      };
      const desktop = env.vncHosts.desktops.get(UBUNTU)!;
      /** Pixels the canvas draws differently from the desktop, everywhere or in the animated band only. */
      const differing = (bandOnly = false) => {
        const view = desktop.attach(width, height);
        const expected = expectedPicture(view.fb.data, width, height, NOVNC_FORMAT);
        const area = bandOnly ? view.band! : { x: 0, y: 0, w: width, h: height };
        desktop.detach(view);
        const drawn = canvas.picture();
        let n = 0;
        for (let y = area.y; y < area.y + area.h; y++) for (let x = area.x; x < area.x + area.w; x++) if (drawn[y * width + x] !== expected[y * width + x]) n++;
        return n;
      };

      const first = await readUpdate();
      assert.ok(first.includes(e.encodingZRLE), `ZRLE chosen: ${first.join(',')}`);
      assert.ok(!first.includes(e.encodingRaw), 'Raw not needed');
      // Only the clock line may have ticked since the update was made.
      assert.ok(differing() < 2000, `${differing()} pixels differ`);

      // The band scrolls one frame: one CopyRect moves it, noVNC's CopyRect decoder draws it.
      const redrawn = new Promise((resolve) => desktop.once('frame', resolve));
      desktop.advanceAnimation(1);
      await redrawn;
      request[1] = 1; // incremental
      ws.send(request);
      const second = await readUpdate();
      assert.equal(second.filter((x) => x === e.encodingCopyRect).length, 1, `one CopyRect: ${second.join(',')}`);
      assert.equal(differing(true), 0, 'the band is exact after the scroll');
      assert.ok(differing() < 2000, `${differing()} pixels differ after the scroll`);
    } finally {
      ws.terminate();
    }
  });
});
