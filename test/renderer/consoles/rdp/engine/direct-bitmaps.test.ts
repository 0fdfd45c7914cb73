import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DirectBitmapPath, type DirectPathHost } from '../../../../../renderer/consoles/rdp/engine/direct-bitmaps/direct-bitmap-path.ts';
import type { Region } from '../../../../../renderer/consoles/rdp/engine/frame-shipper.ts';
import { HandshakeEnd } from '../../../../../electron/rdp/handshake-end.ts';
import { bitmapData, bitmapUpdatePdu, frameMarkerPdu, defaultPointerUpdate } from '../../../../../electron/demo/demo-desktop/fast-path-pdus.ts';
import { encodeInterleaved24 } from '../../../../../electron/demo/demo-desktop/interleaved.ts';
import { encodePlanar } from '../../../../../electron/demo/demo-desktop/planar.ts';
import { parseRefreshRect, parseShareMessages } from '../../../../../electron/demo/demo-desktop/rdp-pdus.ts';
import { capture, reference } from '../../../../electron/rdp/xrdp-repair/capture.ts';
import { fontMapPdu } from '../../../../support/font-map-pdu.ts';

// The direct bitmap path (renderer/consoles/rdp/engine/direct-bitmaps/): the RDP worker draws bitmap updates itself
// and passes everything else to IronRDP. Checked against a real server's bytes (xrdp's captured login screen, with
// its reference picture), against the demo desktop's three encodings, and on the rules that keep the picture right:
// order, one owner of the picture, nothing lost.

/** A host that paints regions on an RGBA desktop and records what IronRDP would have been given. */
function harness(width = 1024, height = 768) {
  const screen = new Uint8Array(width * height * 4);
  const delivered: Uint8Array[] = [];
  const sent: Uint8Array[] = [];
  const tasks: Array<() => void> = [];
  const events: string[] = [];
  const host: DirectPathHost = {
    deliver: (b) => {
      delivered.push(b.slice());
      events.push('deliver');
    },
    draw: (regions: Region[]) => {
      for (const r of regions) paint(screen, width, r);
      events.push('draw');
    },
    desktop: () => ({ width, height }),
    send: (b) => sent.push(b.slice()),
    later: (fn) => tasks.push(fn),
  };
  const path = new DirectBitmapPath(host);
  const runTasks = () => {
    while (tasks.length) tasks.shift()!();
  };
  return { path, screen, delivered, sent, events, runTasks, width, height };
}

function paint(screen: Uint8Array, width: number, r: Region): void {
  const px = new Uint8Array(r.pixels);
  assert.equal(px.length, r.w * r.h * 4, 'a region holds w × h RGBA pixels');
  for (let row = 0; row < r.h; row++) screen.set(px.subarray(row * r.w * 4, (row + 1) * r.w * 4), ((r.y + row) * width + r.x) * 4);
}

/** A slow-path PDU on the I/O channel that is not an update (a Set Error Info PDU, type 2 = 47). */
function errorInfoPdu(): Buffer {
  const pdu = fontMapPdu();
  pdu[13 + 1 + 14] = 47;
  return pdu;
}

/** A surface bits command (something only IronRDP draws). */
function surfaceBitsPdu(): Buffer {
  const cmd = Buffer.alloc(22);
  cmd.writeUInt16LE(0x1, 0); // CMDTYPE_SET_SURFACE_BITS
  cmd.writeUInt16LE(10, 6);
  cmd.writeUInt16LE(10, 8);
  cmd[10] = 32;
  cmd[13] = 0; // codec id
  const update = Buffer.concat([Buffer.from([0x4, cmd.length & 0xff, cmd.length >> 8]), cmd]);
  return Buffer.concat([Buffer.from([0, 0x80, update.length + 3]), update]);
}

