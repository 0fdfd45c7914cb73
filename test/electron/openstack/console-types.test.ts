// Console URLs of every type against the fake Nova: the request form per microversion, the automatic pick in the
// app's order (VNC, RDP, serial) with the per-cloud memory, and the refusals Nova answers for absent types.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { AUTO_CONSOLE_ORDER, createOpenStackConsoles } from '../../../electron/openstack/console-service.ts';
import { classifyConsoleUrl } from '../../../electron/openstack/console-url.ts';
import type { CloudConfig } from '../../../electron/openstack/clouds-config.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import type { ConsoleProtocol } from '../../../electron/common/contract.ts';
import { DEFAULT_SERVERS, startFakeCloud, type FakeCloud, type FakeOptions } from './fake-openstack.ts';

const started: FakeCloud[] = [];
const services: Array<{ close(): void }> = [];
after(async () => {
  for (const s of services) s.close();
  await Promise.all(started.map((f) => f.close()));
});

async function fake(opts: FakeOptions = {}): Promise<FakeCloud> {
  const f = await startFakeCloud(opts);
  started.push(f);
  return f;
}

function cloud(name: string, authUrl: string): CloudConfig {
  return { name, authType: 'password', auth: { auth_url: authUrl, username: 'alice', password: 'alice-pw', project_name: 'demo' } };
}

