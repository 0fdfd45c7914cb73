import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleTarget, ServerSummary, RdpGrant } from '../../../electron/common/contract.ts';
import { createAppStore, loadPendingTrustPrompts, subscribeEvents } from '../../../renderer/store/index.ts';
import { ApiRequestError } from '../../../renderer/api/console-api.ts';
import { fakeApi } from './fake-api.ts';

const server = (i: number): ServerSummary => ({ id: `id-${i}`, name: `vm-${i}`, status: 'ACTIVE', addresses: [] });
let grants = 0;
const grantFor = (target: ConsoleTarget, extra: Partial<RdpGrant> = {}): RdpGrant => ({
  protocol: 'rdp',
  sessionId: `s-${++grants}`,
  title: target.kind === 'server' ? `vm-${target.server.slice(3)}` : target.kind === 'address' ? `${target.host}:${target.port}` : 'from-url',
  gatewayUrl: 'ws://127.0.0.1:1/rdcleanpath',
  token: 't',
  destination: '127.0.0.1:2179',
  vmconnect: true,
  ...extra,
});

test('servers are fetched page by page with markers until the last page', async () => {
  const all = Array.from({ length: 1200 }, (_, i) => server(i));
  const { api, calls } = fakeApi({
    'servers.list': ({ marker, limit }: { marker?: string; limit: number }) => {
      const start = marker ? all.findIndex((s) => s.id === marker) + 1 : 0;
      const page = all.slice(start, start + limit);
      return { servers: page, ...(start + limit < all.length ? { nextMarker: page.at(-1)!.id } : {}) };
    },
  });
  const store = createAppStore(api);
  await store.getState().loadServers('c1', { allProjects: true });
  const c = store.getState().servers.c1;
  assert.equal(c.state, 'ready');
  assert.equal(c.servers.length, 1200);
  assert.equal(c.more, false);
  assert.deepEqual(calls.map((x) => x.args.marker), [undefined, 'id-499', 'id-999']);
  assert.ok(calls.every((x) => x.args.allProjects === true && x.args.limit === 500));
});

test('an unreachable cloud keeps its error; a refresh replaces a slower earlier fetch', async () => {
  let fail = true;
  let release: () => void = () => undefined;
  const { api } = fakeApi({
    'servers.list': async () => {
      if (fail) throw new ApiRequestError('unreachable', "Cloud 'c1' is unreachable: connection refused");
      await new Promise<void>((r) => (release = r));
      return { servers: [server(1)] };
    },
  });
  const store = createAppStore(api);
  await store.getState().loadServers('c1');
  assert.equal(store.getState().servers.c1.state, 'error');
  assert.match(store.getState().servers.c1.error!, /unreachable/);
  fail = false;
  const first = store.getState().loadServers('c1');
  const releaseFirst = release;
  const second = store.getState().loadServers('c1');
  const releaseSecond = release;
  releaseSecond();
  await second;
  assert.equal(store.getState().servers.c1.generation, 3);
  releaseFirst();
  await first;
  assert.equal(store.getState().servers.c1.servers.length, 1);
  assert.equal(store.getState().servers.c1.state, 'ready');
});

test('a server tab opens at once; a server without a console says why; reconnect asks for a fresh console', async () => {
  const { api, calls } = fakeApi({
    'session.open': (t: ConsoleTarget) => {
      if (t.kind === 'server' && t.server === 'id-7') throw new ApiRequestError('not-ready', 'Server build-7 is still building (task spawning): it has no console yet.');
      return grantFor(t, t.kind === 'server' ? { server: { cloud: t.cloud, id: t.server, name: `vm-${t.server.slice(3)}`, status: 'ACTIVE' } } : {});
    },
    'session.close': () => undefined,
  });
  const store = createAppStore(api);
  const s = () => store.getState();
  const opening = s().openServer('demo', server(1));
  assert.equal(s().tabs.length, 1, 'the tab exists before the grant arrives');
  assert.equal(s().tabs[0].state, 'opening');
  await opening;
  assert.equal(s().tabs[0].state, 'connecting');
  assert.equal(s().tabs[0].grant?.sessionId, 's-' + grants);

  await s().openServer('demo', { ...server(7), name: 'build-7', status: 'BUILD' });
  const build = s().tabs[1];
  assert.equal(build.state, 'disconnected');
  assert.equal(build.reason, 'Server build-7 is still building (task spawning): it has no console yet.');
  assert.equal(build.title, 'build-7');

  await s().openServer('demo', server(1));
  assert.equal(s().tabs.length, 2, 'opening an open server focuses its tab');
  assert.equal(s().activeTabId, s().tabs[0].id);

  const before = s().tabs[0].grant!.sessionId;
  await s().reconnect(s().tabs[0].id);
  assert.ok(calls.some((c) => c.name === 'session.close' && c.args.sessionId === before));
  const lastOpen = calls.filter((c) => c.name === 'session.open').at(-1)!;
  // Reconnect asks for the console type that opened the tab, so it does not switch types.
  assert.deepEqual(lastOpen.args, { kind: 'server', cloud: 'demo', server: 'id-1', protocol: 'rdp' });
  assert.equal(s().tabs[0].attempt, 2);
  assert.notEqual(s().tabs[0].grant!.sessionId, before);
});

