import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleSessions, type GrantIssuer, type RelayIssuer } from '../../../electron/app/console-sessions.ts';
import { createCredentialStore } from '../../../electron/app/credential-store.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import type { ConsoleService } from '../../../electron/api/services.ts';
import type { GrantRequest } from '../../../electron/rdp/gateway.ts';
import { rdpGrant } from '../../support/grants.ts';
import type { RelayDestination } from '../../../electron/relay/relay.ts';

const VM = '5f3f8a2e-4b5c-4d1e-9a6b-1c2d3e4f5a6b';
const calls: string[] = [];
const consoles: ConsoleService = {
  listClouds: async () => [],
  listServers: async () => ({ servers: [] }),
  consoleUrl: async (cloud, server) => {
    calls.push(`consoleUrl ${cloud} ${server}`);
    if (server === 'building') throw new AppError('not-ready', 'Instance building is not ready');
    return { cloud, serverId: 'uuid-of-' + server, url: 'http://proxy:6083/?token=t1', name: server };
  },
  resolve: async (url, cloud) => {
    calls.push(`resolve ${url} ${cloud ?? '-'}`);
    return { cloud: cloud ?? 'default', instanceUuid: 'uuid-1', host: '10.0.0.5', port: 2179, internalAccessPath: VM };
  },
};

function fakeGateway() {
  const grants: GrantRequest[] = [];
  const revoked: string[] = [];
  const gateway: GrantIssuer = {
    grant: (req) => {
      grants.push(req);
      return { sessionId: `s${grants.length}`, token: `tok${grants.length}`, destination: `${req.host}:${req.port}`, gatewayUrl: 'ws://127.0.0.1:1/rdcleanpath' };
    },
    revoke: (id) => revoked.push(id),
  };
  return { gateway, grants, revoked };
}

test('a pasted console URL resolves through Nova; a VM id selects the VMConnect order and becomes the blob', async () => {
  const { gateway, grants } = fakeGateway();
  const sessions = new ConsoleSessions({ consoles, gateway });
  const g = rdpGrant(await sessions.open({ kind: 'url', url: 'http://proxy:6083/?token=abcdefab-0000-4000-8000-0000000000ab', cloud: 'prod' }));
  assert.deepEqual(grants[0], { host: '10.0.0.5', port: 2179, preConnectionBlob: VM, vmconnect: true });
  assert.equal(g.destination, '10.0.0.5:2179');
  assert.equal(g.preConnectionBlob, VM);
  assert.equal(g.vmconnect, true);
  assert.equal(g.token, 'tok1');
  assert.equal(g.server?.cloud, 'prod');
  assert.ok(calls.includes('resolve http://proxy:6083/?token=abcdefab-0000-4000-8000-0000000000ab prod'));
});

test('a server from the sidebar fetches a fresh console URL first; the cloud may turn VMConnect off', async () => {
  const { gateway, grants } = fakeGateway();
  const sessions = new ConsoleSessions({ consoles, gateway, vmconnectFor: (cloud) => (cloud === 'lab' ? false : undefined) });
  calls.length = 0;
  const g = rdpGrant(await sessions.open({ kind: 'server', cloud: 'lab', server: 'web-1' }));
  assert.deepEqual(calls, ['consoleUrl lab web-1', 'resolve http://proxy:6083/?token=t1 lab']);
  assert.equal(grants[0].vmconnect, false);
  assert.equal(grants[0].preConnectionBlob, VM, 'the blob is still sent in the standard order');
  assert.equal(g.title, 'web-1');
  assert.equal(g.server?.id, 'uuid-of-web-1');
  await assert.rejects(sessions.open({ kind: 'server', cloud: 'lab', server: 'building' }), (e: unknown) => e instanceof AppError && e.code === 'not-ready');
});

test('a direct address uses the standard order, carries remembered credentials, and close revokes the grant', async () => {
  const { gateway, grants, revoked } = fakeGateway();
  const credentials = createCredentialStore('/nonexistent'); // no SecretBox: memory only, nothing is written
  await credentials.save('rdp.example:3390', { username: 'u', password: 'p' });
  const sessions = new ConsoleSessions({ consoles, gateway, credentials });
  const g = rdpGrant(await sessions.open({ kind: 'address', protocol: 'rdp', host: 'RDP.example', port: 3390 }));
  assert.deepEqual(grants[0], { host: 'RDP.example', port: 3390, preConnectionBlob: undefined, vmconnect: false });
  assert.equal(g.title, 'RDP.example:3390');
  assert.deepEqual(g.credentials, { username: 'u', password: 'p' });
  const v6 = rdpGrant(await sessions.open({ kind: 'address', protocol: 'rdp', host: '[::1]', port: 3389 }));
  assert.equal(grants[1].host, '::1');
  await sessions.close(v6.sessionId);
  assert.deepEqual(revoked, [v6.sessionId]);
  await credentials.save('rdp.example:3390', null);
  assert.equal(await credentials.get('rdp.example:3390'), undefined);
});

