// What Keystone and Nova answer, in JSON or in the seed's XML: a cloud (or whatever answers at its address) controls
// every byte. Readers return undefined or a refusal for what they cannot use; the session and client throw AppError.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CloudConfig } from '../../electron/openstack/clouds-config.ts';
import { NovaClient } from '../../electron/openstack/compute.ts';
import { isObject, parseBody, parseErrorEnvelope, serverSays } from '../../electron/openstack/envelope.ts';
import { AppError } from '../../electron/openstack/errors.ts';
import type { HttpClient, HttpRequest, HttpResponse } from '../../electron/openstack/http.ts';
import { KeystoneSession, pickEndpoint } from '../../electron/openstack/keystone.ts';
import { parseMicroversion, readVersionDocument } from '../../electron/openstack/microversion.ts';
import { readServerDetails } from '../../electron/openstack/server-details.ts';
import { expectTypedAsync, holds, type FuzzTarget } from './harness.ts';
import { anyText, jsonish, jsonObject, mutatedText } from './mutate.ts';

const SEED_DIR = fileURLToPath(new URL('../fixtures/seed/', import.meta.url));
const seedXml = ['connect-info-response.xml', 'get-rdp-console-response.xml', 'v2-get-rdp-console-request.xml', 'v3-connect-info-request.xml'].map((f) =>
  readFileSync(SEED_DIR + f, 'utf8'),
);

const ENVELOPE_FIELDS = ['itemNotFound', 'badRequest', 'conflictingRequest', 'error', 'computeFault', 'message', 'explanation', 'code', 'title', 'details'];
const XML_SYNTAX = ['<', '>', '</', '/>', '<?xml version="1.0"?>', '<!DOCTYPE x [<!ENTITY e "ee">]>', '&e;', '&amp;', '&#x41;', '&#0;', '<![CDATA[', ']]>', '<!--', '-->', ' a="1"', ' xmlns="urn:x"', '<message>', '</message>', '<code>', '</code>', '<toString>', '<__proto__>', '\n'];

/** XML trees in the shape OpenStack's XML answers take, element names drawn from `fields`. */
function xmlText(fields: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', '?xml') });
  const { node } = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      fc.tuple(name, fc.stringMatching(/^[^<&]{0,12}$/)).map(([n, t]) => `<${n}>${t}</${n}>`),
      fc.tuple(name, fc.array(tie('node'), { maxLength: 4 })).map(([n, kids]) => `<${n}>${kids.join('')}</${n}>`),
      fc.tuple(name, name, fc.string({ maxLength: 6 })).map(([n, a, v]) => `<${n} ${a}="${v.replace(/"/g, '')}"/>`),
    ),
  }));
  return fc.tuple(fc.boolean(), node).map(([decl, body]) => `${decl ? "<?xml version='1.0' encoding='UTF-8'?>\n" : ''}${body}`);
}

