import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDemoDesktop, type DemoDesktopServer } from '../../../../electron/demo/demo-desktop/server.ts';
import { ClipboardChannel } from '../../../../electron/demo/demo-desktop/cliprdr.ts';
import { watchCalls } from '../../../support/watch-calls.ts';
import { missingTools, readScreenUntil, squash, startXfreerdp, startXvfb, XDOTOOL, type Xvfb, type XfreerdpClient } from '../../../support/xfreerdp.ts';

const run = promisify(execFile);
const XCLIP = '/usr/bin/xclip';

// Client-side PDUs written out here, independently of the server module (MS-RDPECLIP 2.2).
function clipPdu(type: number, flags: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(flags, 2);
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
}
/** Splits a message into static channel chunks of `size` bytes (MS-RDPBCGR 2.2.6.1). */
function chunks(msg: Buffer, size = 1600): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < msg.length; off += size) {
    const h = Buffer.alloc(8);
    h.writeUInt32LE(msg.length, 0);
    h.writeUInt32LE((off === 0 ? 1 : 0) | (off + size >= msg.length ? 2 : 0), 4);
    out.push(Buffer.concat([h, msg.subarray(off, off + size)]));
  }
  return out;
}
function clientCaps(flags: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(1, 0); // one set
  b.writeUInt16LE(1, 4); // general
  b.writeUInt16LE(12, 6);
  b.writeUInt32LE(2, 8);
  b.writeUInt32LE(flags, 12);
  return clipPdu(7, 0, b);
}

/** A recording server channel: what it sent, reassembled into messages, and what it handed to the desktop. */
function harness(desktopText: string) {
  const sentChunks: Buffer[] = [];
  const received: string[] = [];
  const host = { text: () => desktopText, received: (t: string) => received.push(t) };
  const ch = new ClipboardChannel((c) => sentChunks.push(c), host, 0);
  const messages = (): Array<{ type: number; flags: number; body: Buffer }> => {
    const out: Array<{ type: number; flags: number; body: Buffer }> = [];
    let parts: Buffer[] = [];
    for (const c of sentChunks) {
      const flags = c.readUInt32LE(4);
      assert.ok(c.length - 8 <= 1600, 'no chunk carries more than 1600 bytes');
      if (flags & 1) parts = [];
      parts.push(c.subarray(8));
      if (flags & 2) {
        const m = Buffer.concat(parts);
        assert.equal(m.length, c.readUInt32LE(0), 'chunk header carries the total length');
        out.push({ type: m.readUInt16LE(0), flags: m.readUInt16LE(2), body: m.subarray(8, 8 + m.readUInt32LE(4)) });
      }
    }
    return out;
  };
  const feed = (msg: Buffer) => {
    for (const c of chunks(msg)) ch.receive(c);
  };
  return { ch, messages, received, feed, host, setText: (t: string) => (desktopText = t) };
}

describe('clipboard channel (cliprdr) PDUs', () => {
  it('opens with capabilities and Monitor Ready, fetches Unicode text from a long-name Format List, offers its own', () => {
    const h = harness('from the desktop');
    h.ch.start();
    let m = h.messages();
    assert.deepEqual(m.map((x) => x.type), [7, 1]);
    assert.equal(m[0].body.readUInt16LE(0), 1);
    assert.equal(m[0].body.readUInt32LE(12) & 2, 2, 'server supports long format names');
    h.feed(clientCaps(2));
    h.feed(clipPdu(6, 0, Buffer.alloc(520)));
    // Long names: id 13 with an empty name, then a registered format with a name.
    const list = Buffer.concat([Buffer.from([13, 0, 0, 0, 0, 0]), Buffer.from([0x10, 0xc0, 0, 0]), Buffer.from('HTML Format\0', 'utf16le')]);
    h.feed(clipPdu(2, 0, list));
    m = h.messages().slice(2);
    assert.deepEqual(m.map((x) => [x.type, x.flags]), [[3, 1], [4, 0], [2, 0]]);
    assert.equal(m[1].body.readUInt32LE(0), 13, 'requests CF_UNICODETEXT');
    assert.equal(m[2].body.readUInt32LE(0), 13, 'offers CF_UNICODETEXT');
    assert.equal(m[2].body.length, 6, 'long-name entry: id and an empty name');
    h.feed(clipPdu(5, 1, Buffer.from('héllo wörld\0', 'utf16le')));
    assert.deepEqual(h.received, ['héllo wörld']);
    h.feed(clipPdu(4, 0, Buffer.from([13, 0, 0, 0])));
    const resp = h.messages().at(-1)!;
    assert.equal(resp.type, 5);
    assert.equal(resp.flags, 1);
    assert.equal(resp.body.toString('utf16le'), 'from the desktop\0');
    // A format it does not have is refused.
    h.feed(clipPdu(4, 0, Buffer.from([1, 0, 0, 0])));
    assert.deepEqual([h.messages().at(-1)!.type, h.messages().at(-1)!.flags], [5, 2]);
  });

  it('uses short format names when the client lacks long ones, and chunks long text both ways', () => {
    const big = 'x'.repeat(3000) + ' end';
    const h = harness(big);
    h.ch.start();
    h.feed(clientCaps(0));
    const entry = Buffer.alloc(36);
    entry.writeUInt32LE(13, 0);
    h.feed(clipPdu(2, 0, entry));
    const offer = h.messages().at(-1)!;
    assert.equal(offer.type, 2);
    assert.equal(offer.body.length, 36, 'short-name entry');
    h.feed(clipPdu(4, 0, Buffer.from([13, 0, 0, 0])));
    assert.equal(h.messages().at(-1)!.body.toString('utf16le'), big + '\0');
    const incoming = 'y'.repeat(2500) + ' tail';
    h.feed(clipPdu(5, 1, Buffer.from(incoming + '\0', 'utf16le')));
    assert.deepEqual(h.received, [incoming]);
    // A changed desktop clipboard is announced once; the same text again is not.
    const before = h.messages().length;
    h.setText('new text');
    h.ch.offer();
    h.ch.offer();
    assert.equal(h.messages().length, before + 1);
  });

  it('fetches the text one request at a time: a Format List during a request is fetched after its answer', () => {
    const h = harness('t');
    h.ch.start();
    h.feed(clientCaps(2));
    const list = clipPdu(2, 0, Buffer.from([13, 0, 0, 0, 0, 0]));
    h.feed(list);
    h.feed(list);
    const requests = () => h.messages().filter((m) => m.type === 4).length;
    assert.equal(requests(), 1, 'the second list waits for the first answer');
    h.feed(clipPdu(5, 2));
    assert.equal(requests(), 2, 'after a failed answer the newer list is fetched');
    h.feed(clipPdu(5, 1, Buffer.from('second\0', 'utf16le')));
    assert.equal(requests(), 2, 'nothing newer to fetch');
    assert.deepEqual(h.received, ['second']);
    h.ch.close();
  });

  it('ends the session on a malformed Format List or a message longer than announced', () => {
    const h = harness('t');
    h.ch.start();
    h.feed(clientCaps(0));
    assert.throws(() => h.feed(clipPdu(2, 0, Buffer.alloc(10))), /partial short entry/);
    const h2 = harness('t');
    const bad = Buffer.alloc(8 + 20);
    bad.writeUInt32LE(4, 0);
    bad.writeUInt32LE(3, 4);
    assert.throws(() => h2.ch.receive(bad), /exceed/);
  });
});

