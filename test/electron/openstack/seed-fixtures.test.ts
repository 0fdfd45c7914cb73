import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createOpenStackConsoles } from '../../../electron/openstack/console-service.ts';
import { parseBody } from '../../../electron/openstack/envelope.ts';
import { startFakeCloud, type FakeCloud, type FakeReply } from './fake-openstack.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/seed/${name}`, import.meta.url), 'utf8');
const SERVER = '75ecef58-3b8e-4659-ab3b-5501454188e9';
const TOKEN = 'f9906a48-b71e-4f18-baca-c987da3ebdb3';

const started: FakeCloud[] = [];
after(async () => {
  await Promise.all(started.map((f) => f.close()));
});

test('every response example of the seed parses to the same object in JSON and XML', () => {
  const read = (name: string) =>
    parseBody({ status: 200, url: 'http://x/', text: fixture(name), headers: { 'content-type': name.endsWith('.xml') ? 'application/xml' : 'application/json' } });
  const connectJson = read('connect-info-response.json');
  const connectXml = read('connect-info-response.xml') as { console: Record<string, unknown> };
  assert.deepEqual({ ...connectXml.console, port: Number(connectXml.console.port) }, connectJson!.console);
  const urlXml = read('get-rdp-console-response.xml') as { console: { url: string } };
  assert.equal(urlXml.console.url, `http://example.com:6083/?token=${TOKEN}`);
  // An XML body sent without a content type is still recognised by its declaration.
  const untyped = parseBody({ status: 200, url: 'http://x/', text: fixture('connect-info-response.xml'), headers: {} });
  assert.deepEqual(untyped, connectXml);
});

/**
 * A cloud that speaks only the seed's draft API: version v3.0 at /compute/v3, get_rdp_console and
 * get_console_connect_info actions, and no GET /os-console-auth-tokens route. It answers with the seed's examples.
 */
async function seedCloud(format: 'json' | 'xml', dialect: 'v2' | 'v3'): Promise<{ cloud: FakeCloud; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const prefix = dialect === 'v3' ? '/compute/v3' : '/compute/v2';
  const reply = (name: string): FakeReply => ({
    status: 200,
    body: fixture(`${name}.${format}`),
    headers: { 'Content-Type': format === 'xml' ? 'application/xml' : 'application/json' },
  });
  const cloud = await startFakeCloud({
    servers: [{ id: SERVER, name: 'dafa', status: 'ACTIVE', project: 'admin' }],
    catalog: (base) => [{ interface: 'public', region: 'RegionOne', url: base + prefix }],
    override: (req, path, body) => {
      if (!path.startsWith(prefix)) return undefined;
      const rest = path.slice(prefix.length);
      if (rest === '') return { status: 200, body: { version: { id: dialect === 'v3' ? 'v3.0' : 'v2.0', status: 'EXPERIMENTAL', version: '', min_version: '' } } };
      if (req.headers['openstack-api-version']) return { status: 400, body: { badRequest: { code: 400, message: 'no microversions here' } } };
      if (rest === `/servers/${SERVER}`) return { status: 200, body: { server: { id: SERVER, name: 'dafa', status: 'ACTIVE' } } };
      if (rest.endsWith('/action') && req.method === 'POST') {
        bodies.push(JSON.parse(body));
        if (rest === `/servers/${SERVER}/action`) return reply('get-rdp-console-response');
        if (rest === `/console-auth-tokens/${TOKEN}/action`) return reply('connect-info-response');
      }
      return { status: 404, body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } } };
    },
  });
  started.push(cloud);
  return { cloud, bodies };
}

for (const dialect of ['v2', 'v3'] as const) {
  for (const format of ['json', 'xml'] as const) {
    test(`the seed's ${dialect} API answering in ${format.toUpperCase()}: console URL and connect info`, async () => {
      const { cloud, bodies } = await seedCloud(format, dialect);
      const s = createOpenStackConsoles({
        clouds: [{ name: 'seed', authType: 'password', auth: { auth_url: cloud.authUrl, username: 'admin', password: 'admin-pw', project_name: 'admin' } }],
      });
      try {
        const got = await s.consoleUrl('seed', SERVER, 'rdp');
        assert.equal(got.serverId, SERVER);
        assert.match(got.url, new RegExp(`^http://example\\.com:6083/\\?token=${TOKEN}`));
        const info = await s.resolve(got.url);
        assert.deepEqual(info, {
          cloud: 'seed',
          instanceUuid: 'b48316c5-71e8-45e4-9884-6c78055b9b13',
          host: 'localhost',
          port: 3389,
          internalAccessPath: '51af38c3-555e-4884-a314-6c8cdde37444',
        });
        assert.deepEqual(bodies[0], JSON.parse(fixture(`${dialect}-get-rdp-console-request.json`)));
        assert.deepEqual(bodies[1], JSON.parse(fixture(`${dialect}-connect-info-request.json`)));
        // The modern lookup was tried first and found absent.
        assert.ok(cloud.requests.some((r) => r.method === 'GET' && r.path.includes('/os-console-auth-tokens/')));
      } finally {
        s.close();
      }
    });
  }
}