/** Entity definitions that expand to a lot of text (the XML decompression bomb), small as text. */
const xmlEntityBomb = fc.integer({ min: 2, max: 8 }).map((levels) => {
  const defs = ['<!ENTITY e0 "xxxxxxxxxx">'];
  for (let i = 1; i < levels; i++) defs.push(`<!ENTITY e${i} "${`&e${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>\n<!DOCTYPE x [${defs.join('')}]>\n<x><message>&e${levels - 1};</message></x>`;
});

/** Bodies an OpenStack service may send: JSON objects and values, XML, and text that is neither. */
function bodyText(fields: readonly string[], strings: readonly string[] = []): fc.Arbitrary<{ type: string; text: string }> {
  const type = fc.constantFrom('application/json', 'application/xml', 'text/xml; charset=utf-8', 'text/html', '', 'application/json; charset=utf-8');
  const text = fc.oneof(
    { weight: 4, arbitrary: jsonObject(fields, strings).map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: jsonish(fields, strings).map((v) => JSON.stringify(v) ?? '') },
    { weight: 2, arbitrary: xmlText(fields) },
    { weight: 2, arbitrary: mutatedText(fc.constantFrom(...seedXml), XML_SYNTAX) },
    { weight: 1, arbitrary: mutatedText(jsonObject(fields, strings).map((o) => JSON.stringify(o)), ['{', '}', '[', ']', '"', ':', ',', '\\u0000', '1e999', 'null']) },
    { weight: 1, arbitrary: xmlEntityBomb },
    { weight: 1, arbitrary: anyText(100) },
  );
  return fc.record({ type, text });
}

const response = (status: number, b: { type: string; text: string }, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': b.type, ...headers },
  text: b.text,
  url: 'http://cloud.example/compute/v2.1/servers',
});

export const novaEnvelope: FuzzTarget<{ status: number; body: { type: string; text: string } }> = {
  name: 'nova-envelope',
  arbitrary: fc.record({ status: fc.constantFrom(200, 400, 401, 403, 404, 409, 500, 501), body: bodyText(ENVELOPE_FIELDS) }),
  check({ status, body }) {
    // None of these may throw: they read the answer of a service that already failed.
    const res = response(status, body);
    const parsed = parseBody(res);
    holds(parsed === undefined || isObject(parsed), 'a body is an object or undefined');
    if (body.type.includes('json') && !body.type.includes('xml')) {
      let expected: unknown;
      try {
        expected = JSON.parse(body.text.trim());
      } catch {
        expected = undefined;
      }
      holds(JSON.stringify(parsed) === JSON.stringify(isObject(expected) ? expected : undefined), 'a JSON body reads as JSON.parse reads it');
    }
    const env = parseErrorEnvelope(res);
    if (env) {
      holds(typeof env.name === 'string' && typeof env.message === 'string', 'an envelope has a name and a message');
      holds(env.code === undefined || Number.isFinite(env.code), 'an envelope code is a finite number');
    }
    holds(typeof serverSays(res) === 'string', 'the server says something');
  },
};

const VERSION_FIELDS = ['version', 'versions', 'id', 'status', 'min_version', 'links', 'updated', 'CURRENT', 'SUPPORTED'];
const VERSION_STRINGS = ['v2.1', 'v2.0', 'v3.0', 'CURRENT', 'SUPPORTED', 'DEPRECATED', '2.1', '2.95', ' 2.6 ', '2.', '10.1000', '1e3.1', ''];

export const novaVersions: FuzzTarget<{ body: Record<string, unknown>; endpoint: string; mv: unknown }> = {
  name: 'nova-versions',
  arbitrary: fc.record({
    body: jsonObject(VERSION_FIELDS, VERSION_STRINGS, 4),
    endpoint: fc.oneof(fc.constantFrom('http://h/compute/v2.1', 'http://h/compute/v2.1/abc', 'http://h:8774/', 'http://h/v3', 'not a url', 'http://h/v2/v2.1'), fc.webUrl()),
    mv: fc.oneof(fc.constantFrom(...VERSION_STRINGS), jsonish(VERSION_FIELDS, VERSION_STRINGS, 2)),
  }),
  check({ body, endpoint, mv }) {
    const v = readVersionDocument(body, endpoint);
    if (v) {
      holds(v.id === undefined || typeof v.id === 'string', 'a version id is a string');
      for (const m of [v.min, v.max]) holds(m === undefined || (m.length === 2 && m.every((n) => Number.isInteger(n) && n >= 0)), 'a microversion is two whole numbers');
    }
    const p = parseMicroversion(mv);
    holds(p === undefined || (p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0)), 'a microversion is two whole numbers');
    if (typeof mv === 'string' && /^\d{1,9}\.\d{1,9}$/.test(mv)) holds(p && `${p[0]}.${p[1]}` === mv.replace(/(^|\.)0+(?=\d)/g, '$1'), 'a microversion reads back');
  },
};

const SERVER_FIELDS = ['id', 'name', 'status', 'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state', 'OS-EXT-STS:power_state', 'addresses', 'flavor', 'image', 'created', 'updated', 'tenant_id', 'project_id', 'user_id', 'key_name', 'OS-EXT-AZ:availability_zone', 'locked', 'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname', 'OS-EXT-SRV-ATTR:instance_name', 'fault', 'code', 'message', 'addr', 'version', 'OS-EXT-IPS:type', 'OS-EXT-IPS-MAC:mac_addr', 'original_name', 'vcpus', 'ram', 'disk', 'private', 'public'];
const SERVER_STRINGS = ['ACTIVE', 'fixed', 'floating', '10.0.0.5', 'fe80::1', '2001:db8::1', 'fa:16:3e:00:00:01', ''];

/** A server record as JSON gives it, or as the XML reader turns XML into one. */
const serverRecord = fc.oneof(
  { weight: 3, arbitrary: jsonObject(SERVER_FIELDS, SERVER_STRINGS, 5) },
  {
    weight: 1,
    arbitrary: xmlText(SERVER_FIELDS).map((text) => {
      const body = parseBody(response(200, { type: 'application/xml', text }));
      return body ? (Object.values(body).find(isObject) ?? body) : {};
    }),
  },
);

export const serverDetails: FuzzTarget<Record<string, unknown>> = {
  name: 'server-details',
  arbitrary: serverRecord,
  check(s) {
    // Must never throw: every field of a server record may be missing or of another type.
    const d = readServerDetails('c', s);
    for (const k of ['id', 'name', 'status', 'created', 'projectId'] as const) holds(typeof d[k] === 'string', `${k} is a string`);
    holds(d.powerState === null || Number.isInteger(d.powerState), 'the power state is a whole number or null');
    for (const a of d.addresses) holds(typeof a.address === 'string' && (a.version === 4 || a.version === 6), 'an address has its text and version');
    holds(d.fault === null || d.fault === undefined || (Number.isFinite(d.fault.code) && typeof d.fault.message === 'string'), 'a fault has a code and a message');
    JSON.stringify(d);
  },
};

const cloud = (over: Partial<CloudConfig> = {}): CloudConfig => ({
  name: 'fuzz',
  authType: 'password',
  auth: { auth_url: 'http://keystone.example/v3', username: 'u', password: 'p', project_name: 'p' },
  verify: true,
  ...over,
});

/** An HttpClient that answers every request with the next of `answers` (the last one repeats). */
function scripted(answers: (req: HttpRequest) => HttpResponse): HttpClient {
  return { request: async (req: HttpRequest) => answers(req) } as unknown as HttpClient;
}

const TOKEN_FIELDS = ['token', 'expires_at', 'issued_at', 'catalog', 'roles', 'user', 'project', 'name', 'type', 'endpoints', 'interface', 'region', 'region_id', 'url', 'id', 'compute', 'public', 'internal'];
const TOKEN_STRINGS = ['2030-01-01T00:00:00Z', '2020-01-01T00:00:00.000000Z', 'compute', 'public', 'internal', 'RegionOne', 'http://nova.example/v2.1', 'admin', 'not a date'];

/** A token answer: a real one's skeleton with any part replaced. */
const tokenBody = fc.oneof(
  bodyText(TOKEN_FIELDS, TOKEN_STRINGS),
  fc
    .record({
      expires_at: fc.oneof(fc.constantFrom(...TOKEN_STRINGS), jsonish(TOKEN_FIELDS, TOKEN_STRINGS, 2)),
      issued_at: fc.oneof(fc.constantFrom(...TOKEN_STRINGS), jsonish(TOKEN_FIELDS, TOKEN_STRINGS, 2)),
      catalog: fc.oneof(
        fc.array(fc.record({ type: fc.constantFrom('compute', 'identity'), endpoints: fc.array(jsonObject(TOKEN_FIELDS, TOKEN_STRINGS, 2), { maxLength: 3 }) }), { maxLength: 3 }),
        jsonish(TOKEN_FIELDS, TOKEN_STRINGS, 3),
      ),
      roles: jsonish(TOKEN_FIELDS, TOKEN_STRINGS, 3),
      user: jsonish(TOKEN_FIELDS, TOKEN_STRINGS, 2),
    })
    .map((token) => ({ type: 'application/json', text: JSON.stringify({ token }) })),
);

const isAppError = (err: unknown) => err instanceof AppError && err.message !== '';

export const keystoneToken: FuzzTarget<{ status: number; subject?: string; body: { type: string; text: string }; iface?: string; region?: string }> = {
  name: 'keystone-token',
  async: true,
  arbitrary: fc.record(
    {
      status: fc.constantFrom(200, 201, 201, 201, 400, 401, 403, 404, 500),
      subject: fc.constantFrom('gAAAAtoken', ''),
      body: tokenBody,
      iface: fc.constantFrom('public', 'internal', 'admin'),
      region: fc.constantFrom('RegionOne', 'r2'),
    },
    { requiredKeys: ['status', 'body'] },
  ),
  async check(input) {
    const c = cloud({ interface: input.iface, regionName: input.region });
    const headers: Record<string, string> = input.subject === undefined ? {} : { 'x-subject-token': input.subject };
    const session = new KeystoneSession(c, scripted(() => response(input.status, input.body, headers)), () => 1_000_000);
    const r = await expectTypedAsync(() => session.token(), isAppError);
    if (!('value' in r)) return;
    const t = r.value;
    holds(Number.isFinite(t.expiresAt), 'the token expires at a time');
    holds(t.roles.every((x) => typeof x === 'string'), 'roles are strings');
    holds(t.catalog.every((s) => typeof s.type === 'string' && s.endpoints.every((e) => typeof e.url === 'string' && typeof e.interface === 'string')), 'the catalog is typed');
    const e = await expectTypedAsync(async () => pickEndpoint(t.catalog, 'compute', c), (err) => err instanceof AppError && err.code === 'config');
    if ('value' in e) holds(typeof e.value === 'string' && e.value !== '', 'an endpoint is a URL');
  },
};

const NOVA_FIELDS = ['console', 'remote_console', 'url', 'protocol', 'type', 'host', 'port', 'instance_uuid', 'internal_access_path', 'servers', 'servers_links', 'server', 'rel', 'href', 'id', 'name', 'status', 'version', 'versions', 'min_version', 'itemNotFound', 'message', 'code'];
const NOVA_STRINGS = ['http://proxy:6083/?token=0b9e7d44-7b4c-4c8b-9a41-b2b5f0e1d3c2', 'ws://proxy:6083/?token=abc', 'vnc', 'novnc', 'rdp', 'rdp-html5', 'serial', 'next', 'http://x/servers?marker=m1', 'localhost', '2.95', '2.1', 'v2.1', 'CURRENT', 'ACTIVE'];

type NovaInput = { call: 'console' | 'token' | 'list'; version: { type: string; text: string }; answer: { type: string; text: string }; status: number };

/** A valid Keystone answer whose catalog names the compute endpoint the Nova answers come from. */
const KEYSTONE_OK: HttpResponse = {
  status: 201,
  headers: { 'content-type': 'application/json', 'x-subject-token': 'tok' },
  text: JSON.stringify({ token: { expires_at: '2030-01-01T00:00:00Z', catalog: [{ type: 'compute', endpoints: [{ interface: 'public', url: 'http://nova.example/v2.1' }] }], roles: [{ name: 'admin' }] } }),
  url: 'http://keystone.example/v3/auth/tokens',
};

export const novaAnswers: FuzzTarget<NovaInput> = {
  name: 'nova-answers',
  async: true,
  arbitrary: fc.record({
    call: fc.constantFrom('console', 'token', 'list'),
    version: fc.oneof(
      bodyText(NOVA_FIELDS, NOVA_STRINGS),
      fc.constantFrom({ type: 'application/json', text: '{"version": {"id": "v2.1", "version": "2.95", "min_version": "2.1"}}' }, { type: 'application/json', text: '{"version": {"id": "v2.1", "version": "", "min_version": ""}}' }),
    ),
    answer: bodyText(NOVA_FIELDS, NOVA_STRINGS),
    status: fc.constantFrom(200, 200, 200, 400, 401, 404, 405, 409, 500, 501),
  }),
  async check(input) {
    const c = cloud();
    const http = scripted((req) => {
      if (req.url.endsWith('/auth/tokens')) return KEYSTONE_OK;
      if (req.method === 'GET' && /\/v2\.1$|\/$/.test(req.url)) return response(200, input.version);
      return response(input.status, input.answer);
    });
    const nova = new NovaClient(c, http, new KeystoneSession(c, http));
    const r = await expectTypedAsync(async () => {
      switch (input.call) {
        case 'console':
          return nova.consoleUrl({ id: 's1', name: 'vm', status: 'ACTIVE' }, 'vnc');
        case 'token':
          return nova.resolveToken('0b9e7d44-7b4c-4c8b-9a41-b2b5f0e1d3c2');
        case 'list':
          return nova.listServers();
      }
    }, isAppError);
    if (!('value' in r)) return;
    const v = r.value;
    if (typeof v === 'string') holds(v !== '' && v === v.trim(), 'a console URL is trimmed text');
    else if ('servers' in v) holds(v.servers.every((s) => typeof s.id === 'string' && typeof s.name === 'string' && s.addresses.every((a) => typeof a === 'string')), 'servers are typed');
    else holds(typeof v.host === 'string' && v.host !== '' && Number.isInteger(v.port) && v.port >= 1 && v.port <= 65535, 'a console connection has a host and a port');
  },
};

export const targets = [novaEnvelope, novaVersions, serverDetails, keystoneToken, novaAnswers];
