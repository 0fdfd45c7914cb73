import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDemoDesktop, type DemoDesktopServer } from '../../../../electron/demo/demo-desktop/server.ts';
import { loadOrCreateCertificate } from '../../../../electron/demo/demo-desktop/certificate.ts';
import { encodePlanar, decodePlanarForTest } from '../../../../electron/demo/demo-desktop/planar.ts';
import { glyph } from '../../../../electron/demo/demo-desktop/font5x7.ts';
import { bitmapRects, connectInitial, connectMiniClient, connectionRequest, sendData, slowPathUnicode, u16, unicodeInput, type MiniClient } from './mini-client.ts';
import { missingTools, pixelAt, readScreenUntil, resizeClientWindow, screenshot, squash, startXfreerdp, startXvfb, typeText, XDOTOOL, type Xvfb, type XfreerdpClient } from '../../../support/xfreerdp.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'demo-desktop-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('planar encoder', () => {
  it('round-trips flat, striped and noisy tiles exactly', () => {
    const w = 64;
    const h = 48;
    const fills: Array<(x: number, y: number) => number[]> = [
      () => [10, 20, 30],
      (x) => [x * 4, 255 - x * 4, 7],
      (x, y) => [(x * 37 + y * 11) & 255, (x ^ y) & 255, (x * y) & 255],
      () => [...randomBytes(3)],
    ];
    for (const fill of fills) {
      const src = Buffer.alloc(w * h * 4);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const [r, g, b] = fill(x, y);
          src.set([b, g, r, 0xff], (y * w + x) * 4);
        }
      const enc = encodePlanar(src, w * 4, 0, 0, w, h);
      assert.deepEqual(decodePlanarForTest(enc, w, h), src);
    }
  });

  it('makes flat areas small', () => {
    const src = Buffer.alloc(64 * 64 * 4, 0x40);
    assert.ok(encodePlanar(src, 256, 0, 0, 64, 64).length < 64 * 3 * 8);
  });
});

describe('font', () => {
  it('has a distinct glyph for every printable ASCII character', () => {
    const seen = new Set<string>();
    for (let c = 0x21; c < 0x7f; c++) {
      const rows = glyph(String.fromCharCode(c));
      assert.equal(rows.length, 7);
      assert.ok(rows.some((r) => r !== 0), `glyph ${String.fromCharCode(c)} is empty`);
      seen.add(rows.join(','));
    }
    assert.equal(seen.size, 0x7f - 0x21);
  });
});