test('tab titles are the Nova server name: from the console request, from Horizon\'s title, or from one server lookup', async (t) => {
  const { startFakeCloud } = await import('../openstack/fake-openstack.ts');
  const { createOpenStackConsoles } = await import('../../../electron/openstack/console-service.ts');
  const fake = await startFakeCloud();
  const openstack = createOpenStackConsoles({
    clouds: [{ name: 'c', authType: 'password', auth: { auth_url: fake.authUrl, username: 'admin', password: 'admin-pw', project_name: 'admin' } }],
    timeoutMs: 3000,
  });
  t.after(async () => {
    openstack.close();
    await fake.close();
  });
  const { gateway } = fakeGateway();
  const sessions = new ConsoleSessions({ consoles: openstack, gateway });
  const DB = '66666666-6666-4666-8666-666666666666';
  const WEB = '11111111-1111-4111-8111-111111111111';
  const lookups = () => fake.requests.filter((r) => r.method === 'GET' && /\/servers\/[0-9a-f-]{36}$/.test(r.path)).map((r) => r.path.split('/').pop());

  // Picked by id in the sidebar: the title is the name Nova gave with the console URL.
  const byId = rdpGrant(await sessions.open({ kind: 'server', cloud: 'c', server: DB }));
  assert.equal(byId.title, 'db (primary)');
  assert.deepEqual(byId.server, { cloud: 'c', id: DB, name: 'db (primary)', status: 'UNKNOWN' });

  // A pasted URL without a title: one GET /servers/{id} in the cloud that resolved it.
  const { url } = await openstack.consoleUrl('c', 'web-1');
  const before = lookups().length;
  const pasted = rdpGrant(await sessions.open({ kind: 'url', url }));
  assert.equal(pasted.title, 'web-1');
  assert.equal(pasted.server?.name, 'web-1');
  assert.deepEqual(lookups().slice(before), [WEB]);

  // Horizon's &title=name(uuid) names it without a lookup; a title naming another instance is not believed.
  const fresh = (await openstack.consoleUrl('c', 'web-1')).url;
  const n = lookups().length;
  const horizon = rdpGrant(await sessions.open({ kind: 'url', url: `${fresh}&title=${encodeURIComponent(`web-1 (Horizon)(${WEB})`)}` }));
  assert.equal(horizon.title, 'web-1 (Horizon)');
  assert.equal(lookups().length, n);
  const other = rdpGrant(await sessions.open({ kind: 'url', url: `${(await openstack.consoleUrl('c', 'web-1')).url}&title=${encodeURIComponent(`db(${DB})`)}` }));
  assert.equal(other.title, 'web-1');

  // An instance Nova does not list (deleted meanwhile): the id is the title, the session still opens.
  const GONE = '99999999-9999-4999-8999-999999999999';
  fake.addConsoleToken('abcdefab-0000-4000-8000-000000000001', { instance_uuid: GONE, host: '10.1.1.1', port: 2179 });
  const gone = rdpGrant(await sessions.open({ kind: 'url', url: 'http://127.0.0.1:6083/?token=abcdefab-0000-4000-8000-000000000001', cloud: 'c' }));
  assert.equal(gone.title, GONE);
  assert.equal(gone.destination, '10.1.1.1:2179');

  // A failing lookup (Nova answers 500) falls back to the id as well.
  const failing = new ConsoleSessions({
    consoles: { ...consoles, serverName: async () => Promise.reject(new AppError('unreachable', 'down')) },
    gateway,
  });
  const fallback = await failing.open({ kind: 'url', url: 'http://proxy:6083/?token=abcdefab-0000-4000-8000-0000000000ab' });
  assert.equal(fallback.title, 'uuid-1');
});

