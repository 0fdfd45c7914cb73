import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePreconnectionPdu, PreconnectionBlobError } from '../../../electron/rdp/preconnection.ts';
import { captured } from '../../support/captures.ts';

test('encodes the PDU byte for byte as xfreerdp 2.11 does for /pcb:abcd-1234', () => {
  assert.deepEqual(encodePreconnectionPdu('abcd-1234'), captured('xfreerdp-2.11-pcb-abcd-1234.bin'));
});

test('a GUID blob: sizes follow the string', () => {
  const id = '5f3f8a2e-4b5c-4d1e-9a6b-1c2d3e4f5a6b';
  const pdu = encodePreconnectionPdu(id);
  assert.equal(pdu.readUInt32LE(0), pdu.length);
  assert.equal(pdu.readUInt32LE(8), 2);
  assert.equal(pdu.readUInt16LE(16), id.length + 2);
  assert.equal(pdu.subarray(18).toString('utf16le').replace(/\0+$/, ''), id);
});

test('refuses empty, NUL-carrying and oversized blobs with a typed error', () => {
  for (const bad of ['', 'a\u0000b', 'x'.repeat(5000)]) {
    assert.throws(() => encodePreconnectionPdu(bad), PreconnectionBlobError);
  }
});