/** The client's Confirm Active PDU header, as IronRDP sends it: initiator 6 (user channel 1007), I/O channel 1003. */
function confirmActive(shareId: number): Uint8Array {
  const b = Buffer.alloc(40);
  b.set([3, 0, 0, 40, 2, 0xf0, 0x80, 25 << 2, 0, 6, 0x03, 0xeb, 0x70, 25]);
  b.writeUInt16LE(25, 14);
  b.writeUInt16LE(0x13, 16); // Confirm Active
  b.writeUInt16LE(1007, 18);
  b.writeUInt32LE(shareId, 20);
  return b;
}

/** A 32-bit framebuffer (B, G, R, X rows) with a pattern every encoding must reproduce exactly. */
function pattern(width: number, height: number): Buffer {
  const fb = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const flat = x > width / 2 && y > height / 2; // runs for the RLE and planar encoders
      fb[i] = flat ? 40 : (x * 7 + y) & 0xff;
      fb[i + 1] = flat ? 90 : (x ^ y) & 0xff;
      fb[i + 2] = flat ? 200 : (y * 3) & 0xff;
    }
  return fb;
}

function rgbaOf(fb: Buffer): Uint8Array {
  const out = new Uint8Array(fb.length);
  for (let i = 0; i < fb.length; i += 4) out.set([fb[i + 2], fb[i + 1], fb[i], 255], i);
  return out;
}

/** The demo desktop's way of sending a framebuffer: 64-pixel tiles in one encoding, several per PDU. */
function tiles(fb: Buffer, width: number, height: number, encoding: 'rle24' | 'planar' | 'raw'): Buffer[] {
  const pdus: Buffer[] = [];
  let batch: Buffer[] = [];
  for (let y = 0; y < height; y += 64)
    for (let x = 0; x < width; x += 64) {
      const w = Math.min(64, width - x);
      const h = Math.min(64, height - y);
      let rect: Buffer;
      if (encoding === 'rle24') rect = bitmapData({ x, y, w, h, bpp: 24, compressed: true, data: encodeInterleaved24(fb, width * 4, x, y, w, h) });
      else if (encoding === 'planar') rect = bitmapData({ x, y, w, h, compressed: true, data: encodePlanar(fb, width * 4, x, y, w, h) });
      else {
        const data = Buffer.alloc(w * h * 4);
        for (let row = 0; row < h; row++) fb.copy(data, row * w * 4, ((y + h - 1 - row) * width + x) * 4, ((y + h - 1 - row) * width + x + w) * 4);
        rect = bitmapData({ x, y, w, h, compressed: false, data });
      }
      batch.push(rect);
      if (batch.length === (encoding === 'raw' ? 1 : 2)) {
        pdus.push(bitmapUpdatePdu(batch));
        batch = [];
      }
    }
  if (batch.length) pdus.push(bitmapUpdatePdu(batch));
  return pdus;
}

test("xrdp's captured login screen, cut into messages as the gateway sends it, is drawn as its reference", () => {
  const { path, screen, delivered, width, height } = harness(reference.width, reference.height);
  // The gateway ends a message right after the Font Map; TCP reads cut everything else anywhere.
  const end = new HandshakeEnd();
  for (let at = 0; at < capture.length; at += 1400) for (const message of end.push(capture.subarray(at, at + 1400))) path.fromServer(new Uint8Array(message));
  assert.ok(path.stats.updatesDrawn > 10, `bitmap updates drawn directly: ${path.stats.updatesDrawn}`);
  assert.equal(path.stats.updatesPassed, 0);
  assert.equal(path.stats.handedBack, undefined);

  let ok = 0;
  for (let i = 0; i < width * height; i++) if ([0, 1, 2].every((c) => Math.abs(screen[i * 4 + c] - reference.data[i * 4 + c]) <= 8)) ok++;
  assert.ok(ok / (width * height) >= 0.995, `matched ${((ok / (width * height)) * 100).toFixed(2)} % of the reference`);

  // IronRDP got everything else and no bitmap: the bytes it was given, minus the handshake, hold no update PDU.
  const given = Buffer.concat(delivered);
  const updates = given.length - capture.length;
  assert.ok(updates < 0, 'the drawn bitmaps were not given to IronRDP');
  assert.ok(given.subarray(0, 200).equals(capture.subarray(0, 200)), 'the connection sequence reached IronRDP as it came');
});

