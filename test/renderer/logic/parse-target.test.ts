import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConsoleInput } from '../../../renderer/logic/parse-target.ts';

test('Nova console URLs become url targets, whatever their token looks like (the main process validates)', () => {
  const url = 'http://127.0.0.1:6083/?token=0b9e7d44-7b4c-4c8b-9a41-b2b5f0e1d3c2&title=web01';
  assert.deepEqual(parseConsoleInput(`  ${url}\n`), { ok: true, target: { kind: 'url', url }, label: '127.0.0.1:6083' });
  const https = parseConsoleInput('https://cloud.example.org/rdp/?path=%3Ftoken%3Dabc');
  assert.equal(https.ok && https.target.kind, 'url');
});

test('rdp:// and host:port become direct addresses, default port 3389', () => {
  assert.deepEqual(parseConsoleInput('rdp://win01.example.org'), {
    ok: true,
    target: { kind: 'address', protocol: 'rdp', host: 'win01.example.org', port: 3389 },
    label: 'win01.example.org:3389',
  });
  assert.deepEqual(parseConsoleInput('rdp://10.0.0.5:3390/'), { ok: true, target: { kind: 'address', protocol: 'rdp', host: '10.0.0.5', port: 3390 }, label: '10.0.0.5:3390' });
  assert.deepEqual(parseConsoleInput('hyperv01:2179'), { ok: true, target: { kind: 'address', protocol: 'rdp', host: 'hyperv01', port: 2179 }, label: 'hyperv01:2179' });
  assert.deepEqual(parseConsoleInput('[fd12::21]:3389'), { ok: true, target: { kind: 'address', protocol: 'rdp', host: 'fd12::21', port: 3389 }, label: '[fd12::21]:3389' });
  assert.deepEqual(parseConsoleInput('rdp://[::1]'), { ok: true, target: { kind: 'address', protocol: 'rdp', host: '::1', port: 3389 }, label: '[::1]:3389' });
});

test('garbage is refused with a sentence that says what would work', () => {
  for (const bad of ['', '   ', 'hello world', 'just-a-host', 'host:', ':3389', 'host:99999', 'ftp://x/y', 'javascript:alert(1)', 'http://', 'a b:33']) {
    const r = parseConsoleInput(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.message, /console URL|rdp:\/\/|out of range/, bad);
  }
  const r = parseConsoleInput('host:99999');
  assert.equal(!r.ok && r.message, 'Port 99999 is out of range: use 1 to 65535.');
});