function service(...clouds: CloudConfig[]) {
  const s = createOpenStackConsoles({ clouds, timeoutMs: 3000 });
  services.push(s);
  return s;
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, `an AppError, got ${inspect(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

/** The console requests a fake received since `from`, as "protocol" (remote-consoles) or the action's name. */
function consoleRequests(f: FakeCloud, from = 0): string[] {
  return f.requests.slice(from).flatMap((r) => {
    if (r.path.endsWith('/remote-consoles')) return [(JSON.parse(r.body) as { remote_console: { protocol: string } }).remote_console.protocol];
    if (r.path.endsWith('/action')) return Object.keys(JSON.parse(r.body) as object);
    return [];
  });
}

const ALL_OK = { vnc: 'ok', spice: 'ok', serial: 'ok', rdp: 'ok' } as const;
const PAIRS: Record<ConsoleProtocol, { type: string; action: string }> = {
  vnc: { type: 'novnc', action: 'os-getVNCConsole' },
  spice: { type: 'spice-html5', action: 'os-getSPICEConsole' },
  serial: { type: 'serial', action: 'os-getSerialConsole' },
  rdp: { type: 'rdp-html5', action: 'os-getRDPConsole' },
};

for (const [maxVersion, sent] of [
  [null, undefined],
  ['2.1', '2.1'],
  ['2.5', '2.5'],
  ['2.6', '2.6'],
  ['2.8', '2.8'],
  ['2.100', '2.95'],
] as const) {
  const modern = sent !== undefined && Number(sent.split('.')[1]) >= 6;
  test(`every type at ${maxVersion === null ? 'an endpoint without microversions' : `max microversion ${maxVersion}`}: ${modern ? 'remote-consoles' : 'the server actions'}`, async () => {
    const f = await fake({ maxVersion, consoles: ALL_OK });
    const s = service(cloud('c', f.authUrl));
    for (const protocol of ['vnc', 'spice', 'serial', 'rdp'] as const) {
      const from = f.requests.length;
      const got = await s.consoleUrl('c', 'web-1', protocol);
      assert.equal(got.protocol, protocol);
      assert.equal(got.serverId, DEFAULT_SERVERS[0].id);
      const req = f.requests.slice(from).find((r) => r.method === 'POST' && r.path.includes('/servers/'))!;
      assert.equal(req.headers['openstack-api-version'], sent === undefined ? undefined : `compute ${sent}`);
      const { type, action } = PAIRS[protocol];
      if (modern) {
        assert.match(req.path, /\/servers\/[^/]+\/remote-consoles$/);
        assert.deepEqual(JSON.parse(req.body), { remote_console: { protocol, type } });
      } else {
        assert.match(req.path, /\/servers\/[^/]+\/action$/);
        assert.deepEqual(JSON.parse(req.body), { [action]: { type } });
      }
      // The URL is of the type asked for (SPICE is one the app explains instead of opening).
      if (protocol === 'spice') assert.throws(() => classifyConsoleUrl(got.url), (e: unknown) => e instanceof AppError && e.code === 'unavailable');
      else assert.equal(classifyConsoleUrl(got.url).protocol, protocol);
    }
  });
}

test('without a type: the first the server offers in the order VNC, RDP, serial; 400 and 501 are skipped, SPICE never asked', async () => {
  assert.deepEqual(AUTO_CONSOLE_ORDER, ['vnc', 'rdp', 'serial']);
  const f = await fake({ consoles: { vnc: 'disabled', rdp: 'not-implemented', spice: 'ok', serial: 'ok' } });
  const s = service(cloud('c', f.authUrl));
  const got = await s.consoleUrl('c', 'web-1');
  assert.equal(got.protocol, 'serial');
  assert.equal(classifyConsoleUrl(got.url).protocol, 'serial');
  assert.deepEqual(consoleRequests(f), ['vnc', 'rdp', 'serial']);

  const libvirt = await fake({ consoles: { vnc: 'ok', spice: 'ok', serial: 'ok' } });
  const s2 = service(cloud('l', libvirt.authUrl));
  const vnc = await s2.consoleUrl('l', 'web-1');
  assert.equal(vnc.protocol, 'vnc');
  const classified = classifyConsoleUrl(vnc.url);
  assert.ok(classified.protocol === 'vnc');
  assert.match(classified.proxy.wsUrl, /^ws:\/\/127\.0\.0\.1:6080\/\?token=[0-9a-f-]{36}$/);
  assert.deepEqual(consoleRequests(libvirt), ['vnc']);
});

test('every type refused: one unavailable error naming what each answered', async () => {
  const f = await fake({ consoles: { vnc: 'disabled', rdp: 'not-implemented', serial: 'disabled', spice: 'ok' } });
  const s = service(cloud('c', f.authUrl));
  const err = await rejectsWith(
    s.consoleUrl('c', 'web-1'),
    'unavailable',
    /^Cloud 'c' offers no console of server web-1 that this app can open: VNC answered 400 "Unavailable console type novnc\.", RDP answered 501 "Unable to get rdp console, functionality not implemented", serial answered 400 "Unavailable console type serial\." \(SPICE is not tried/,
  );
  assert.ok(!/token=/.test(err.message));
  assert.deepEqual(consoleRequests(f), ['vnc', 'rdp', 'serial']);
  // With a type named, that type's own refusal, quoting Nova.
  await rejectsWith(s.consoleUrl('c', 'web-1', 'vnc'), 'unavailable', /^Cloud 'c' offers no VNC console for server web-1 \(Nova: Unavailable console type novnc\.\)$/);
  await rejectsWith(s.consoleUrl('c', 'web-1', 'serial'), 'unavailable', /^Cloud 'c' offers no serial console for server web-1 \(Nova: Unavailable console type serial\.\)$/);
});

test('the type that worked last in a cloud is tried first for its next server; each cloud remembers its own', async () => {
  const WEB1 = DEFAULT_SERVERS[0];
  const WEB2 = DEFAULT_SERVERS[1];
  const DB = DEFAULT_SERVERS[5];
  // A Hyper-V cloud where one server sits on a libvirt host (a 2023.1 cloud may mix both).
  const hyperv = await fake({ consoles: { rdp: 'ok' }, servers: DEFAULT_SERVERS.map((x) => (x.id === DB.id ? { ...x, consoles: { vnc: 'ok', rdp: 'not-implemented' } } : x)) });
  const libvirt = await fake({ consoles: { vnc: 'ok', serial: 'ok' } });
  const s = service(cloud('h', hyperv.authUrl), cloud('l', libvirt.authUrl));

  assert.equal((await s.consoleUrl('h', WEB1.name)).protocol, 'rdp');
  assert.deepEqual(consoleRequests(hyperv), ['vnc', 'rdp']);
  let from = hyperv.requests.length;
  assert.equal((await s.consoleUrl('h', WEB2.name)).protocol, 'rdp');
  assert.deepEqual(consoleRequests(hyperv, from), ['rdp'], 'RDP first: it worked last in this cloud');

  // The other cloud has its own memory: it starts with VNC.
  assert.equal((await s.consoleUrl('l', WEB1.name)).protocol, 'vnc');
  assert.deepEqual(consoleRequests(libvirt), ['vnc']);

  // An explicit choice is not remembered: it is the user's for one server, not the cloud's.
  assert.equal((await s.consoleUrl('l', WEB2.name, 'serial')).protocol, 'serial');
  from = libvirt.requests.length;
  assert.equal((await s.consoleUrl('l', WEB2.name)).protocol, 'vnc');
  assert.deepEqual(consoleRequests(libvirt, from), ['vnc']);

  // The libvirt server of the Hyper-V cloud: RDP first (refused), then VNC, which the cloud then remembers.
  from = hyperv.requests.length;
  assert.equal((await s.consoleUrl('h', DB.name)).protocol, 'vnc');
  assert.deepEqual(consoleRequests(hyperv, from), ['rdp', 'vnc']);
  from = hyperv.requests.length;
  assert.equal((await s.consoleUrl('h', WEB1.name)).protocol, 'rdp');
  assert.deepEqual(consoleRequests(hyperv, from), ['vnc', 'rdp']);
});

test('a server that is not ready stops the pick at the first type (409 is not "unavailable")', async () => {
  const f = await fake({ consoles: ALL_OK });
  const s = service(cloud('c', f.authUrl));
  await rejectsWith(s.consoleUrl('c', 'builder'), 'not-ready', /^Server builder is still building \(Nova: Instance 3333.* is not ready\)$/);
  assert.deepEqual(consoleRequests(f), ['vnc']);
  await rejectsWith(s.consoleUrl('c', 'builder', 'serial'), 'not-ready', /still building/);
});

for (const [release, maxVersion, says] of [
  [29, '2.96', /Invalid input for field\/attribute remote_console\/protocol\. Value: rdp\./],
  [32, '2.100', /Unavailable console type rdp\./],
  [29, '2.5', /The server could not comply with the request/],
] as const) {
  test(`Nova ${release} at ${maxVersion} refuses RDP with 400: unavailable, and the pick moves on`, async () => {
    const f = await fake({ release, maxVersion, consoles: { rdp: 'ok', serial: 'ok' } });
    const s = service(cloud('c', f.authUrl));
    const err = await rejectsWith(s.consoleUrl('c', 'web-1', 'rdp'), 'unavailable', /^Cloud 'c' offers no RDP console for server web-1 \(Nova: /);
    assert.match(err.message, says);
    const got = await s.consoleUrl('c', 'web-1');
    assert.equal(got.protocol, 'serial');
    assert.deepEqual(consoleRequests(f).slice(1), maxVersion === '2.5' ? ['os-getVNCConsole', 'os-getRDPConsole', 'os-getSerialConsole'] : ['vnc', 'rdp', 'serial']);
  });
}

test('an answer of another type than asked is a bad response; an unknown type is a bad request', async () => {
  const f = await fake({
    consoles: ALL_OK,
    override: (req, path) =>
      path.endsWith('/remote-consoles') ? { status: 200, body: { remote_console: { protocol: 'spice', type: 'spice-html5', url: 'http://h:6082/spice_auto.html?token=x' } } } : undefined,
  });
  const s = service(cloud('c', f.authUrl));
  await rejectsWith(s.consoleUrl('c', 'web-1', 'vnc'), 'bad-response', /answered a VNC console request for server web-1 with a console of type "spice"/);
  await rejectsWith(s.consoleUrl('c', 'web-1', 'telnet' as ConsoleProtocol), 'bad-request', /Unknown console protocol "telnet"/);
  await rejectsWith(s.nova('c').consoleUrl({ id: 'x', name: 'x', status: 'ACTIVE' }, 'telnet' as ConsoleProtocol), 'bad-request', /Unknown console protocol/);
});

test("the legacy answer's shape is read for every type, and XML still for RDP", async () => {
  const f = await fake({
    maxVersion: '2.5',
    consoles: ALL_OK,
    override: (req, path, body) => {
      if (!path.endsWith('/action') || !body.includes('os-getRDPConsole')) return undefined;
      const xml = `<?xml version='1.0' encoding='UTF-8'?>\n<console>\n    <type>rdp-html5</type>\n    <url>http://example.com:6083/?token=f9906a48-b71e-4f18-baca-c987da3ebdb3</url>\n</console>`;
      return { status: 200, body: xml, headers: { 'Content-Type': 'application/xml' } };
    },
  });
  const s = service(cloud('c', f.authUrl));
  assert.equal((await s.consoleUrl('c', 'web-1', 'rdp')).url, 'http://example.com:6083/?token=f9906a48-b71e-4f18-baca-c987da3ebdb3');
  assert.match((await s.consoleUrl('c', 'web-1', 'vnc')).url, /^http:\/\/127\.0\.0\.1:6080\/vnc_lite\.html\?path=%3Ftoken%3D/);
});
