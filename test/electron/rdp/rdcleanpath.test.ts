import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRdCleanPath,
  derMessageLength,
  encodeRdCleanPath,
  RdCleanPathFormatError,
  RdCleanPathFramer,
  RDCLEANPATH_VERSION,
} from '../../../electron/rdp/rdcleanpath.ts';
import { captured } from '../../support/captures.ts';
import { prng } from '../../support/prng.ts';

test('decodes the request IronRDP 0.7.0 sends', () => {
  const pdu = decodeRdCleanPath(captured('ironrdp-0.7.0-rdcleanpath-request.der'));
  assert.equal(pdu.version, RDCLEANPATH_VERSION);
  assert.equal(pdu.destination, '127.0.0.1:3390');
  assert.equal(pdu.proxyAuth, 'dummy-token');
  assert.equal(pdu.preconnectionBlob, undefined);
  assert.ok(pdu.x224ConnectionPdu);
  assert.equal(pdu.x224ConnectionPdu[0], 0x03); // TPKT
  assert.ok(pdu.x224ConnectionPdu.includes(Buffer.from('Cookie: mstshash=x\r\n')));
  assert.equal(pdu.x224ConnectionPdu.readUInt32LE(pdu.x224ConnectionPdu.length - 4), 0x0b);
});

test('round-trips the response example byte for byte', () => {
  const der = captured('rdcleanpath-response-example.der');
  const pdu = decodeRdCleanPath(der);
  assert.equal(pdu.serverAddr, '127.0.0.1:41389');
  assert.equal(pdu.serverCertChain?.length, 1);
  assert.equal(pdu.serverCertChain?.[0][0], 0x30);
  assert.deepEqual(encodeRdCleanPath(pdu), der);
});

test('round-trips an error PDU with every error field', () => {
  const pdu = { version: RDCLEANPATH_VERSION, error: { errorCode: 2, httpStatus: 403, wsaLastError: 10061, tlsAlert: 42 }, x224ConnectionPdu: Buffer.from([3, 0, 0, 4]) };
  assert.deepEqual(decodeRdCleanPath(encodeRdCleanPath(pdu)), pdu);
});

test('frames a request split over many messages and keeps the bytes after it', () => {
  const der = captured('ironrdp-0.7.0-rdcleanpath-request.der');
  const framer = new RdCleanPathFramer();
  for (let i = 0; i < der.length - 1; i++) assert.equal(framer.push(der.subarray(i, i + 1)), undefined);
  const out = framer.push(Buffer.concat([der.subarray(der.length - 1), Buffer.from([1, 2, 3])]));
  assert.ok(out);
  assert.deepEqual(out.pdu, der);
  assert.deepEqual(out.rest, Buffer.from([1, 2, 3]));
});

test('a huge announced length is refused before anything is buffered', () => {
  assert.throws(() => derMessageLength(Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff])), RdCleanPathFormatError);
  assert.throws(() => derMessageLength(Buffer.from([0x30, 0x80])), RdCleanPathFormatError);
  assert.throws(() => derMessageLength(Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1])), RdCleanPathFormatError);
  assert.throws(() => new RdCleanPathFramer().push(Buffer.from([0x04, 0x01])), RdCleanPathFormatError);
});

function mustBeTyped(fn: () => unknown, label: string) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RdCleanPathFormatError, `${label}: threw ${String(err)}`);
  }
}

test('random bytes, truncations and bit flips only ever raise RdCleanPathFormatError', () => {
  const rnd = prng(0x5eed);
  const seeds = [captured('ironrdp-0.7.0-rdcleanpath-request.der'), captured('rdcleanpath-response-example.der')];
  for (const seed of seeds) {
    for (let cut = 0; cut < seed.length; cut++) {
      mustBeTyped(() => decodeRdCleanPath(seed.subarray(0, cut)), `truncated at ${cut}`);
    }
  }
  for (let i = 0; i < 3000; i++) {
    const base = Buffer.from(seeds[i % 2]);
    const flips = 1 + Math.floor(rnd() * 4);
    for (let f = 0; f < flips; f++) base[Math.floor(rnd() * base.length)] = Math.floor(rnd() * 256);
    mustBeTyped(() => decodeRdCleanPath(base), `mutation ${i}`);
    const framer = new RdCleanPathFramer();
    mustBeTyped(() => framer.push(base), `framing mutation ${i}`);
  }
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rnd() * 64);
    const junk = Buffer.alloc(len);
    for (let j = 0; j < len; j++) junk[j] = Math.floor(rnd() * 256);
    if (len > 0 && rnd() < 0.5) junk[0] = 0x30;
    if (len > 1 && rnd() < 0.5) junk[1] = len - 2;
    mustBeTyped(() => decodeRdCleanPath(junk), `junk ${i}`);
  }
});