describe('demo desktop server (protocol)', () => {
  let server: DemoDesktopServer;
  const logs: string[] = [];
  before(async () => {
    server = await startDemoDesktop({ dataDir, vm: { id: 'vm-proto', name: 'PROTO' }, fps: 0, log: (l) => logs.push(l) });
  });
  after(() => server.close());

  it('keeps its certificate in the data folder and reuses it', async () => {
    const again = await loadOrCreateCertificate(dataDir);
    assert.match(again.cert, /BEGIN CERTIFICATE/);
    const first = await loadOrCreateCertificate(dataDir);
    assert.equal(first.cert, again.cert);
  });

  it('creates one certificate for concurrent starts and replaces a mismatched pair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cert-'));
    try {
      const [a, b] = await Promise.all([loadOrCreateCertificate(dir), loadOrCreateCertificate(dir)]);
      assert.equal(a.cert, b.cert);
      const other = mkdtempSync(join(tmpdir(), 'cert-'));
      const c = await loadOrCreateCertificate(other);
      writeFileSync(join(dir, 'key.pem'), c.key); // key of another pair
      const d = await loadOrCreateCertificate(dir);
      assert.notEqual(d.cert, a.cert);
      assert.equal(readFileSync(join(dir, 'key.pem'), 'utf8'), d.key);
      rmSync(other, { recursive: true, force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers RDP_NEG_FAILURE when the client does not offer TLS', async () => {
    const s = netConnect(server.port, '127.0.0.1');
    s.write(connectionRequest(0));
    const reply = await new Promise<Buffer>((res) => s.once('data', res));
    s.destroy();
    assert.equal(reply[11], 0x03, 'negotiation failure type');
    assert.equal(reply.readUInt32LE(15), 1, 'SSL_REQUIRED_BY_SERVER');
  });

  for (const encoding of ['planar', 'raw'] as const) {
    it(`sends a full ${encoding} picture that matches the desktop pixel for pixel, then only changed tiles`, async () => {
      const srv = await startDemoDesktop({ dataDir, vm: { id: 'vm-pix', name: 'PIXELS' }, fps: 0, encoding, log: (l) => logs.push(l) });
      let client: MiniClient | null = null;
      try {
        client = await connectMiniClient(srv.port, { width: 640, height: 480 });
        const covered = new Set<string>();
        const picture = Buffer.alloc(640 * 480 * 4);
        const paint = (f: Buffer): boolean => {
          for (const r of bitmapRects(f)) {
            const pixels = r.flags & 1 ? decodePlanarForTest(r.data, r.w, r.h) : flipRows(r.data, r.w, r.h);
            for (let y = 0; y < r.h; y++) pixels.copy(picture, ((r.y + y) * 640 + r.x) * 4, y * r.w * 4, (y + 1) * r.w * 4);
            covered.add(`${r.x},${r.y}`);
          }
          return covered.size === 10 * 8;
        };
        await client.waitFor(paint);
        const view = srv.desktop.attach(640, 480);
        assert.ok(picture.equals(view.fb.data), 'client picture equals the server framebuffer');
        srv.desktop.detach(view);
        const before = client.frames.length;
        client.socket.write(unicodeInput('Hi'));
        await client.waitFor((f) => client!.frames.indexOf(f) >= before && bitmapRects(f).length > 0);
        assert.equal(srv.desktop.typed, 'Hi');
        const later = client.frames.slice(before).flatMap(bitmapRects);
        assert.ok(later.length > 0 && later.length < 20, `only dirty tiles are re-sent (${later.length})`);
      } finally {
        client?.close();
        await srv.close();
      }
    });
  }
});

describe('demo desktop server (refresh, suppress output, slow-path input)', () => {
  let server: DemoDesktopServer;
  before(async () => {
    server = await startDemoDesktop({ dataDir, vm: { id: 'vm-ctl', name: 'CONTROL' }, fps: 0, log: () => {} });
  });
  after(() => server.close());

  it('lets a client that offers it skip the channel joins, and serves one that joins as before', async () => {
    const skipping = await connectMiniClient(server.port, { width: 640, height: 480 }, undefined, { skipJoins: true });
    const joining = await connectMiniClient(server.port, { width: 640, height: 480 });
    try {
      assert.equal(skipping.serverEarlyFlags & 0x0008, 0x0008, 'the server agrees to skip the joins');
      assert.equal(skipping.joinsSent, 0);
      assert.equal(joining.serverEarlyFlags & 0x0008, 0, 'not offered to a client that did not ask');
      assert.equal(joining.joinsSent, 2);
      // Both sessions went active (the mini client returns after the server's Font Map) and get the desktop.
      for (const c of [skipping, joining]) await c.waitFor((f) => bitmapRects(f).length > 0);
    } finally {
      skipping.close();
      joining.close();
    }
  });

  it('re-sends exactly the tiles of a Refresh Rect, holds output while suppressed and repaints after', async () => {
    const client = await connectMiniClient(server.port, { width: 640, height: 480 });
    try {
      const tiles = new Set<string>();
      await client.waitFor((f) => {
        for (const r of bitmapRects(f)) tiles.add(`${r.x},${r.y}`);
        return tiles.size === 80;
      });
      // Refresh Rect for (0,0)-(127,63) inclusive: the two tiles of the first row.
      let start = client.frames.length;
      client.sendShareData(33, Buffer.concat([Buffer.from([1, 0, 0, 0]), u16(0), u16(0), u16(127), u16(63)]));
      // The clock may tick meanwhile (its tiles are further down): look only at the first tile row.
      const got = new Set<string>();
      await client.waitFor((f) => {
        if (client.frames.indexOf(f) < start) return false;
        for (const r of bitmapRects(f)) got.add(`${r.x},${r.y}`);
        return got.has('0,0') && got.has('64,0');
      });
      assert.deepEqual([...got].filter((k) => k.endsWith(',0')).sort(), ['0,0', '64,0']);

      // Suppress output, then change the desktop through slow-path input: nothing is drawn for this client.
      const session = [...server.sessions][0];
      client.sendShareData(35, Buffer.from([0, 0, 0, 0]));
      for (let i = 0; i < 200 && !session.outputSuppressed; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(session.outputSuppressed);
      const sentBefore = session.stats.tilesSent;
      client.sendShareData(28, slowPathUnicode('ok'));
      await new Promise<void>((res) => server.desktop.once('frame', () => res()));
      assert.equal(server.desktop.typed, 'ok', 'slow-path unicode input is applied');
      assert.equal(session.stats.tilesSent, sentBefore, 'no tiles while output is suppressed');

      // Allow again: the whole screen is repainted.
      start = client.frames.length;
      const again = new Set<string>();
      client.sendShareData(35, Buffer.concat([Buffer.from([1, 0, 0, 0]), u16(0), u16(0), u16(639), u16(479)]));
      await client.waitFor((f) => {
        if (client.frames.indexOf(f) < start) return false;
        for (const r of bitmapRects(f)) again.add(`${r.x},${r.y}`);
        return again.size === 80;
      });
    } finally {
      client.close();
    }
  });
});

function flipRows(data: Buffer, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) data.copy(out, (h - 1 - y) * w * 4, y * w * 4, (y + 1) * w * 4);
  return out;
}

