// The demo VNC server against a small RFB client written from the specification (mini-vnc-client.ts): handshakes
// of RFB 3.8, 3.7 and 3.3, pictures that match the demo framebuffer pixel for pixel in ZRLE, Raw and CopyRect and in
// three pixel formats, input, cut text both ways, SetDesktopSize shared between clients, and bad clients.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startVncDesktop, type VncDesktopServer } from '../../../../electron/demo/vnc-desktop/server.ts';
import { ENC, MiniVncClient, NOVNC_FORMAT, RGB565_FORMAT, Reader, expectedPicture, handshake, type PixelFormat } from './mini-vnc-client.ts';

const SERVER_FORMAT: PixelFormat = { bpp: 32, depth: 24, bigEndian: false, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0 };

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** The desktop's current picture at the client's size, as the client should show it. */
function serverPicture(server: VncDesktopServer, width: number, height: number, pf: PixelFormat = SERVER_FORMAT): Uint32Array {
  const view = server.desktop.attach(width, height);
  try {
    return expectedPicture(view.fb.data, width, height, pf);
  } finally {
    server.desktop.detach(view);
  }
}

function differingPixels(a: Uint32Array, b: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('demo VNC server: handshake and pictures', () => {
  let server: VncDesktopServer;
  const logs: string[] = [];
  before(async () => {
    // fps 0: the picture only changes when a test changes it (the clock still ticks each second).
    server = await startVncDesktop({ vm: { id: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01', name: 'ubuntu-24-04-web' }, desktopName: 'QEMU (instance-0000000e)', fps: 0, log: (l) => logs.push(l) });
  });
  after(() => server.close());

  it('speaks RFB 3.8 with security None and names the desktop as QEMU does', async () => {
    const s = await open(server.port);
    const info = await handshake(s, new Reader(s));
    s.destroy();
    assert.equal(info.serverVersion, 'RFB 003.008\n');
    assert.deepEqual(info.securityTypes, [1]);
    assert.equal(info.securityResult, 0);
    assert.deepEqual([info.width, info.height], [1024, 768]);
    assert.equal(info.name, 'QEMU (instance-0000000e)');
    // 32 bpp, depth 24, little-endian true colour, red at bit 16.
    assert.deepEqual([...info.serverFormat.subarray(0, 4)], [32, 24, 0, 1]);
    assert.deepEqual([info.serverFormat[10], info.serverFormat[11], info.serverFormat[12]], [16, 8, 0]);
  });

  it('accepts RFB 3.7 (no SecurityResult for None) and 3.3 (the server names the security type) clients', async () => {
    for (const version of ['RFB 003.007\n', 'RFB 003.003\n']) {
      const s = await open(server.port);
      const info = await handshake(s, new Reader(s), version);
      s.destroy();
      assert.deepEqual(info.securityTypes, [1], version);
      assert.equal(info.securityResult, null, version);
      assert.equal(info.name, 'QEMU (instance-0000000e)', version);
    }
  });

  it('refuses another security type with a reason (3.8) and a client that is not RFB', async () => {
    const s = await open(server.port);
    const r = new Reader(s);
    await r.read(12);
    s.write('RFB 003.008\n');
    assert.deepEqual([...(await r.read(2))], [1, 1]);
    s.write(Buffer.from([2]));
    assert.equal((await r.read(4)).readUInt32BE(), 1, 'SecurityResult failed');
    const reason = (await r.read((await r.read(4)).readUInt32BE())).toString();
    assert.match(reason, /None \(1\) only/);
    const http = await open(server.port);
    http.resume(); // read (and drop) the server's version, or the socket never reaches its end
    http.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((resolve) => http.once('close', resolve));
    assert.ok(logs.some((l) => l.includes('not an RFB 3.x client')), logs.join('\n'));
  });

  for (const [label, pf, encodings] of [
    ['ZRLE, noVNC pixel format', NOVNC_FORMAT, [ENC.zrle, ENC.copyRect, ENC.raw]],
    ['ZRLE, the server pixel format', undefined, [ENC.zrle, ENC.copyRect, ENC.raw]],
    ['ZRLE, RGB565', RGB565_FORMAT, [ENC.zrle, ENC.raw]],
    ['Raw and CopyRect, noVNC pixel format', NOVNC_FORMAT, [ENC.raw, ENC.copyRect, ENC.zrle]],
    ['Raw only', NOVNC_FORMAT, [ENC.raw]],
  ] as Array<[string, PixelFormat | undefined, number[]]>) {
    it(`sends a first picture equal to the desktop's pixels: ${label}`, async () => {
      const client = await MiniVncClient.start(await open(server.port), { pixelFormat: pf, encodings });
      try {
        client.requestUpdate(false);
        await client.waitFor(() => client.updates >= 1, 10_000, 'the first update');
        const expected = serverPicture(server, 1024, 768, pf ?? SERVER_FORMAT);
        // The clock may have ticked between the update and this read: a few of its pixels may differ, nothing else.
        assert.ok(differingPixels(client.picture, expected) < 2000, `${differingPixels(client.picture, expected)} pixels differ`);
        // A first picture has nothing to copy from: every rectangle is in the preferred picture encoding.
        const used = new Set(client.rects.map((r) => r.encoding));
        const picture = encodings[0] === ENC.raw || !encodings.includes(ENC.zrle) ? ENC.raw : ENC.zrle;
        assert.deepEqual([...used].filter((e) => e >= 0), [picture], `encodings used: ${[...used].join(', ')}`);
      } finally {
        client.close();
      }
    });
  }

  it('answers an incremental request only when something changed, with only the changed tiles', async () => {
    const client = await MiniVncClient.start(await open(server.port));
    try {
      client.requestUpdate(false);
      await client.waitFor(() => client.updates >= 1);
      const before = client.rects.length;
      client.requestUpdate(true);
      client.pointer(10, 10);
      await client.waitFor(() => client.updates >= 2, 10_000, 'an update after the pointer moved');
      const changed = client.rects.slice(before);
      assert.ok(changed.length > 0 && changed.length < 40, `${changed.length} rectangles for a one-line change`);
      assert.deepEqual(server.desktop.mouse, { x: 10, y: 10 });
      const expected = serverPicture(server, 1024, 768);
      assert.ok(differingPixels(client.picture, expected) < 2000);
    } finally {
      client.close();
    }
  });
});

describe('demo VNC server: CopyRect for the scrolling band', () => {
  let server: VncDesktopServer;
  before(async () => {
    // A still desktop whose animation the test moves on by hand, so every picture can be compared exactly.
    server = await startVncDesktop({ vm: { id: 'vm-scroll', name: 'SCROLL' }, fps: 0, log: () => {} });
  });
  after(() => server.close());

  /** The band's rectangle in the current picture, and whether the client shows exactly the desktop there. */
  function bandMatches(client: MiniVncClient): boolean {
    const view = server.desktop.attach(1024, 768);
    try {
      const band = view.band!;
      const expected = expectedPicture(view.fb.data, 1024, 768);
      for (let y = band.y; y < band.y + band.h; y++) for (let x = band.x; x < band.x + band.w; x++) if (client.picture[y * 1024 + x] !== expected[y * 1024 + x]) return false;
      return true;
    } finally {
      server.desktop.detach(view);
    }
  }

  for (const listed of [true, false]) {
    it(`${listed ? 'moves the band with one CopyRect per frame' : 'repaints the band for a client without CopyRect'}, the picture staying exact`, async () => {
      const client = await MiniVncClient.start(await open(server.port), { pixelFormat: NOVNC_FORMAT, encodings: listed ? [ENC.zrle, ENC.copyRect, ENC.raw] : [ENC.zrle, ENC.raw] });
      try {
        client.follow();
        await client.waitFor(() => client.updates >= 1);
        for (const frames of [1, 1, 2, 3]) {
          const before = client.rects.length;
          const redrawn = new Promise((resolve) => server.desktop.once('frame', resolve));
          server.desktop.advanceAnimation(frames);
          await redrawn;
          await client.waitFor(() => bandMatches(client), 10_000, `the band after ${frames} frame(s)`);
          const copies = client.rects.slice(before).filter((r) => r.encoding === ENC.copyRect);
          if (!listed) {
            assert.equal(copies.length, 0);
            continue;
          }
          // One copy: the band moved left by 8 pixels a frame; the strip that came in on the right is sent as tiles.
          assert.equal(copies.length, 1, JSON.stringify(client.rects.slice(before)));
          assert.equal(copies[0].w, 256 - 8 * frames);
        }
        const expected = serverPicture(server, 1024, 768, NOVNC_FORMAT);
        assert.ok(differingPixels(client.picture, expected) < 2000, `${differingPixels(client.picture, expected)} pixels differ (the clock may tick)`);
      } finally {
        client.close();
      }
    });
  }
});

describe('demo VNC server: input and cut text', () => {
  let server: VncDesktopServer;
  before(async () => {
    server = await startVncDesktop({ vm: { id: 'vm-input', name: 'INPUT' }, fps: 0, log: () => {} });
  });
  after(() => server.close());

  it('types keysyms (Latin-1), Backspace and Return, and counts Ctrl+Alt+Del', async () => {
    const client = await MiniVncClient.start(await open(server.port));
    try {
      client.typeKeysyms('Héllo!');
      client.key(0xff08, true); // BackSpace
      client.key(0xff08, false);
      client.key(0xff0d, true); // Return: a space on the typed line
      client.typeKeysyms('x');
      for (const k of [0xffe3, 0xffe9, 0xffff]) client.key(k, true);
      for (const k of [0xffff, 0xffe9, 0xffe3]) client.key(k, false);
      client.pointer(1, 2);
      await waitUntil(() => server.desktop.mouse?.x === 1);
      assert.equal(server.desktop.typed, 'Héllo x');
      assert.equal(server.desktop.secureAttentions, 1);
    } finally {
      client.close();
    }
  });

  it("takes QEMU extended key events by scancode (the guest's US layout), after acknowledging them", async () => {
    server.desktop.typed = '';
    const client = await MiniVncClient.start(await open(server.port));
    try {
      client.requestUpdate(false);
      await client.waitFor(() => client.rects.some((r) => r.encoding === ENC.qemuKey), 10_000, 'the QEMU key event acknowledgement');
      // Shift + the key labelled H (scancode 0x23) with a misleading keysym: the scancode wins, as in a QEMU guest.
      client.qemuKey(0x2a, 0xffe1, true);
      client.qemuKey(0x23, 0x78, true);
      client.qemuKey(0x23, 0x78, false);
      client.qemuKey(0x2a, 0xffe1, false);
      client.qemuKey(0x17, 0, true); // i
      client.qemuKey(0x17, 0, false);
      // Right Ctrl (0x9d), Alt, Delete (0xd3, extended): Ctrl+Alt+Del.
      const before = server.desktop.secureAttentions;
      for (const k of [0x9d, 0x38, 0xd3]) client.qemuKey(k, 0, true);
      for (const k of [0xd3, 0x38, 0x9d]) client.qemuKey(k, 0, false);
      client.pointer(3, 4);
      await waitUntil(() => server.desktop.mouse?.x === 3);
      assert.equal(server.desktop.typed, 'Hi');
      assert.equal(server.desktop.secureAttentions, before + 1);
    } finally {
      client.close();
    }
  });

  it('shows ClientCutText (Latin-1) on the desktop and sends Ctrl+C in the VM to every client as ServerCutText', async () => {
    server.desktop.typed = '';
    const a = await MiniVncClient.start(await open(server.port));
    const b = await MiniVncClient.start(await open(server.port));
    try {
      a.cutText('café au lait');
      await waitUntil(() => server.desktop.pasted === 'café au lait');
      b.typeKeysyms('copy me');
      b.key(0xffe3, true);
      b.key(0x63, true);
      b.key(0x63, false);
      b.key(0xffe3, false);
      await a.waitFor(() => a.cutTexts.includes('copy me'), 10_000, 'ServerCutText at client a');
      await b.waitFor(() => b.cutTexts.includes('copy me'), 10_000, 'ServerCutText at client b');
      // Text outside Latin-1 cannot travel in ServerCutText: it arrives as '?'.
      server.desktop.setClipboard('ok ✓');
      await a.waitFor(() => a.cutTexts.includes('ok ?'), 10_000, 'the replaced character');
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('demo VNC server: SetDesktopSize', () => {
  let server: VncDesktopServer;
  before(async () => {
    server = await startVncDesktop({ vm: { id: 'vm-size', name: 'RESIZE' }, fps: 0, log: () => {} });
  });
  after(() => server.close());

  it("resizes the VM's one screen for every client that can follow, each told why", async () => {
    const asker = await MiniVncClient.start(await open(server.port), { encodings: [ENC.zrle, ENC.raw, ENC.extendedDesktopSize, ENC.desktopSize] });
    const other = await MiniVncClient.start(await open(server.port), { encodings: [ENC.zrle, ENC.raw, ENC.extendedDesktopSize] });
    const old = await MiniVncClient.start(await open(server.port), { encodings: [ENC.raw, ENC.desktopSize] });
    const fixed = await MiniVncClient.start(await open(server.port), { encodings: [ENC.raw] });
    const all = [asker, other, old, fixed];
    try {
      for (const c of all) c.follow();
      // Announced once: an ExtendedDesktopSize from the server (reason 0) tells a client that resizing works.
      await asker.waitFor(() => asker.rects.some((r) => r.encoding === ENC.extendedDesktopSize && r.x === 0), 10_000, 'the announcement');
      asker.setDesktopSize(800, 600);
      await asker.waitFor(() => asker.rects.some((r) => r.encoding === ENC.extendedDesktopSize && r.x === 1 && r.y === 0 && r.w === 800), 10_000, 'the answer');
      await other.waitFor(() => other.rects.some((r) => r.encoding === ENC.extendedDesktopSize && r.x === 2 && r.w === 800), 10_000, 'reason: another client');
      await old.waitFor(() => old.rects.some((r) => r.encoding === ENC.desktopSize && r.w === 800 && r.h === 600), 10_000, 'DesktopSize');
      for (const c of [asker, other, old]) {
        await c.waitFor(() => c.width === 800 && differingPixels(c.picture, serverPicture(server, 800, 600, SERVER_FORMAT)) < 2000, 10_000, 'the new picture');
      }
      assert.equal(fixed.width, 1024, 'a client without size pseudo-encodings keeps its size');
      assert.equal(server.screen.width, 800);

      // Refusals go to the asker only, with the size unchanged.
      asker.setDesktopSize(9000, 9000);
      await asker.waitFor(() => asker.rects.some((r) => r.encoding === ENC.extendedDesktopSize && r.x === 1 && r.y === 2), 10_000, 'out of resources');
      asker.setDesktopSize(640, 480, [{ id: 0, x: 600, y: 0, w: 200, h: 480 }]);
      await asker.waitFor(() => asker.rects.some((r) => r.encoding === ENC.extendedDesktopSize && r.x === 1 && r.y === 3), 10_000, 'invalid layout');
      assert.equal(asker.width, 800);
      assert.equal(server.screen.width, 800);
    } finally {
      for (const c of all) c.close();
    }
  });
});

describe('demo VNC server: bad clients', () => {
  let server: VncDesktopServer;
  const logs: string[] = [];
  before(async () => {
    server = await startVncDesktop({ vm: { id: 'vm-fuzz', name: 'FUZZ' }, fps: 20, log: (l) => logs.push(l) });
  });
  after(() => server.close());

  it('ends sessions that send garbage, unknown messages or oversized cut text; others keep streaming', async () => {
    const witness = await MiniVncClient.start(await open(server.port));
    witness.follow();
    try {
      for (let i = 0; i < 10; i++) {
        const s = await open(server.port);
        s.on('error', () => {});
        s.resume();
        s.write(randomBytes(1 + ((i * 37) % 200)));
        s.end(); // a short write would otherwise wait out the handshake timeout
        await new Promise((resolve) => s.once('close', resolve));
      }
      for (const message of [Buffer.from([99, 0, 0, 0]), Buffer.from([6, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]), Buffer.from([255, 7])]) {
        const s = await open(server.port);
        s.on('error', () => {});
        await handshake(s, new Reader(s));
        s.write(message);
        await new Promise((resolve) => s.once('close', resolve));
      }
      const marks = witness.updates;
      await witness.waitFor(() => witness.updates > marks + 2, 10_000, 'the witness still receiving frames');
      for (const why of ['unknown client message type 99', 'client cut text of 2147483647 bytes refused', 'QEMU client message subtype 7']) {
        assert.ok(logs.some((l) => l.includes(why)), `logged: ${why}\n${logs.join('\n')}`);
      }
      assert.ok(logs.every((l) => !l.includes('\n')), 'one line each');
      await waitUntil(() => server.sessions.size === 1);
    } finally {
      witness.close();
    }
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