test('a pasted target opens a tab only when the main process accepts it; a URL of a cloud server reconnects as that server', async () => {
  const { api, calls } = fakeApi({
    'session.open': (t: ConsoleTarget) => {
      if (t.kind === 'url' && t.url.includes('expired')) throw new ApiRequestError('token-expired', 'The console token is expired or unknown');
      if (t.kind === 'url') return grantFor(t, { title: 'vm-3', server: { cloud: 'demo', id: 'id-3', name: 'vm-3', status: 'ACTIVE' } });
      return grantFor(t);
    },
    'session.close': () => undefined,
  });
  const store = createAppStore(api);
  const s = () => store.getState();
  assert.equal(await s().openTarget({ kind: 'url', url: 'http://x/?token=expired' }, 'x'), false);
  assert.equal(s().tabs.length, 0);
  assert.equal(s().inputError, 'The console token is expired or unknown');

  assert.equal(await s().openTarget({ kind: 'url', url: 'http://x/?token=good' }, 'x'), true);
  assert.equal(s().inputError, undefined);
  assert.equal(s().tabs[0].title, 'vm-3');
  assert.deepEqual(s().tabs[0].origin, { kind: 'server', cloud: 'demo', serverId: 'id-3', serverName: 'vm-3', protocol: 'rdp' });

  assert.equal(await s().openTarget({ kind: 'address', protocol: 'rdp', host: '10.0.0.5', port: 3390 }, '10.0.0.5:3390'), true);
  assert.equal(s().tabs[1].title, '10.0.0.5:3390');
  await s().reconnect(s().tabs[0].id);
  assert.deepEqual(calls.filter((c) => c.name === 'session.open').at(-1)!.args, { kind: 'server', cloud: 'demo', server: 'id-3', protocol: 'rdp' });
});

test('tabs: close picks a neighbour and frees the session; reorder and cycling wrap correctly', async () => {
  const { api, calls } = fakeApi({ 'session.open': (t: ConsoleTarget) => grantFor(t), 'session.close': () => undefined });
  const store = createAppStore(api);
  const s = () => store.getState();
  for (const i of [1, 2, 3]) await s().openServer('demo', server(i));
  const [a, b, c] = s().tabs.map((t) => t.id);
  assert.equal(s().activeTabId, c);
  s().cycleTab(1);
  assert.equal(s().activeTabId, a);
  s().cycleTab(-1);
  assert.equal(s().activeTabId, c);
  s().moveTab(c, -1);
  assert.deepEqual(s().tabs.map((t) => t.id), [a, c, b]);
  s().moveTabTo(a, 5);
  assert.deepEqual(s().tabs.map((t) => t.id), [c, b, a]);
  s().activateTab(b);
  const bSession = s().tabs[1].grant!.sessionId;
  await s().closeTab(b);
  assert.deepEqual(s().tabs.map((t) => t.id), [c, a]);
  assert.equal(s().activeTabId, a, 'the tab that took its place becomes active');
  assert.ok(calls.some((x) => x.name === 'session.close' && x.args.sessionId === bSession));
});

