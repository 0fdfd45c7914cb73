import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDemoConsoleHost, type DemoConsoleHost } from '../../../../electron/demo/console-host/index.ts';
import { md4 } from '../../../../electron/demo/console-host/md4.ts';
import { rc4 } from '../../../../electron/demo/console-host/rc4.ts';
import { parsePcb } from '../../../../electron/demo/console-host/pcb.ts';
import { parseBackendOption } from '../../../../electron/demo/console-host/options.ts';
import { bitmapRects, connectMiniClient, connectionRequest, preconnectionPdu, unicodeInput } from '../demo-desktop/mini-client.ts';
import { missingTools, readScreenUntil, squash, startXfreerdp, startXvfb, type Xvfb, type XfreerdpClient } from '../../../support/xfreerdp.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'console-host-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const VM = { id: '5f1e7c1a-0d2b-4c55-9a77-3e1f0a9b2c11', name: 'BRAVO-DB', status: 'ACTIVE' };
const OFF = { id: '9a0b1c2d-3e4f-4a5b-8c7d-6e5f4a3b2c1d', name: 'CHARLIE', status: 'SHUTOFF' };
const credentials = { username: 'console', password: 'Demo-Pass1' };

describe('NTLM primitives', () => {
  it('MD4 and RC4 match their published test vectors', () => {
    assert.equal(md4(Buffer.from('')).toString('hex'), '31d6cfe0d16ae931b73c59d7e0c089c0');
    assert.equal(md4(Buffer.from('abc')).toString('hex'), 'a448017aaf21d8525fc10ae87aa6729d');
    assert.equal(md4(Buffer.from('message digest')).toString('hex'), 'd9130a8164549fe818874806e1c7014b');
    assert.equal(rc4(Buffer.from('Key'), Buffer.from('Plaintext')).toString('hex'), 'bbf316e8d940af0ad3');
    assert.equal(rc4(Buffer.from('Secret'), Buffer.from('Attack at dawn')).toString('hex'), '45a01f645fc35b383552544b9bf5');
  });
});

describe('pre-connection PDU', () => {
  it('reads the PDU xfreerdp 2.11 sends (count includes two NULs)', () => {
    // Captured from `xfreerdp /pcb:abcd-1234`.
    const captured = Buffer.from('280000000000000002000000000000000b00610062006300640' + '02d00310032003300340000000000', 'hex');
    assert.deepEqual(parsePcb(captured), { version: 2, id: 0, blob: 'abcd-1234' });
    assert.deepEqual(preconnectionPdu('abcd-1234'), captured);
  });
});

describe('--backend option', () => {
  it('parses VMID=host:port with optional certificate files, and explains bad values', () => {
    assert.deepEqual(parseBackendOption('vm-1=127.0.0.1:3390'), { vmId: 'vm-1', backend: { host: '127.0.0.1', port: 3390 } });
    assert.deepEqual(parseBackendOption('vm-2=[::1]:3391').backend, { host: '::1', port: 3391 });
    for (const bad of ['nohost', 'vm=host', 'vm=host:0', 'vm=host:1,cert=/x', 'vm=host:1,foo=bar', 'vm=host:1,cert=/nonexistent,key=/nonexistent']) {
      assert.throws(() => parseBackendOption(bad), { name: 'ConsoleHostOptionError' }, bad);
    }
  });
});

function closed(s: Socket): Promise<void> {
  return new Promise((res) => (s.destroyed ? res() : s.once('close', () => res())));
}

