import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLaunchRouter, launchArgs, parseDeepLink, parseRdpFile, rdpFileRequest, type LaunchEvent } from '../../../electron/app/launch-input.ts';

test('nova-console://connect?url= opens a console URL or an address', () => {
  const console = 'http://127.0.0.1:6083/rdp/?token=0b9e7d44-7b4c-4c8b-9a41-b2b5f0e1d3c2';
  assert.deepEqual(parseDeepLink(`nova-console://connect?url=${encodeURIComponent(console)}`), {
    target: { kind: 'url', url: console },
    label: '127.0.0.1:6083',
  });
  assert.deepEqual(parseDeepLink('nova-console://connect?url=rdp%3A%2F%2Fwin01%3A3390'), {
    target: { kind: 'address', protocol: 'rdp', host: 'win01', port: 3390 },
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
    target: { kind: 'address', protocol: 'rdp', host: 'hyperv01.example.org', port: 2179, preConnectionBlob: '6D1E3B5A-7C9F-4A2B-8D4E-0F1A2B3C4D01' },
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

test('launch router: opens and refusals reach the page in order once it is ready; a refusal names the file, never the link', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'launch-router-'));
  try {
    const good = join(dir, 'good.rdp');
    const noAddress = join(dir, 'no-address.rdp');
    writeFileSync(good, 'full address:s:10.0.0.5:3390\r\nusername:s:bob\r\n');
    writeFileSync(noAddress, 'username:s:bob\r\n');
    const sent: LaunchEvent[] = [];
    const logged: string[] = [];
    const router = createLaunchRouter({ emit: (e) => sent.push(e), readFile: (p) => readFile(p), log: (l) => logged.push(l) });
    const secretLink = 'nova-console://delete?url=' + encodeURIComponent('http://h/rdp/?token=0b9e7d44-7b4c-4c8b-9a41-b2b5f0e1d3c2');
    await router.handleArgs(['--no-sandbox', secretLink, good, noAddress, join(dir, 'missing.rdp')]);
    assert.equal(sent.length, 0, 'nothing is sent before the page is ready');
    router.pageReady();
    assert.deepEqual(
      sent.map((e) => e.event),
      ['app.openError', 'app.open', 'app.openError', 'app.openError'],
    );
    const errors = sent.filter((e) => e.event === 'app.openError').map((e) => e.payload as { source: string; message: string });
    assert.deepEqual(errors.map((e) => e.source), ['link', 'file', 'file']);
    assert.equal(errors[0].message, 'The nova-console:// link could not be opened: unknown link action "delete": use nova-console://connect?url=….');
    assert.ok(!errors[0].message.includes('0b9e7d44'), 'the link (and its token) is not repeated');
    assert.equal(errors[1].message, 'no-address.rdp could not be opened: the .rdp file has no "full address" line.');
    assert.equal(errors[2].message, 'missing.rdp could not be opened: the file does not exist.');
    assert.ok(!errors[2].message.includes(dir), 'only the base name, not the folder');
    assert.deepEqual(sent[1].payload, { target: { kind: 'address', protocol: 'rdp', host: '10.0.0.5', port: 3390 }, label: '10.0.0.5:3390', username: 'bob' });
    assert.deepEqual(logged, errors.map((e) => e.message));

    // After the page is ready, events go out at once; a reload sends nothing twice.
    router.handleLink('nova-console://connect?url=win01%3A3390');
    assert.equal(sent.length, 5);
    assert.equal(sent[4].event, 'app.open');
    router.pageReady();
    assert.equal(sent.length, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
