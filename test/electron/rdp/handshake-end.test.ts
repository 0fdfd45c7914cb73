// The gateway cuts the server's stream right after the connection sequence's Font Map, so IronRDP's web client
// (which drops whatever arrives in one message with it) gets the first screen in a message of its own. The PDUs are
// built here by hand from MS-RDPBCGR, not by the demo server's encoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandshakeEnd } from '../../../electron/rdp/handshake-end.ts';

/** A slow-path Share Data PDU (TPKT, X.224 data, MCS Send Data Indication) of the given pduType2. */
function shareData(pduType2: number, payload: Buffer, opts: { longMcsLength?: boolean } = {}): Buffer {
  const share = Buffer.alloc(18 + payload.length);
  share.writeUInt16LE(share.length, 0); // totalLength
  share.writeUInt16LE(0x17, 2); // TS_PROTOCOL_VERSION | PDUTYPE_DATAPDU
  share.writeUInt16LE(0x03ea, 4); // pduSource
  share.writeUInt32LE(0x000103ea, 6); // shareId
  share[11] = 1; // streamId
  share.writeUInt16LE(payload.length + 4, 12); // uncompressedLength
  share[14] = pduType2;
  payload.copy(share, 18);
  const long = opts.longMcsLength || share.length >= 0x80;
  const mcsLength = long ? Buffer.from([0x80 | (share.length >> 8), share.length & 0xff]) : Buffer.from([share.length]);
  const mcs = Buffer.concat([Buffer.from([0x68, 0x00, 0x06, 0x03, 0xeb, 0x70]), mcsLength]);
  const body = Buffer.concat([Buffer.from([0x02, 0xf0, 0x80]), mcs, share]);
  const tpkt = Buffer.from([0x03, 0x00, 0, 0]);
  tpkt.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([tpkt, body]);
}

const synchronize = shareData(0x1f, Buffer.from([1, 0, 0xea, 0x03]));
const control = shareData(0x14, Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]));
const fontMap = shareData(0x28, Buffer.from([0, 0, 0, 0, 3, 0, 4, 0]));
/** A fast-path update PDU with a two-byte length (as a bitmap update would be). */
function fastPath(size: number): Buffer {
  const b = Buffer.alloc(size, 0xab);
  b[0] = 0x00;
  b[1] = 0x80 | (size >> 8);
  b[2] = size & 0xff;
  return b;
}
const firstScreen = fastPath(700);

const handshake = Buffer.concat([synchronize, control, fontMap]);
const stream = Buffer.concat([handshake, firstScreen, fastPath(300)]);

test('a chunk holding the Font Map and the first screen leaves as two messages, cut right after the Font Map', () => {
  const guard = new HandshakeEnd();
  const parts = guard.push(stream);
  assert.equal(parts.length, 2);
  assert.deepEqual(parts[0], handshake);
  assert.deepEqual(parts[1], stream.subarray(handshake.length));
  assert.ok(guard.passed);
  // From then on every chunk passes as it is, whatever it holds (even another Font Map).
  assert.deepEqual(guard.push(fontMap), [fontMap]);
});

test('however the stream is cut into chunks, no byte changes and no message spans the end of the Font Map', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 500; round++) {
    const guard = new HandshakeEnd();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * (round % 2 ? 40 : 900));
      out.push(...guard.push(stream.subarray(at, at + size)));
      at += size;
    }
    assert.deepEqual(Buffer.concat(out), stream, `round ${round}: the bytes are the server's`);
    let end = 0;
    const boundaries = new Set(out.map((b) => (end += b.length)));
    assert.ok(boundaries.has(handshake.length), `round ${round}: a message ends with the Font Map`);
  }
});

test('an MCS length in two bytes is read as such', () => {
  const big = shareData(0x28, Buffer.alloc(8), { longMcsLength: true });
  const parts = new HandshakeEnd().push(Buffer.concat([big, firstScreen]));
  assert.deepEqual(parts, [big, firstScreen]);
});

test('PDUs other than the Font Map are not cut apart', () => {
  const guard = new HandshakeEnd();
  const chunk = Buffer.concat([synchronize, control]);
  assert.deepEqual(guard.push(chunk), [chunk]);
  assert.equal(guard.passed, false);
});

test('a stream that is not RDP as expected passes untouched, and the guard stands aside for good', () => {
  const guard = new HandshakeEnd();
  const odd = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5]);
  assert.deepEqual(guard.push(odd), [odd]);
  assert.ok(guard.passed);
  assert.deepEqual(guard.push(stream), [stream]);
});