test('a direct address with a pre-connection blob: VMConnect order on Hyper-V\'s port 2179, standard order elsewhere', async () => {
  const { gateway, grants } = fakeGateway();
  const sessions = new ConsoleSessions({ consoles, gateway });
  const hyperv = rdpGrant(await sessions.open({ kind: 'address', protocol: 'rdp', host: 'hv1.example', port: 2179, preConnectionBlob: VM }));
  assert.deepEqual(grants[0], { host: 'hv1.example', port: 2179, preConnectionBlob: VM, vmconnect: true });
  assert.equal(hyperv.preConnectionBlob, VM);
  assert.equal(hyperv.vmconnect, true);
  const pooled = rdpGrant(await sessions.open({ kind: 'address', protocol: 'rdp', host: 'broker.example', port: 3389, preConnectionBlob: 'pool-7' }));
  assert.deepEqual(grants[1], { host: 'broker.example', port: 3389, preConnectionBlob: 'pool-7', vmconnect: false });
  assert.equal(pooled.preConnectionBlob, 'pool-7');
  // Port 2179 without a blob is not a Hyper-V console (it could not route to a VM): standard order.
  rdpGrant(await sessions.open({ kind: 'address', protocol: 'rdp', host: 'hv1.example', port: 2179 }));
  assert.equal(grants[2].vmconnect, false);
  await assert.rejects(
    sessions.open({ kind: 'address', protocol: 'rdp', host: 'hv1.example', port: 2179, preConnectionBlob: 'a\u0000b' }),
    (e: unknown) => e instanceof AppError && e.code === 'bad-request' && /pre-connection blob cannot be used: .*NUL/.test(e.message),
  );
  assert.equal(grants.length, 3, 'no grant for a blob that cannot be sent');
});

test('a direct address with a blob through the real gateway: the PDU V2 reaches the server before X.224', async (t) => {
  const { RdpGateway } = await import('../../../electron/rdp/gateway.ts');
  const { makeCert, startRdpDouble } = await import('../rdp/rdp-double.ts');
  const { openWs, requestPdu, sendRaw } = await import('../rdp/gateway-client.ts');
  const double = await startRdpDouble({ order: 'standard', cert: makeCert() });
  const gw = new RdpGateway({ verifyCertificate: async () => true, onStatus: () => {} });
  await gw.listen();
  t.after(async () => {
    await gw.close();
    await double.close();
  });
  const sessions = new ConsoleSessions({ consoles, gateway: gw });
  const grant = rdpGrant(await sessions.open({ kind: 'address', protocol: 'rdp', host: '127.0.0.1', port: double.port, preConnectionBlob: VM }));
  assert.equal(grant.vmconnect, false);
  const ws = await openWs(grant.gatewayUrl);
  const answer = await sendRaw(ws, requestPdu({ destination: grant.destination, proxyAuth: grant.token, preconnectionBlob: grant.preConnectionBlob }));
  ws.close();
  assert.equal(answer.pdu?.error, undefined);
  const conv = double.conversations[0];
  assert.deepEqual(conv.steps.slice(0, 2), ['pcb', 'x224']);
  // cchPCB counts two terminating NULs; the id follows as UTF-16LE.
  // eslint-disable-next-line no-control-regex -- the pattern strips the NUL terminators the blob carries: matching a control character is its purpose
  assert.equal(conv.pcb!.subarray(18).toString('utf16le').replace(/\u0000+$/, ''), VM);
});

function fakeRelay() {
  const destinations: RelayDestination[] = [];
  const revoked: string[] = [];
  let n = 0;
  const relay: RelayIssuer = {
    grant: (destination) => {
      destinations.push(destination);
      const endpoint = destination.kind === 'tcp' ? `${destination.host}:${destination.port}` : new URL(destination.url).host;
      return { sessionId: `vnc-${++n}`, relayUrl: `ws://127.0.0.1:1/relay?grant=g${n}`, endpoint };
    },
    revoke: (id) => void revoked.push(id),
  };
  return { relay, destinations, revoked };
}

test('VNC: a pasted noVNC URL goes to its proxy through the relay, without asking any cloud', async () => {
  calls.length = 0;
  const { gateway } = fakeGateway();
  const { relay, destinations, revoked } = fakeRelay();
  const sessions = new ConsoleSessions({ consoles, gateway, relay });
  const g = await sessions.open({ kind: 'url', url: 'https://cloud.example:6080/vnc_auto.html?path=%3Ftoken%3Dvnc-token-1&title=web-1(5f3f8a2e-4b5c-4d1e-9a6b-1c2d3e4f5a6b)' });
  assert.equal(g.protocol, 'vnc');
  assert.deepEqual(destinations, [{ kind: 'websocket', url: 'wss://cloud.example:6080/?token=vnc-token-1' }]);
  assert.equal(g.title, 'web-1', "Horizon's title names the tab");
  assert.deepEqual(calls, [], 'no token lookup: it needs an admin, and the URL already names the proxy');
  await sessions.close(g.sessionId);
  assert.deepEqual(revoked, [g.sessionId]);
});

