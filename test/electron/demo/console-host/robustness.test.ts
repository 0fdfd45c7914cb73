// The console host under bad clients: one that stops reading while the desktop streams full screens, random and
// mutated bytes right after the pre-connection PDU and right after TLS, and garbage in the middle of a relayed
// session. Each bad connection ends by itself with one log line (or when the test hangs up, for a mutation that
// happened to stay valid); the host keeps serving, a witness session keeps receiving frames, nothing is left open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoConsoleHost, type DemoConsoleHost } from '../../../../electron/demo/console-host/index.ts';
import { startDemoDesktop, type DemoDesktopServer } from '../../../../electron/demo/demo-desktop/server.ts';
import { encodeTsRequest } from '../../../../electron/demo/console-host/tsrequest.ts';
import { bitmapRects, connectInitial, connectMiniClient, connectionRequest, preconnectionPdu, unicodeInput, type MiniClient } from '../demo-desktop/mini-client.ts';
import { prng } from '../../../support/prng.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'console-host-fuzz-'));
const BUSY = { id: 'B0000000-0000-4000-8000-00000000B051', name: 'BUSY', status: 'ACTIVE' };
const WITNESS = { id: 'W0000000-0000-4000-8000-0000000057E5', name: 'WITNESS', status: 'ACTIVE' };
const RELAYED = { id: 'R0000000-0000-4000-8000-00000000AE1A', name: 'RELAYED', status: 'ACTIVE' };
const credentials = { username: 'console', password: 'Fuzz-Pass1' };

const rand = prng(0x5eed4);
const int = (n: number) => Math.floor(rand() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

/** Flips a few bytes, or cuts the message short, or both. */
function mutate(msg: Buffer): Buffer {
  const out = Buffer.from(msg);
  const flips = 1 + int(4);
  for (let i = 0; i < flips; i++) out[int(out.length)] = int(256);
  return int(3) === 0 ? out.subarray(0, 1 + int(out.length - 1)) : out;
}

/** Resolves when the socket closes; hangs up itself after `ms` (a mutation may leave a valid, waiting message). */
function closedOrHangUp(s: Socket | TLSSocket, ms = 2000): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    s.resume(); // whatever the server still sends is read, so its close reaches us
    const timer = setTimeout(() => (process.env.FUZZ_TRACE && console.log('HANGUP', new Error().stack), s.destroy()), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A real TLS ClientHello, captured from node:tls talking to a plain TCP listener. */
async function captureClientHello(): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const hello = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))));
  const c = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  c.on('error', () => {});
  const out = await hello;
  c.destroy();
  await new Promise((r) => server.close(r));
  return out;
}

/** The first message of each kind real clients send after TLS. */
function firstMessages(): Buffer[] {
  const negotiate = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from([1, 0, 0, 0, 0x97, 0x82, 0x08, 0xe2]), Buffer.alloc(16), Buffer.from([10, 0, 0x63, 0x45, 0, 0, 0, 15])]);
  return [encodeTsRequest({ version: 6, negoToken: negotiate }), connectionRequest(1), connectInitial(800, 600)];
}