const missing = missingTools([XCLIP, XDOTOOL]);

describe('clipboard with xfreerdp +clipboard', { skip: missing ?? false }, () => {
  let xvfb: Xvfb;
  let server: DemoDesktopServer;
  let client: XfreerdpClient | null = null;
  let owner: ChildProcess | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'demo-clip-'));
  // What the server's clipboard channel received (message type and flags), for failure messages.
  const seen: string[] = [];
  let unwatch = () => {};
  before(async () => {
    unwatch = watchCalls(ClipboardChannel.prototype, 'receive', (_channel, chunk) => {
      if (chunk.length >= 12 && chunk.readUInt32LE(4) & 1) seen.push(`${chunk.readUInt16LE(8)}/${chunk.readUInt16LE(10)}`);
    });
    xvfb = await startXvfb();
    server = await startDemoDesktop({ dataDir, vm: { id: 'cafe0001-bbbb', name: 'ALPHA-WEB' }, fps: 0, log: () => {} });
    client = startXfreerdp(xvfb.display, [`/v:127.0.0.1:${server.port}`, '/cert:ignore', '/size:1024x768', '+clipboard']);
  });
  after(async () => {
    unwatch();
    await client?.stop();
    owner?.kill('SIGTERM');
    await server?.close();
    await xvfb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ ...process.env, DISPLAY: xvfb.display });
  /** The X CLIPBOARD as text (xfreerdp fetches it from the server when it owns the selection). */
  async function readX(): Promise<string> {
    try {
      const { stdout } = await run(XCLIP, ['-selection', 'clipboard', '-o', '-t', 'UTF8_STRING'], { env: env(), timeout: 3000 });
      return stdout;
    } catch {
      return '';
    }
  }

  it("puts the desktop's clipboard text on the X clipboard", async () => {
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('STATUSACTIVE'));
    assert.ok(squash(text).includes('STATUSACTIVE'), `OCR read: ${text}\nxfreerdp: ${client!.output()}`);
    let got = '';
    for (let i = 0; i < 40 && got !== 'demo clipboard ALPHA-WEB'; i++) {
      got = await readX();
      if (got !== 'demo clipboard ALPHA-WEB') await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(got, 'demo clipboard ALPHA-WEB', `xfreerdp: ${client!.output()}`);
  });

  it('shows text copied in X on the desktop', async () => {
    // xclip -quiet stays in the foreground serving the selection, so this test owns (and stops) it.
    owner = spawn(XCLIP, ['-quiet', '-selection', 'clipboard', '-i'], { env: env(), stdio: ['pipe', 'ignore', 'ignore'] });
    owner.stdin!.end('hello from x 42');
    for (let i = 0; i < 150 && server.desktop.pasted !== 'hello from x 42'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.desktop.pasted, 'hello from x 42', `channel messages: ${seen.join(' ')}\nxfreerdp: ${client!.output()}`);
    // The pixel font's A and R look alike to OCR at this size: allow a letter or two of slack in the label.
    const shown = /CLIPB[A-Z]{2,5}HELLOFROMX42/;
    const text = await readScreenUntil(xvfb.display, (s) => shown.test(squash(s)));
    assert.match(squash(text), shown, `OCR read: ${text}`);
  });

  it('announces a new desktop clipboard (Ctrl+C copies the typed line) and X reads it', async () => {
    await run(XDOTOOL, ['type', '--delay', '40', 'copy me 7'], { env: env() });
    await run(XDOTOOL, ['key', 'ctrl+c'], { env: env() });
    for (let i = 0; i < 40 && server.desktop.clipboard !== 'copy me 7'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.desktop.clipboard, 'copy me 7');
    let got = '';
    for (let i = 0; i < 40 && got !== 'copy me 7'; i++) {
      got = await readX();
      if (got !== 'copy me 7') await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(got, 'copy me 7', `xfreerdp: ${client!.output()}`);
  });
});

if (missing) console.log(`clipboard with xfreerdp not checked: ${missing}`);