test('VNC: a server opened as VNC keeps its server (Reconnect asks again); vnc:// goes over TCP; SPICE is explained', async () => {
  const vncConsoles: ConsoleService = {
    ...consoles,
    consoleUrl: async (cloud, server, protocol) => ({ cloud, serverId: 'id-' + server, name: server, protocol: protocol ?? 'vnc', url: 'http://10.0.0.9:6080/vnc_lite.html?path=%3Ftoken%3Dt9' }),
  };
  const { gateway } = fakeGateway();
  const { relay, destinations } = fakeRelay();
  const sessions = new ConsoleSessions({ consoles: vncConsoles, gateway, relay });
  const g = await sessions.open({ kind: 'server', cloud: 'lab', server: 'db-1' });
  assert.equal(g.protocol, 'vnc');
  assert.deepEqual(g.server, { cloud: 'lab', id: 'id-db-1', name: 'db-1', status: 'UNKNOWN' });
  assert.deepEqual(destinations[0], { kind: 'websocket', url: 'ws://10.0.0.9:6080/?token=t9' });

  const direct = await sessions.open({ kind: 'address', protocol: 'vnc', host: '[::1]', port: 5901 });
  assert.deepEqual(destinations[1], { kind: 'tcp', host: '::1', port: 5901 });
  assert.equal(direct.title, '::1:5901');

  await assert.rejects(sessions.open({ kind: 'url', url: 'http://10.0.0.9:6082/spice_auto.html?token=s1' }), (e: unknown) => e instanceof AppError && e.code === 'unavailable');
  const withoutRelay = new ConsoleSessions({ consoles: vncConsoles, gateway });
  await assert.rejects(withoutRelay.open({ kind: 'address', protocol: 'vnc', host: 'h', port: 5900 }), /not available/);
});

test('serial: a pasted ws:// or wss:// URL goes to its proxy through the relay as a serial console, titled host:port', async () => {
  calls.length = 0;
  const { gateway } = fakeGateway();
  const { relay, destinations, revoked } = fakeRelay();
  const sessions = new ConsoleSessions({ consoles, gateway, relay });
  const g = await sessions.open({ kind: 'url', url: ' ws://10.0.0.9:6083/?token=s1-serial#frag ' });
  assert.equal(g.protocol, 'serial');
  assert.deepEqual(destinations, [{ kind: 'websocket', url: 'ws://10.0.0.9:6083/?token=s1-serial', console: 'serial' }]);
  assert.equal(g.title, '10.0.0.9:6083');
  assert.equal(g.server, undefined, 'a pasted serial URL names no server');
  assert.ok(g.protocol === 'serial' && g.relayUrl.startsWith('ws://127.0.0.1:1/relay?grant='));
  const secure = await sessions.open({ kind: 'url', url: 'wss://cloud.example/serial/?token=abc' });
  assert.equal(secure.protocol, 'serial');
  assert.deepEqual(destinations[1], { kind: 'websocket', url: 'wss://cloud.example/serial/?token=abc', console: 'serial' });
  assert.deepEqual(calls, [], 'no cloud is asked: the URL names the proxy and carries the token');
  await sessions.close(g.sessionId);
  assert.deepEqual(revoked, [g.sessionId]);
  const withoutRelay = new ConsoleSessions({ consoles, gateway });
  await assert.rejects(withoutRelay.open({ kind: 'url', url: 'ws://10.0.0.9:6083/?token=s1' }), (e: unknown) => e instanceof AppError && e.code === 'unavailable' && /Serial consoles are not available/.test(e.message));
});

test('serial: a server whose console is serial opens a serial relay grant that keeps its server; a URL that is no serial one is a bad response', async () => {
  let answer = 'ws://10.0.0.9:6083/?token=tok-serial-1';
  const serialConsoles: ConsoleService = {
    ...consoles,
    consoleUrl: async (cloud, server) => ({ cloud, serverId: 'id-' + server, name: server, protocol: 'serial', url: answer }),
  };
  const { gateway } = fakeGateway();
  const { relay, destinations } = fakeRelay();
  const sessions = new ConsoleSessions({ consoles: serialConsoles, gateway, relay });
  const g = await sessions.open({ kind: 'server', cloud: 'lab', server: 'bm-1', protocol: 'serial' });
  assert.equal(g.protocol, 'serial');
  assert.equal(g.title, 'bm-1');
  assert.deepEqual(g.server, { cloud: 'lab', id: 'id-bm-1', name: 'bm-1', status: 'UNKNOWN' });
  assert.deepEqual(destinations, [{ kind: 'websocket', url: 'ws://10.0.0.9:6083/?token=tok-serial-1', console: 'serial' }]);
  answer = 'http://10.0.0.9:6080/vnc_lite.html?path=%3Ftoken%3Dt9';
  await assert.rejects(sessions.open({ kind: 'server', cloud: 'lab', server: 'bm-1', protocol: 'serial' }), (e: unknown) => e instanceof AppError && e.code === 'bad-response');
  assert.equal(destinations.length, 1);
});