describe('console host robustness', () => {
  let host: DemoConsoleHost;
  let backend: DemoDesktopServer;
  let witness: MiniClient;
  const logs: string[] = [];
  const backendLogs: string[] = [];

  before(async () => {
    backend = await startDemoDesktop({ dataDir: join(dataDir, 'backend'), vm: { id: 'backend', name: 'RELAYED' }, fps: 10, log: (l) => backendLogs.push(l) });
    host = await startDemoConsoleHost({
      servers: [BUSY, WITNESS, RELAYED],
      dataDir,
      port: 0,
      fps: 30,
      animation: 'fullscreen',
      credentials,
      backends: new Map([[RELAYED.id, { host: '127.0.0.1', port: backend.port }]]),
      log: (l) => logs.push(l),
    });
    witness = await connectMiniClient(host.port, { width: 320, height: 240 }, WITNESS.id);
    await witness.waitFor((f) => bitmapRects(f).length > 0);
  });
  after(async () => {
    witness?.close();
    await host?.close();
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The witness gets fresh tiles, a new client reaches an active session, and only the witness is left open. */
  async function stillServing(): Promise<void> {
    const mark = witness.frames.length;
    await witness.waitFor((f) => witness.frames.indexOf(f) >= mark && bitmapRects(f).length > 0);
    const fresh = await connectMiniClient(host.port, undefined, BUSY.id);
    await fresh.waitFor((f) => bitmapRects(f).length > 0);
    fresh.close();
    for (let i = 0; i < 200 && host.connectionCount() > 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(host.connectionCount(), 1, 'every bad connection is closed; only the witness remains');
    for (const line of logs) assert.ok(!line.includes('\n') && !/\(\S+:\d+:\d+\)|\.c:\d+/.test(line), `one line, no stack trace or source position: ${line}`);
  }

  it('holds back output for a client that stops reading under full-screen streaming; the others keep streaming', async () => {
    const slow = await connectMiniClient(host.port, { width: 1024, height: 768 }, BUSY.id);
    await slow.waitFor((f) => bitmapRects(f).length > 0);
    slow.socket.pause();
    slow.raw.pause();
    const other = await connectMiniClient(host.port, { width: 1024, height: 768 }, BUSY.id);
    try {
      const slowSession = [...host.sessions].find((s) => s.size?.width === 1024 && s.stats.bytesOut > 0)!;
      assert.ok(slowSession, 'the slow session is one of the host sessions');
      let frames = 0;
      const onFrame = () => frames++;
      const desktop = host.desktops.get(BUSY.id)!;
      desktop.on('frame', onFrame);
      // Each frame repaints 1024x768 (about 200 kB planar): 40 frames are far more than the socket buffers hold.
      const start = other.frames.length;
      await other.waitFor(() => frames >= 40 && other.frames.length > start, 30000);
      desktop.off('frame', onFrame);
      const queued = [...host.sessions].map((s) => s.pendingBytes);
      assert.ok(Math.max(...queued) < 1024 * 1024, `queued bytes per session: ${queued.join(', ')}`);
      assert.ok(slowSession.stats.bytesOut < frames * 150_000, 'the stalled client was not sent every frame');
      assert.ok(host.sessions.has(slowSession), 'the stalled session stays open, neither dropped nor blocking');
    } finally {
      slow.close();
      other.close();
    }
    await stillServing();
  });

  it('survives random and mutated bytes right after the pre-connection PDU (where TLS should start)', async () => {
    const hello = await captureClientHello();
    const before = logs.length;
    const cases = 24;
    for (let i = 0; i < cases; i++) {
      const s = netConnect(host.port, '127.0.0.1');
      s.on('error', () => {});
      const after = i % 2 ? bytes(1 + int(600)) : mutate(hello);
      s.write(Buffer.concat([preconnectionPdu(WITNESS.id), after]));
      s.end();
      await closedOrHangUp(s);
    }
    assert.ok(logs.length - before >= cases / 2, `a log line per failed connection:\n${logs.slice(before).join('\n')}`);
    await stillServing();
  });

  it('survives random and mutated first messages right after TLS (CredSSP, X.224, MCS)', async () => {
    const before = logs.length;
    const messages = firstMessages();
    const cases = 36;
    for (let i = 0; i < cases; i++) {
      const s = netConnect(host.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(preconnectionPdu(i % 3 === 2 ? RELAYED.id : WITNESS.id));
      const t = tlsConnect({ socket: s, rejectUnauthorized: false });
      t.on('error', () => {});
      await new Promise((res) => t.once('secureConnect', res));
      t.write(i % 4 === 3 ? bytes(1 + int(400)) : mutate(messages[i % messages.length]));
      t.end();
      // The TLS socket owns the connection now: its close is the connection's.
      await closedOrHangUp(t);
    }
    assert.ok(logs.length - before >= cases / 2, `a log line per failed connection:\n${logs.slice(before).join('\n')}`);
    await stillServing();
  });

  it('garbage in the middle of a relayed session ends that session only', async () => {
    const keeper = await connectMiniClient(host.port, { width: 640, height: 480 }, RELAYED.id);
    try {
      await keeper.waitFor((f) => bitmapRects(f).length > 0);
      const beforeBackend = backendLogs.length;
      // Whole PDUs with nonsense inside (a TPKT, a fast-path input PDU, a long TPKT), a mutated valid input PDU, and
      // raw noise; an incomplete PDU is waited for by the backend, as any RDP server does, until the client hangs up.
      const tpkt = (body: Buffer) => Buffer.concat([Buffer.from([3, 0, (body.length + 4) >> 8, (body.length + 4) & 0xff]), body]);
      const garbage = [tpkt(bytes(8)), Buffer.concat([Buffer.from([0x04, 16]), bytes(14)]), tpkt(bytes(2996)), mutate(unicodeInput('hello')), bytes(64)];
      for (const g of garbage) {
        const bad = await connectMiniClient(host.port, { width: 640, height: 480 }, RELAYED.id);
        await bad.waitFor((f) => bitmapRects(f).length > 0);
        bad.socket.write(g);
        await closedOrHangUp(bad.socket);
      }
      assert.ok(backendLogs.length - beforeBackend >= 3, `the backend logged the bad sessions:\n${backendLogs.slice(beforeBackend).join('\n')}`);
      // The relayed keeper still streams from the backend.
      const mark = keeper.frames.length;
      await keeper.waitFor((f) => keeper.frames.indexOf(f) >= mark && bitmapRects(f).length > 0);
    } finally {
      keeper.close();
    }
    await stillServing();
  });
});
