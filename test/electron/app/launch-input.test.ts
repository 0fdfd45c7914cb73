import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchArgs, parseDeepLink, parseRdpFile, rdpFileRequest } from '../../../electron/app/launch-input.ts';

test('nova-console://connect?url= opens a console URL or an address', () => {
  const console = 'http://127.0.0.1:6083/rdp/?token=0b9e7d44-7b4c-4c8b-9a41-b2b5f0e1d3c2';
  assert.deepEqual(parseDeepLink(`nova-console://connect?url=${encodeURIComponent(console)}`), {
    target: { kind: 'url', url: console },
    label: '127.0.0.1:6083',
  });
  assert.deepEqual(parseDeepLink('nova-console://connect?url=rdp%3A%2F%2Fwin01%3A3390'), {
    target: { kind: 'address', host: 'win01', port: 3390 },
    label: 'win01:3390',
  });
  assert.throws(() => parseDeepLink('nova-console://delete?url=x'), /Unknown link action "delete"/);
  assert.throws(() => parseDeepLink('nova-console://connect'), /names no console/);
  assert.throws(() => parseDeepLink('nova-console://connect?url=hello%20world'), /not a console URL or address/);
  assert.throws(() => parseDeepLink('https://evil.example/connect?url=h:1'), /Only nova-console:\/\//);
});

test('.rdp files: full address, username with domain, pcb; UTF-16LE with BOM as mstsc writes them', () => {
  const text = [
    'screen mode id:i:2',
    'full address:s:hyperv01.example.org:2179',
    'username:s:CORP\\alice',
    'pcb:s:6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D01',
    'authentication level:i:2',
    '',
  ].join('\r\n');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const parsed = parseRdpFile(utf16);
  assert.deepEqual(parsed, { host: 'hyperv01.example.org', port: 2179, username: 'alice', domain: 'CORP', pcb: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D01' });
  assert.deepEqual(rdpFileRequest(parsed), {
    target: { kind: 'address', host: 'hyperv01.example.org', port: 2179, preConnectionBlob: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D01' },
    label: 'hyperv01.example.org:2179',
    username: 'alice',
    domain: 'CORP',
  });
  assert.deepEqual(parseRdpFile('full address:s:10.0.0.5\nserver port:i:3390\ndomain:s:LAB\nusername:s:bob\n'), {
    host: '10.0.0.5',
    port: 3390,
    username: 'bob',
    domain: 'LAB',
  });
  assert.deepEqual(parseRdpFile(Buffer.from('full address:s:[fd12::21]:3389\n', 'utf16le')), { host: 'fd12::21', port: 3389 });
  assert.throws(() => parseRdpFile('username:s:x\n'), /no "full address"/);
  assert.throws(() => parseRdpFile('full address:s:h:70000\n'), /out of range/);
});

test('launch arguments: links and .rdp paths, not flags', () => {
  assert.deepEqual(launchArgs(['--inspect', 'nova-console://connect?url=h%3A1', '/home/a/b.RDP', 'other']), {
    links: ['nova-console://connect?url=h%3A1'],
    rdpFiles: ['/home/a/b.RDP'],
  });
});