describe('console host (protocol)', () => {
  let host: DemoConsoleHost;
  let strict: DemoConsoleHost;
  const logs: string[] = [];
  before(async () => {
    host = await startDemoConsoleHost({ servers: [VM, OFF], dataDir, port: 0, fps: 20, credentials, log: (l) => logs.push(l) });
    strict = await startDemoConsoleHost({ servers: [VM], dataDir, port: 0, fps: 0, credentials, requireNla: true, log: (l) => logs.push(l) });
  });
  after(async () => {
    await host.close();
    await strict.close();
  });

  it('serves a TLS client that sends MCS straight after TLS, routed by VM id', async () => {
    const client = await connectMiniClient(host.port, { width: 800, height: 600 }, VM.id);
    try {
      await client.waitFor((f) => bitmapRects(f).length > 0);
      assert.equal(host.desktops.get(VM.id)!.name, 'BRAVO-DB');
    } finally {
      client.close();
    }
  });

  it('shares one desktop between sessions of the same VM', async () => {
    const a = await connectMiniClient(host.port, undefined, VM.id);
    const b = await connectMiniClient(host.port, { width: 1024, height: 768 }, VM.id);
    try {
      await b.waitFor((f) => bitmapRects(f).length > 0);
      const desktop = host.desktops.get(VM.id)!;
      a.socket.write(unicodeInput('xyz'));
      for (let i = 0; i < 200 && !desktop.typed.endsWith('xyz'); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(desktop.typed.endsWith('xyz'), 'input from one session changes the shared desktop');
      const start = b.frames.length;
      await b.waitFor((f) => b.frames.indexOf(f) >= start && bitmapRects(f).length > 0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('closes connections for unknown or missing VM ids', async () => {
    for (const pdu of [preconnectionPdu('no-such-vm'), preconnectionPdu(''), Buffer.from('1000000000000000010000002a000000', 'hex')]) {
      const s = netConnect(host.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(pdu);
      await closed(s);
    }
    assert.ok(logs.some((l) => l.includes('unknown VM id "no-such-vm"')), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes('no VM id')), logs.join('\n'));
  });

  it('refuses TLS-only clients when CredSSP is required', async () => {
    const s = netConnect(strict.port, '127.0.0.1');
    s.on('error', () => {});
    s.write(preconnectionPdu(VM.id));
    const t = tlsConnect({ socket: s, rejectUnauthorized: false });
    t.on('error', () => {});
    await new Promise((res) => t.once('secureConnect', res));
    t.write(connectionRequest(1));
    const reply = await new Promise<Buffer>((res) => t.once('data', res));
    assert.equal(reply[11], 0x03, 'negotiation failure');
    assert.equal(reply.readUInt32LE(15), 5, 'HYBRID_REQUIRED_BY_SERVER');
    await closed(s);
  });

  it('survives random bytes, truncated TLS and malformed CredSSP, and serves the next client', async () => {
    const before = logs.length;
    for (let i = 0; i < 10; i++) {
      const s = netConnect(host.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(randomBytes(1 + ((i * 53) % 200)));
      s.end();
      await closed(s);
    }
    {
      const s = netConnect(host.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(Buffer.concat([preconnectionPdu(VM.id), Buffer.from('16030100c8010000c403', 'hex')]));
      s.end();
      await closed(s);
    }
    for (const bad of [Buffer.from('3082ffff', 'hex'), Buffer.from('300ba003020106a104300230', 'hex'), Buffer.from('03000005ff', 'hex')]) {
      const s = netConnect(host.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(preconnectionPdu(VM.id));
      const t = tlsConnect({ socket: s, rejectUnauthorized: false });
      t.on('error', () => {});
      await new Promise((res) => t.once('secureConnect', res));
      t.write(bad);
      t.end();
      await closed(s);
    }
    assert.ok(logs.length - before >= 14, `one log line per bad connection:\n${logs.slice(before).join('\n')}`);
    const client = await connectMiniClient(host.port, undefined, VM.id);
    await client.waitFor((f) => bitmapRects(f).length > 0);
    client.close();
  });
});

describe('console host with xfreerdp /vmconnect', { skip: missingTools() ?? false }, () => {
  let xvfb: Xvfb;
  let host: DemoConsoleHost;
  let client: XfreerdpClient | null = null;
  const logs: string[] = [];
  before(async () => {
    xvfb = await startXvfb();
    host = await startDemoConsoleHost({ servers: [VM, OFF], dataDir, port: 0, fps: 2, credentials, log: (l) => logs.push(l) });
  });
  after(async () => {
    await client?.stop();
    await host?.close();
    await xvfb?.stop();
  });

  const vmconnect = (id: string, extra: string[]) =>
    startXfreerdp(xvfb.display, [`/vmconnect:${id}`, '/v:127.0.0.1', `/port:${host.port}`, '/cert:ignore', '/size:1024x768', ...extra]);

  it('shows the VM over TLS without CredSSP', async () => {
    client = vmconnect(VM.id, ['/sec:tls']);
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('BRAVODB'));
    assert.ok(squash(text).includes('BRAVODB'), `OCR read: ${text}\n${client.output()}`);
    await client.stop();
    client = null;
  });

  it('shows the VM with NLA and the console credentials', async () => {
    client = vmconnect(OFF.id, ['/sec:nla', `/u:${credentials.username}`, `/p:${credentials.password}`]);
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('POWEREDOFF') && squash(s).includes('CHARLIE'));
    assert.ok(squash(text).includes('CHARLIE') && squash(text).includes('POWEREDOFF'), `OCR read: ${text}\n${client.output()}`);
    await client.stop();
    client = null;
  });

  it('rejects a wrong password', async () => {
    client = vmconnect(VM.id, ['/sec:nla', `/u:${credentials.username}`, '/p:not-the-password']);
    const code = await client.exited;
    assert.notEqual(code, 0);
    assert.match(client.output(), /LOGON_FAILURE/);
    assert.ok(logs.some((l) => l.includes('logon failed')), logs.join('\n'));
    assert.ok(!logs.some((l) => l.includes('not-the-password')), 'password never logged');
    client = null;
  });
});