test('events: session status, trust prompts queue in order, decisions leave the queue, clouds.changed refreshes', async () => {
  const { api, emit, calls } = fakeApi({
    'session.open': (t: ConsoleTarget) => grantFor(t),
    'trust.decide': () => undefined,
    'servers.list': () => ({ servers: [] }),
  });
  const store = createAppStore(api);
  subscribeEvents(store);
  const s = () => store.getState();
  await s().openServer('demo', server(1));
  const sid = s().tabs[0].grant!.sessionId;
  emit('session.status', { sessionId: sid, state: 'connected' });
  assert.equal(s().tabs[0].state, 'connecting', 'the relay being up is not a login');
  s().setTabState(s().tabs[0].id, s().tabs[0].attempt, 'connected');
  assert.equal(s().tabs[0].state, 'connected');
  emit('session.status', { sessionId: sid, state: 'closed', reason: 'the server closed the session' });
  assert.equal(s().tabs[0].state, 'disconnected');
  assert.equal(s().tabs[0].reason, 'the server closed the session');
  emit('session.status', { sessionId: 'someone-else', state: 'closed' });
  assert.equal(s().tabs[0].reason, 'the server closed the session');

  const cert = { endpoint: 'h:1', fingerprint: 'AA', subject: 'CN=h', issuer: 'CN=h', validFrom: 'x', validTo: 'y' };
  emit('trust.prompt', { promptId: 'p1', sessionId: sid, reason: 'first-use', certificate: cert });
  emit('trust.prompt', { promptId: 'p2', sessionId: sid, reason: 'changed', certificate: cert, previous: cert });
  assert.deepEqual(s().trustPrompts.map((p) => p.promptId), ['p1', 'p2']);
  await s().decideTrust('p1', 'trust-always');
  assert.deepEqual(s().trustPrompts.map((p) => p.promptId), ['p2']);
  assert.deepEqual(calls.find((c) => c.name === 'trust.decide')!.args, { promptId: 'p1', decision: 'trust-always' });

  emit('clouds.changed', [{ name: 'demo', label: 'Demo cloud (offline)', authUrl: 'http://x', isDemo: true }]);
  assert.equal(s().clouds.length, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.filter((c) => c.name === 'servers.list').at(-1)!.args.allProjects, true, 'the demo lists every project');
});

test('credentials dialog: remember saves for the destination, then the tab reconnects with them', async () => {
  const { api, calls } = fakeApi({
    'session.open': (t: ConsoleTarget) => grantFor(t),
    'session.close': () => undefined,
    'credentials.save': () => undefined,
  });
  const store = createAppStore(api);
  const s = () => store.getState();
  await s().openTarget({ kind: 'address', protocol: 'rdp', host: 'h', port: 3389 }, 'h:3389');
  const id = s().tabs[0].id;
  s().openDialog({ kind: 'credentials', tabId: id });
  await s().submitCredentials(id, { username: 'u', password: 'p' }, true);
  assert.deepEqual(calls.find((c) => c.name === 'credentials.save')!.args, { endpoint: '127.0.0.1:2179', credentials: { username: 'u', password: 'p' } });
  assert.equal(s().dialog, undefined);
  assert.deepEqual(s().tabs[0].credentials, { username: 'u', password: 'p' });
  assert.equal(s().tabs[0].attempt, 2);
});

test('a pasted URL of a server the sidebar knows is titled with its name, even when the grant knows only its id', async () => {
  const { api } = fakeApi({
    'servers.list': () => ({ servers: [server(5)] }),
    'session.open': (t: ConsoleTarget) => grantFor(t, { title: 'id-5', server: { cloud: 'demo', id: 'id-5', name: 'id-5', status: 'UNKNOWN' } }),
  });
  const store = createAppStore(api);
  await store.getState().loadServers('demo');
  await store.getState().openTarget({ kind: 'url', url: 'http://x/?token=t' }, 'x');
  assert.equal(store.getState().tabs[0].title, 'vm-5');
  assert.deepEqual(store.getState().tabs[0].origin, { kind: 'server', cloud: 'demo', serverId: 'id-5', serverName: 'vm-5', protocol: 'rdp' });
  // A server tab keeps the name it was opened with whatever the grant calls it.
  await store.getState().openServer('demo', { ...server(6), name: 'named-6' });
  assert.equal(store.getState().tabs[1].title, 'named-6');
});