describe('demo desktop server (bad and slow clients)', () => {
  let server: DemoDesktopServer;
  const logs: string[] = [];
  before(async () => {
    server = await startDemoDesktop({ dataDir, vm: { id: 'vm-fuzz', name: 'FUZZ' }, fps: 30, log: (l) => logs.push(l) });
  });
  after(() => server.close());

  const closed = (s: import('node:net').Socket) => new Promise<void>((res) => (s.destroyed ? res() : s.once('close', () => res())));

  it('ends sessions that send random bytes, truncated TLS or malformed PDUs, and serves the next client', async () => {
    for (let i = 0; i < 20; i++) {
      const s = netConnect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(randomBytes(1 + (i * 37) % 300));
      s.end();
      await closed(s);
    }
    // Truncated TLS: a valid X.224 request, then half a ClientHello and a hang-up.
    {
      const s = netConnect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(connectionRequest(1));
      await new Promise((res) => s.once('data', res));
      s.write(Buffer.from('160301020001000200', 'hex'));
      s.end();
      await closed(s);
    }
    // Malformed PDUs inside TLS: a TPKT with garbage MCS, and a fast-path frame before the session is active.
    for (const bad of [Buffer.from('0300000c02f0807f65ffffff', 'hex'), Buffer.from('0005ffffff', 'hex'), Buffer.from('0300000802f08000', 'hex')]) {
      const s = netConnect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(connectionRequest(1));
      await new Promise((res) => s.once('data', res));
      const t = tlsConnect({ socket: s, rejectUnauthorized: false });
      t.on('error', () => {});
      await new Promise((res) => t.once('secureConnect', res));
      t.write(bad);
      await closed(s);
    }
    const client = await connectMiniClient(server.port);
    await client.waitFor((f) => bitmapRects(f).length > 0);
    client.close();
    assert.ok(logs.length >= 24, `each bad session logged (${logs.length} lines)`);
    assert.ok(logs.every((l) => !l.includes('\n') && !/at .*\.ts:\d+/.test(l)), 'one line each, no stack traces');
  });

  it('survives mutated handshake messages and random PDUs in an active session', async () => {
    const valid = connectInitial(800, 600);
    // Deterministic pseudo-random mutations, so a failure can be reproduced.
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 30; i++) {
      const s = netConnect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(connectionRequest(1));
      await new Promise((res) => s.once('data', res));
      const t = tlsConnect({ socket: s, rejectUnauthorized: false });
      t.on('error', () => {});
      await new Promise((res) => t.once('secureConnect', res));
      const mutated = Buffer.from(valid);
      for (let k = 0; k < 1 + rnd(6); k++) mutated[4 + rnd(mutated.length - 4)] = rnd(256);
      t.resume(); // read (and drop) the server's answers, or the socket never reaches its end
      t.write(mutated);
      t.end();
      // The TLS socket owns the connection now: its close is the one to wait for.
      await new Promise<void>((res) => (t.destroyed ? res() : t.once('close', () => res())));
    }
    const victim = await connectMiniClient(server.port);
    for (let i = 0; i < 40 && !victim.socket.destroyed; i++) {
      const junk = Buffer.alloc(1 + rnd(60));
      for (let k = 0; k < junk.length; k++) junk[k] = rnd(256);
      if (i % 3 === 0) victim.socket.write(sendData(1003, junk));
      else if (i % 3 === 1) victim.socket.write(Buffer.concat([Buffer.from([rnd(16) << 2, junk.length + 2]), junk]));
      else victim.socket.write(sendData(1003, Buffer.concat([u16(junk.length + 6), u16(0x17), u16(1004), junk])));
    }
    victim.close();
    const next = await connectMiniClient(server.port);
    await next.waitFor((f) => bitmapRects(f).length > 0);
    next.close();
  });

  it('serves many sessions of different sizes at once; dropping some leaves the rest drawing', async () => {
    const sizes = [
      { width: 640, height: 480 },
      { width: 800, height: 600 },
      { width: 1024, height: 768 },
      { width: 640, height: 480 },
      { width: 1280, height: 720 },
      { width: 800, height: 600 },
      { width: 720, height: 400 },
      { width: 640, height: 480 },
    ];
    const clients = await Promise.all(sizes.map((s) => connectMiniClient(server.port, s)));
    try {
      await Promise.all(clients.map((c) => c.waitFor((f) => bitmapRects(f).length > 0)));
      // Half of them vanish without a goodbye (reset or plain close).
      clients.slice(0, 4).forEach((c, i) => (i % 2 ? c.raw.resetAndDestroy() : c.close()));
      const survivors = clients.slice(4);
      const marks = survivors.map((c) => c.frames.length);
      // The animation keeps running (30 fps): every survivor keeps receiving new tiles.
      await Promise.all(survivors.map((c, i) => c.waitFor((f) => c.frames.indexOf(f) > marks[i] && bitmapRects(f).length > 0)));
      for (let i = 0; i < 100 && server.sessions.size !== survivors.length; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(server.sessions.size, survivors.length);
    } finally {
      clients.forEach((c) => c.close());
    }
  });

  it('holds back output for a client that stops reading: its queue stays bounded while others stream', async () => {
    const busy = await startDemoDesktop({ dataDir, vm: { id: 'vm-busy', name: 'BUSY' }, fps: 30, animation: 'fullscreen', log: () => {} });
    const slow = await connectMiniClient(busy.port, { width: 1024, height: 768 });
    slow.socket.pause();
    slow.raw.pause();
    const other = await connectMiniClient(busy.port, { width: 1024, height: 768 });
    try {
      const slowSession = [...busy.sessions].find((s) => s.size?.width === 1024 && s.stats.bytesOut > 0)!;
      let frames = 0;
      const onFrame = () => frames++;
      busy.desktop.on('frame', onFrame);
      // Every frame repaints the whole screen (about 200 kB planar): 40 frames are far more than the socket buffers.
      const start = other.frames.length;
      await other.waitFor(() => frames >= 40 && other.frames.length > start, 30000);
      busy.desktop.off('frame', onFrame);
      const queued = [...busy.sessions].map((s) => s.pendingBytes);
      assert.ok(Math.max(...queued) < 1024 * 1024, `queued bytes per session: ${queued.join(', ')}`);
      assert.ok(slowSession.stats.bytesOut < frames * 150_000, 'the stalled client was not sent every frame');
    } finally {
      slow.close();
      other.close();
      await busy.close();
    }
  });

  it('keeps serving others while a client stops reading', async () => {
    const slow = await connectMiniClient(server.port, { width: 1024, height: 768 });
    slow.socket.pause();
    slow.raw.pause();
    const other = await connectMiniClient(server.port);
    try {
      const start = other.frames.length;
      // The animation runs at 30 fps: the other client keeps receiving fresh tiles.
      for (let i = 0; i < 5; i++) await other.waitFor((f) => other.frames.indexOf(f) >= start + i * 3 && bitmapRects(f).length > 0);
      assert.equal(server.sessions.size, 2, 'the stalled session is still open, not dropped or blocking');
    } finally {
      slow.close();
      other.close();
    }
  });
});

