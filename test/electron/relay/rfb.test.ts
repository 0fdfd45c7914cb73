// The RFB ProtocolVersion check the relay makes on the first twelve bytes from the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGreeting } from '../../../electron/relay/rfb.ts';
import { closeReason } from '../../../electron/relay/failure.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

test('RFB ProtocolVersions match: 3.3, 3.7, 3.8, RealVNC 5.0, Apple 3.889, with bytes after them', () => {
  for (const v of ['RFB 003.003\n', 'RFB 003.007\n', 'RFB 003.008\n', 'RFB 005.000\n', 'RFB 003.889\n', 'RFB 003.008\n\x01\x01']) {
    assert.equal(checkGreeting(b(v)), 'match', JSON.stringify(v));
  }
});

test('a prefix is partial until it is whole; any wrong byte is a mismatch at once', () => {
  for (let n = 0; n < 12; n++) assert.equal(checkGreeting(b('RFB 003.008\n'.slice(0, n))), 'partial', String(n));
  for (const v of ['H', 'HTTP/1.1 400', 'SSH-2.0-Open', 'RFB 3.8\n', 'RFB 003.008\r', 'rfb 003.008\n', 'RFB 00a', 'RFB 003,008\n', 'RFB 003.008 ']) {
    assert.equal(checkGreeting(b(v)), 'mismatch', JSON.stringify(v));
  }
});

test('close reasons are cut to the 123 bytes a close frame carries, on a character boundary', () => {
  assert.equal(closeReason('short'), 'short');
  const long = `DNS lookup failed for ${'é'.repeat(100)}.example: no such host name`;
  const cut = closeReason(long);
  assert.ok(Buffer.byteLength(cut) <= 123);
  assert.ok(cut.endsWith('…'));
  assert.ok(long.startsWith(cut.slice(0, -1)));
});