test('app.open (a deep link or an .rdp file) opens its target with the suggested user name', async () => {
  const { api, emit, calls } = fakeApi({ 'session.open': (t: ConsoleTarget) => grantFor(t) });
  const store = createAppStore(api);
  subscribeEvents(store);
  emit('app.open', { target: { kind: 'address', protocol: 'rdp', host: 'hv01', port: 2179, preConnectionBlob: 'VM-1' }, label: 'hv01:2179', username: 'alice', domain: 'CORP' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls.find((c) => c.name === 'session.open')!.args, { kind: 'address', protocol: 'rdp', host: 'hv01', port: 2179, preConnectionBlob: 'VM-1' });
  const tab = store.getState().tabs[0];
  assert.equal(tab.title, 'hv01:2179');
  assert.deepEqual(tab.userHint, { username: 'alice', domain: 'CORP' });
  assert.deepEqual(tab.origin, { kind: 'address', protocol: 'rdp', host: 'hv01', port: 2179, preConnectionBlob: 'VM-1' }, 'Reconnect keeps the pre-connection blob');
});

test('trust prompts still waiting when the page starts are asked for and shown once, even if the event also arrives', async () => {
  const prompt = {
    promptId: 'p-1',
    sessionId: 's-x',
    reason: 'first-use' as const,
    certificate: { endpoint: '10.0.0.5:2179', fingerprint: 'AA:BB', subject: 'CN=h', issuer: 'CN=h', validFrom: 'a', validTo: 'b' },
  };
  const { api, calls, emit } = fakeApi({ 'trust.pending': () => [prompt] });
  const store = createAppStore(api);
  subscribeEvents(store);
  emit('trust.prompt', prompt);
  await loadPendingTrustPrompts(store);
  assert.ok(calls.some((c) => c.name === 'trust.pending'));
  assert.deepEqual(store.getState().trustPrompts, [prompt]);

  // An app without the request (older main process) just shows nothing more.
  const bare = createAppStore(fakeApi({}).api);
  await loadPendingTrustPrompts(bare);
  assert.deepEqual(bare.getState().trustPrompts, []);
});

test("a tab's end reason: the gateway's wins over the engine's in either order, a refused login over both", async () => {
  const { api, emit } = fakeApi({ 'session.open': (t: ConsoleTarget) => grantFor(t), 'session.close': () => undefined });
  const store = createAppStore(api);
  subscribeEvents(store);
  const s = () => store.getState();
  await s().openServer('demo', server(1));
  const tab = () => s().tabs[0];
  const ENGINE = 'the RDP connection failed: not enough bytes';
  const GATEWAY = '127.0.0.1:2179 closed the session';

  // Engine first, then the gateway: the gateway's reason replaces the engine's.
  s().setTabState(tab().id, tab().attempt, 'connected');
  s().setTabState(tab().id, tab().attempt, 'disconnected', ENGINE, 'engine');
  assert.equal(tab().reason, ENGINE);
  emit('session.status', { sessionId: tab().grant!.sessionId, state: 'closed', reason: GATEWAY });
  assert.equal(tab().reason, GATEWAY);
  assert.equal(tab().reasonFrom, 'gateway');

  // Gateway first, then the engine: the gateway's stays; a late "connected" does not revive the ended attempt.
  await s().reconnect(tab().id);
  emit('session.status', { sessionId: tab().grant!.sessionId, state: 'closed', reason: GATEWAY });
  s().setTabState(tab().id, tab().attempt, 'disconnected', ENGINE, 'engine');
  assert.equal(tab().reason, GATEWAY);
  s().setTabState(tab().id, tab().attempt, 'connected');
  assert.equal(tab().state, 'disconnected');

  // A refused login reported by the engine outranks the gateway's guess, before or after it.
  await s().reconnect(tab().id);
  emit('session.status', { sessionId: tab().grant!.sessionId, state: 'closed', reason: 'closed the connection during authentication' });
  s().setTabState(tab().id, tab().attempt, 'disconnected', 'wrong user name or password', 'login');
  assert.equal(tab().reason, 'wrong user name or password');
  emit('session.status', { sessionId: tab().grant!.sessionId, state: 'closed', reason: 'closed the connection during authentication' });
  assert.equal(tab().reason, 'wrong user name or password');

  // Reconnect clears the reason and its source.
  await s().reconnect(tab().id);
  assert.equal(tab().reason, undefined);
  assert.equal(tab().reasonFrom, undefined);
});

test('app.openError (a bad link or .rdp file) becomes the alert; a later good paste clears it', async () => {
  const { api, emit } = fakeApi({ 'session.open': (t: ConsoleTarget) => grantFor(t) });
  const store = createAppStore(api);
  subscribeEvents(store);
  const message = 'broken.rdp could not be opened: the .rdp file has no "full address" line.';
  emit('app.openError', { source: 'file', message });
  assert.equal(store.getState().inputError, message);
  assert.equal(store.getState().tabs.length, 0);
  assert.equal(await store.getState().openTarget({ kind: 'address', protocol: 'rdp', host: 'h', port: 3389 }, 'h:3389'), true);
  assert.equal(store.getState().inputError, undefined);
});