for (const encoding of ['rle24', 'planar', 'raw'] as const) {
  test(`the demo desktop's ${encoding} tiles are drawn pixel-exact`, () => {
    const { path, screen, width, height } = harness(200, 130);
    const fb = pattern(width, height);
    path.fromServer(fontMapPdu());
    // All tiles in one message, then pieces of odd sizes: PDUs reassemble across messages.
    const stream = Buffer.concat(tiles(fb, width, height, encoding));
    for (let at = 0; at < stream.length; at += 999) path.fromServer(new Uint8Array(stream.subarray(at, at + 999)));
    assert.equal(path.stats.handedBack, undefined);
    assert.ok(path.stats.updatesDrawn > 0);
    assert.deepEqual(screen, rgbaOf(fb));
  });
}

test('frame markers and pointers around bitmaps reach IronRDP in order; the bitmaps do not', () => {
  const { path, delivered, events } = harness(64, 64);
  path.fromServer(fontMapPdu());
  delivered.length = 0;
  events.length = 0;
  const fb = pattern(64, 64);
  const begin = frameMarkerPdu('begin', 7);
  const end = frameMarkerPdu('end', 7);
  const pointer = defaultPointerUpdate();
  // One fast-path PDU holding a pointer update, a bitmap update and the end marker, as a server may pack them.
  const bitmapUpdate = tiles(fb, 64, 64, 'rle24')[0].subarray(3);
  const mixedBody = Buffer.concat([pointer.subarray(3), bitmapUpdate, end.subarray(3)]);
  const mixed = Buffer.concat([Buffer.from([0, 0x80 | ((mixedBody.length + 3) >> 8), (mixedBody.length + 3) & 0xff]), mixedBody]);
  path.fromServer(new Uint8Array(Buffer.concat([begin, mixed])));
  assert.equal(path.stats.updatesDrawn, 1);
  assert.deepEqual(events, ['draw', 'deliver'], 'drawn at once; the rest handed over in one message');
  const given = Buffer.concat(delivered);
  // Begin marker as it came, then the pointer and the end marker, each in a PDU of its own (the bitmap sat between).
  assert.ok(given.equals(Buffer.concat([begin, pointer, end])));
});

test('a bitmap after a slow-path PDU waits until IronRDP has handled it', () => {
  const { path, events, runTasks } = harness(64, 64);
  path.fromServer(fontMapPdu());
  events.length = 0;
  path.fromServer(new Uint8Array(Buffer.concat([errorInfoPdu(), ...tiles(pattern(64, 64), 64, 64, 'raw')])));
  assert.deepEqual(events, ['deliver'], 'the slow-path PDU went to IronRDP; the bitmap waits');
  // Messages arriving meanwhile queue behind it.
  path.fromServer(new Uint8Array(frameMarkerPdu('end', 1)));
  assert.deepEqual(events, ['deliver']);
  runTasks();
  assert.deepEqual(events, ['deliver', 'draw', 'deliver']);
  assert.equal(path.stats.updatesDrawn, 1);
});

test('a fragmented bitmap update is put together and drawn', () => {
  const { path, screen, delivered } = harness(64, 64);
  path.fromServer(fontMapPdu());
  delivered.length = 0;
  const fb = pattern(64, 64);
  const update = tiles(fb, 64, 64, 'raw')[0].subarray(6); // the TS_UPDATE_BITMAP_DATA
  const cut = [0, 5000, 11000, update.length];
  const pdus = cut.slice(0, -1).map((from, i) => {
    const fragmentation = i === 0 ? 2 : i === cut.length - 2 ? 1 : 3; // first, next, last
    const part = update.subarray(from, cut[i + 1]);
    const body = Buffer.concat([Buffer.from([0x1 | (fragmentation << 4), part.length & 0xff, part.length >> 8]), part]);
    return Buffer.concat([Buffer.from([0, 0x80 | ((body.length + 3) >> 8), (body.length + 3) & 0xff]), body]);
  });
  for (const p of pdus) path.fromServer(new Uint8Array(p));
  assert.equal(path.stats.updatesDrawn, 1);
  assert.equal(delivered.length, 0, 'no fragment reached IronRDP');
  assert.deepEqual(screen, rgbaOf(fb));
});

