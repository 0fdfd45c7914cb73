// What kind of end each relayed session had (the page's auto-reconnect reads it from session.status), and the
// keepalive that notices a console proxy which went silent without closing (a half-open connection).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { ConsoleRelay, RelayCloseCode, type RelayStatus } from '../../../electron/relay/relay.ts';
import { relayEndCause, type SessionEndCause } from '../../../electron/common/session-end.ts';
import { openPage } from './page-client.ts';

const statuses: RelayStatus[] = [];
const relays: ConsoleRelay[] = [];
const servers: Array<{ close(): void }> = [];

after(async () => {
  for (const r of relays) await r.close();
  for (const s of servers) s.close();
});

async function startRelay(timeouts: Partial<ConstructorParameters<typeof ConsoleRelay>[0]['timeouts']> = {}) {
  const relay = new ConsoleRelay({ verifyCertificate: async () => false, onStatus: (s) => statuses.push(s), timeouts });
  await relay.listen();
  relays.push(relay);
  return relay;
}

async function closedStatus(sessionId: string): Promise<RelayStatus> {
  for (let i = 0; i < 1000; i++) {
    const s = statuses.find((x) => x.sessionId === sessionId && x.state === 'closed');
    if (s) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`session ${sessionId} never closed`);
}

/** A console proxy: accepts any token, says `hello` (unless `silent`), then does what `then` says with the connection. */
async function serialProxy(then: (ws: import('ws').WebSocket, socket: Socket) => void, silent = false): Promise<string> {
  const http: Server = createHttpServer();
  const wss = new WebSocketServer({ server: http, handleProtocols: () => 'binary' });
  wss.on('connection', (ws, req) => {
    if (!silent) ws.send(Buffer.from('hello'));
    then(ws, req.socket);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  servers.push({
    close: () => {
      wss.close();
      http.closeAllConnections();
      http.close();
    },
  });
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/?token=t0ken`;
}

test('every relay close code has a kind of end, and the kinds the page acts on are the right ones', () => {
  const expected: Record<number, SessionEndCause> = {
    [RelayCloseCode.serverClosed]: 'lost',
    [RelayCloseCode.connectionLost]: 'lost',
    [RelayCloseCode.refused]: 'unreachable',
    [RelayCloseCode.timeout]: 'unreachable',
    [RelayCloseCode.tlsFailure]: 'unreachable',
    [RelayCloseCode.closedAtOnce]: 'refused',
    [RelayCloseCode.upgradeRefused]: 'refused',
    [RelayCloseCode.grantRefused]: 'refused',
    [RelayCloseCode.certificateNotTrusted]: 'certificate',
    [RelayCloseCode.closedByApp]: 'closed-by-app',
    [RelayCloseCode.notVnc]: 'failed',
    [RelayCloseCode.proxyProtocolError]: 'failed',
  };
  for (const [code, cause] of Object.entries(expected)) assert.equal(relayEndCause(Number(code)), cause, `code ${code}`);
});

test('a proxy that goes silent without closing (half-open) ends the session as lost once the keepalive limit passes', async () => {
  const relay = await startRelay({ keepaliveMs: 100, silenceMs: 700 });
  // After its greeting the proxy stops reading its socket: pings pile up unanswered, nothing is ever closed.
  const url = await serialProxy((_ws, socket) => setTimeout(() => socket.pause(), 50));
  const g = relay.grant({ kind: 'websocket', url, console: 'serial' });
  const page = await openPage(g.relayUrl);
  const c = await page.closed;
  assert.equal(c.code, RelayCloseCode.connectionLost);
  assert.match(c.reason, /^the connection to the serial console proxy was lost \(no answer for \d+ s\)$/);
  const s = await closedStatus(g.sessionId);
  assert.equal(s.cause, 'lost');
});

test('a quiet proxy that answers pings keeps its session past the silence limit', async () => {
  const relay = await startRelay({ keepaliveMs: 100, silenceMs: 500 });
  const url = await serialProxy(() => undefined);
  const g = relay.grant({ kind: 'websocket', url, console: 'serial' });
  const page = await openPage(g.relayUrl);
  assert.equal((await page.read(5)).toString(), 'hello');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(page.ws.readyState, page.ws.OPEN, 'still open: the pongs count as life');
  assert.equal(statuses.find((s) => s.sessionId === g.sessionId && s.state === 'closed'), undefined);
  await page.close();
});

test('ends are told apart: killed mid-session is lost, refused is unreachable, a token dropped at once is refused', async () => {
  const relay = await startRelay();
  // A VNC server that greets and is then killed (reset).
  const vnc = createNetServer((s) => {
    s.on('error', () => undefined);
    s.write('RFB 003.008\n');
    s.once('data', () => s.resetAndDestroy());
  });
  await new Promise<void>((r) => vnc.listen(0, '127.0.0.1', r));
  servers.push(vnc);
  const port = (vnc.address() as AddressInfo).port;
  const live = relay.grant({ kind: 'tcp', host: '127.0.0.1', port });
  const page = await openPage(live.relayUrl);
  await page.read(12);
  page.send(Buffer.from('RFB 003.008\n'));
  assert.equal((await page.closed).code, RelayCloseCode.connectionLost);
  assert.equal((await closedStatus(live.sessionId)).cause, 'lost');

  const gone = createNetServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const gonePort = (gone.address() as AddressInfo).port;
  await new Promise<void>((r) => gone.close(() => r()));
  const refused = relay.grant({ kind: 'tcp', host: '127.0.0.1', port: gonePort });
  await (await openPage(refused.relayUrl)).closed;
  assert.equal((await closedStatus(refused.sessionId)).cause, 'unreachable');

  // A proxy that drops the WebSocket before any byte: Nova's answer to a bad token. One that says something that is
  // not RFB and hangs up: not a VNC server, which a retry would not change.
  const dropping = relay.grant({ kind: 'websocket', url: await serialProxy((ws) => ws.close(1000), true), console: 'serial' });
  await (await openPage(dropping.relayUrl)).closed;
  assert.equal((await closedStatus(dropping.sessionId)).cause, 'refused');
  const notVnc = relay.grant({ kind: 'websocket', url: await serialProxy((ws) => ws.close(1000)), console: 'vnc' });
  assert.equal((await (await openPage(notVnc.relayUrl)).closed).code, RelayCloseCode.notVnc);
  assert.equal((await closedStatus(notVnc.sessionId)).cause, 'failed');
});
