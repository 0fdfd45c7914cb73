import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfirm, parseConfirm, requestedProtocols, withRequestedProtocols, X224Error } from '../../../electron/rdp/x224.ts';
import { decodeRdCleanPath } from '../../../electron/rdp/rdcleanpath.ts';
import { captured } from '../../support/captures.ts';

test("reads IronRDP's requested protocols past its cookie, and rewrites them in place", () => {
  const x224 = decodeRdCleanPath(captured('ironrdp-0.7.0-rdcleanpath-request.der')).x224ConnectionPdu!;
  assert.equal(requestedProtocols(x224), 0x0b);
  const rewritten = withRequestedProtocols(x224, 3);
  assert.equal(requestedProtocols(rewritten), 3);
  assert.equal(rewritten.length, x224.length);
  assert.deepEqual(rewritten.subarray(0, -4), x224.subarray(0, -4), 'only the protocol field changes');
});

test('a request without cookie, and one without negotiation (standard RDP security)', () => {
  const bare = Buffer.from([0x03, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 0x01, 0, 8, 0, 0x01, 0, 0, 0]);
  assert.equal(requestedProtocols(bare), 1);
  const legacy = Buffer.from([0x03, 0, 0, 11, 6, 0xe0, 0, 0, 0, 0, 0]);
  assert.equal(requestedProtocols(legacy), 0);
  assert.throws(() => withRequestedProtocols(legacy, 3), X224Error);
});

test('confirms: what we synthesize parses back; failures and legacy answers are told apart', () => {
  assert.deepEqual(parseConfirm(buildConfirm({ protocol: 2 })), { kind: 'selected', protocol: 2, flags: 0 });
  assert.deepEqual(parseConfirm(buildConfirm({ failureCode: 5 })), { kind: 'failure', failureCode: 5 });
  assert.deepEqual(parseConfirm(Buffer.from([0x03, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0])), { kind: 'legacy' });
  // The confirm captured in the response example (selects SSL, flags 0x01).
  const captured = Buffer.from('030000130ed000001234000201080001000000', 'hex');
  assert.deepEqual(parseConfirm(captured), { kind: 'selected', protocol: 1, flags: 1 });
});

test('malformed PDUs raise X224Error only', () => {
  const bad = [
    Buffer.from([0x03, 0, 0, 19]),
    Buffer.from([0x04, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0]),
    Buffer.from([0x03, 0, 0, 11, 200, 0xd0, 0, 0, 0, 0, 0]),
    Buffer.from([0x03, 0, 0, 11, 6, 0xe0, 0, 0, 0, 0, 0]), // a request where a confirm is expected
    Buffer.from([0x03, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 0x07, 0, 8, 0, 1, 0, 0, 0]),
  ];
  for (const b of bad) assert.throws(() => parseConfirm(b), X224Error);
});