test('when the server also sends what IronRDP draws, drawing goes back to IronRDP and the desktop is asked for again', () => {
  const { path, delivered, sent } = harness(64, 64);
  path.fromClient(confirmActive(0x103ea));
  path.fromServer(fontMapPdu());
  const [bitmaps] = tiles(pattern(64, 64), 64, 64, 'rle24');
  path.fromServer(new Uint8Array(bitmaps));
  assert.equal(path.stats.updatesDrawn, 1);
  delivered.length = 0;

  const surfaceBits = surfaceBitsPdu();
  path.fromServer(new Uint8Array(Buffer.concat([surfaceBits, bitmaps, bitmaps.subarray(0, 100)])));
  assert.match(path.stats.handedBack ?? '', /IronRDP draws/);
  assert.equal(path.stats.updatesDrawn, 1, 'nothing more drawn directly');
  // IronRDP got the surface bits, the next bitmap update as it came, and the start of the one after: nothing held.
  assert.ok(Buffer.concat(delivered).equals(Buffer.concat([surfaceBits, bitmaps, bitmaps.subarray(0, 100)])));
  delivered.length = 0;
  path.fromServer(new Uint8Array(bitmaps.subarray(100)));
  assert.ok(Buffer.concat(delivered).equals(bitmaps.subarray(100)), 'later bytes pass as they come');

  // The Refresh Rect, read by the demo desktop's own parser: the whole desktop, on the session's share.
  assert.equal(sent.length, 1);
  const pdu = Buffer.from(sent[0]);
  assert.equal(pdu.readUInt16BE(2), pdu.length);
  assert.equal(pdu[7] >> 2, 25, 'MCS Send Data Request');
  assert.equal(pdu.readUInt16BE(8), 6, 'initiator');
  assert.equal(pdu.readUInt16BE(10), 1003, 'I/O channel');
  const [message] = parseShareMessages(pdu.subarray(15));
  assert.equal(message.pduType2, 33);
  assert.deepEqual(parseRefreshRect(message.payload), [{ left: 0, top: 0, right: 63, bottom: 63 }]);
  assert.equal(pdu.readUInt32LE(15 + 6), 0x103ea, 'share id');
});

test('before the connection sequence ends, and for a stream it cannot follow, bytes reach IronRDP untouched', () => {
  const { path, delivered } = harness(64, 64);
  const [bitmaps] = tiles(pattern(64, 64), 64, 64, 'raw');
  // No Font Map yet: even a bitmap update passes as it came.
  path.fromServer(new Uint8Array(bitmaps));
  assert.equal(path.stats.updatesDrawn, 0);
  path.fromServer(fontMapPdu());
  // After it, a first byte that is neither TPKT nor fast-path: everything passes from then on.
  const junk = Buffer.from([0x55, 1, 2, 3]);
  path.fromServer(new Uint8Array(Buffer.concat([bitmaps.subarray(0, 10)])));
  path.fromServer(new Uint8Array(Buffer.concat([bitmaps.subarray(10), junk])));
  path.fromServer(new Uint8Array(bitmaps));
  assert.equal(path.stats.updatesDrawn, 1, 'the whole update before the junk was drawn');
  assert.ok(Buffer.concat(delivered).equals(Buffer.concat([bitmaps, fontMapPdu(), junk, bitmaps])));
});