describe('demo desktop with xfreerdp', { skip: missingTools() ?? false }, () => {
  let xvfb: Xvfb;
  let server: DemoDesktopServer;
  let client: XfreerdpClient | null = null;
  before(async () => {
    xvfb = await startXvfb();
    server = await startDemoDesktop({ dataDir, vm: { id: 'c0ffee42-aaaa', name: 'ALPHA-WEB' }, fps: 5, log: () => {} });
  });
  after(async () => {
    await client?.stop();
    await server?.close();
    await xvfb?.stop();
  });

  it('shows the VM name and the text typed into it', async (t) => {
    client = startXfreerdp(xvfb.display, [`/v:127.0.0.1:${server.port}`, '/cert:ignore', '/size:1024x768', '-grab-keyboard', '/dynamic-resolution']);
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('ALPHAWEB'));
    assert.ok(squash(text).includes('ALPHAWEB'), `OCR read: ${text}\nxfreerdp: ${client.output()}`);
    assert.ok(squash(text).includes('STATUSACTIVE'), `OCR read: ${text}`);
    if (!existsSync(XDOTOOL)) {
      t.diagnostic('xdotool not installed: typing not checked');
      return;
    }
    await typeText(xvfb.display, 'Hello Demo');
    const typed = await readScreenUntil(xvfb.display, (s) => squash(s).includes('HELLODEMO'));
    assert.equal(server.desktop.typed, 'Hello Demo');
    assert.ok(squash(typed).includes('TYPEDHELLODEMO'), `OCR read: ${typed}`);
  });

  it('follows a window resize through the display control channel', { skip: existsSync(XDOTOOL) ? false : 'xdotool not installed' }, async () => {
    await resizeClientWindow(xvfb.display, 800, 600);
    const session = [...server.sessions][0];
    for (let i = 0; i < 100 && session.size?.width !== 800; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(session.size, { width: 800, height: 600 });
    // The desktop's text lines, drawn again at the new size. Not the name: Tesseract reads the name's large block
    // letters on the 800×600 desktop as "HLPHH-WEE" at times, for minutes on end, while the picture is right.
    const shows = (s: string) => squash(s).includes('STATUSACTIVE') && squash(s).includes('TYPEDHELLODEMO');
    const text = await readScreenUntil(xvfb.display, shows);
    assert.ok(shows(text), `OCR read after resize: ${text}`);
    // The desktop now ends at x=800: its background colour left of the edge, nothing drawn right of it.
    const dir = mkdtempSync(join(tmpdir(), 'resize-'));
    try {
      const png = join(dir, 'shot.png');
      await screenshot(xvfb.display, png);
      assert.equal(await pixelAt(png, 790, 400), 0x1d3557);
      assert.notEqual(await pixelAt(png, 900, 400), 0x1d3557);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows a powered-off screen for a SHUTOFF server', async () => {
    server.desktop.setStatus('SHUTOFF');
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('POWEREDOFF') && squash(s).includes('ALPHAWEB'));
    assert.ok(squash(text).includes('POWEREDOFF'), `OCR read: ${text}`);
    assert.ok(squash(text).includes('ALPHAWEB'), `OCR read: ${text}`);
  });
});