test('a bitmap wider and taller than its destination (as xrdp pads them) is cropped to it', () => {
  for (const encoding of ['rle24', 'raw'] as const) {
    const { path, screen } = harness(64, 64);
    path.fromServer(fontMapPdu());
    // A 68×66 bitmap whose destination is the desktop's 60×60 at (2, 3).
    const fb = pattern(68, 66);
    const data =
      encoding === 'rle24'
        ? encodeInterleaved24(fb, 68 * 4, 0, 0, 68, 66)
        : Buffer.concat(Array.from({ length: 66 }, (_, row) => fb.subarray((65 - row) * 68 * 4, (66 - row) * 68 * 4)));
    const rect = Buffer.alloc(18);
    [2, 3, 61, 62, 68, 66, encoding === 'rle24' ? 24 : 32, encoding === 'rle24' ? 0x0401 : 0, data.length].forEach((v, i) => rect.writeUInt16LE(v, i * 2));
    const body = Buffer.concat([Buffer.from([1, 0, 1, 0]), rect, data]);
    const update = Buffer.concat([Buffer.from([0x1, body.length & 0xff, body.length >> 8]), body]);
    path.fromServer(new Uint8Array(Buffer.concat([Buffer.from([0, 0x80 | ((update.length + 3) >> 8), (update.length + 3) & 0xff]), update])));
    assert.equal(path.stats.updatesDrawn, 1, encoding);
    const want = rgbaOf(fb);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        const inside = x >= 2 && x <= 61 && y >= 3 && y <= 62;
        const got = [...screen.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 4)];
        const expected = inside ? [...want.subarray(((y - 3) * 68 + (x - 2)) * 4, ((y - 3) * 68 + (x - 2)) * 4 + 4)] : [0, 0, 0, 0];
        assert.deepEqual(got, expected, `${encoding} at ${x},${y}`);
      }
  }
});

test('a defect while drawing hands everything to IronRDP; no byte is lost', () => {
  const delivered: Uint8Array[] = [];
  const path = new DirectBitmapPath({
    deliver: (b) => delivered.push(b.slice()),
    draw: () => {
      throw new Error('a defect');
    },
    desktop: () => ({ width: 64, height: 64 }),
    send: () => {},
    later: (fn) => fn(),
  });
  path.fromServer(fontMapPdu());
  const begin = frameMarkerPdu('begin', 1);
  const [bitmaps] = tiles(pattern(64, 64), 64, 64, 'rle24');
  const end = frameMarkerPdu('end', 1);
  path.fromServer(new Uint8Array(Buffer.concat([begin, bitmaps, end.subarray(0, 5)])));
  assert.match(path.stats.handedBack ?? '', /internal error: a defect/);
  path.fromServer(new Uint8Array(end.subarray(5)));
  assert.ok(Buffer.concat(delivered).equals(Buffer.concat([fontMapPdu(), begin, bitmaps, end])));
});

test("the picture is the path's once it has drawn, until it hands drawing back; updates IronRDP ignores keep it", () => {
  const { path } = harness(64, 64);
  path.fromClient(confirmActive(0x103ea));
  // The Font Map split over two messages, as the gateway sends it when a read ended inside it.
  const fontMap = fontMapPdu();
  path.fromServer(new Uint8Array(fontMap.subarray(0, 20)));
  path.fromServer(new Uint8Array(fontMap.subarray(20)));
  assert.equal(path.ownsPicture, false, 'nothing drawn yet');
  const [bitmaps] = tiles(pattern(64, 64), 64, 64, 'raw');
  path.fromServer(new Uint8Array(bitmaps));
  assert.equal(path.stats.updatesDrawn, 1, 'the stream was followed after a split Font Map');
  assert.equal(path.ownsPicture, true, "IronRDP's drawing (its pixel at 0,0 per frame marker) is dropped now");
  // A slow-path Synchronize update (Update PDU, updateType 3): IronRDP 0.7.0 ignores it; no reason to hand back.
  const sync = Buffer.from(fontMapPdu());
  sync[13 + 1 + 14] = 0x02; // pduType2: Update
  sync.writeUInt16LE(3, 13 + 1 + 18); // updateType: Synchronize
  path.fromServer(new Uint8Array(Buffer.concat([sync, frameMarkerPdu('end', 3)])));
  assert.equal(path.ownsPicture, true);
  assert.equal(path.stats.handedBack, undefined);
  path.fromServer(new Uint8Array(surfaceBitsPdu()));
  assert.equal(path.ownsPicture, false, 'handed back: what IronRDP draws shows again');
});
