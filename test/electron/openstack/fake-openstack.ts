// A deliberately small Keystone + Nova for the client's unit tests. It is not the demo cloud (electron/mock): it
// exists so each test can bend one behaviour (a 500, garbage, an old API, a revoked token) and see the client's
// answer. It follows the real services' request and response forms as documented by OpenStack.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface FakeUser {
  username: string;
  password: string;
  project: string;
  roles: string[];
}

export interface FakeServer {
  id: string;
  name: string;
  status: string;
  project: string;
  /** This server's host's console types (a cloud mixing Hyper-V and libvirt hosts); unlisted ones: the cloud's. */
  consoles?: FakeConsoles;
}

/**
 * What a compute host answers for one console type: a URL, 400 "Unavailable console type <type>." (disabled on the
 * host: `[vnc] enabled = False`, no serial ports…) or 501 (the driver has no such console).
 */
export type FakeConsoleSupport = 'ok' | 'disabled' | 'not-implemented';
export type FakeConsoles = Partial<Record<'vnc' | 'spice' | 'serial' | 'rdp' | 'mks', FakeConsoleSupport>>;

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeOptions {
  tls?: { key: string; cert: string };
  users?: FakeUser[];
  appCreds?: Array<{ id: string; secret: string; project: string; roles: string[] }>;
  /** Max microversion; null = a v2.0 endpoint without microversions. */
  maxVersion?: string | null;
  /** How console tokens are looked up: the modern GET, or only the seed's draft action. */
  lookup?: 'get' | 'legacy-json' | 'legacy-xml';
  servers?: FakeServer[];
  tokenTtlSeconds?: number;
  now?: () => number;
  /** Catalog endpoints (default: one public compute endpoint in RegionOne). */
  catalog?: (base: string) => Array<{ interface: string; region: string; url: string }>;
  /** Before a request is handled: its answer waits for the promise returned (requests kept in flight together). */
  hold?: (method: string, path: string) => Promise<void> | undefined;
  /** Runs first; a reply replaces the normal handling. */
  override?: (req: IncomingMessage, path: string, body: string) => FakeReply | undefined;
  /** Base of RDP console URLs (default http://127.0.0.1:6083/). */
  consoleBase?: string;
  /** Base of noVNC console URLs (default http://127.0.0.1:6080/vnc_lite.html); the token goes in `?path=`. */
  vncBase?: string;
  /** The compute hosts' console types (default: RDP only, a Hyper-V cloud; unlisted types answer 501). */
  consoles?: FakeConsoles;
  /**
   * Nova's major release (default 27, 2023.1). From 29 (2024.1) RDP is gone: os-getRDPConsole answers 400, and
   * remote-consoles refuses protocol rdp with a schema 400 (29-31) or "Unavailable console type rdp." (32+).
   */
  release?: number;
}

export interface FakeCloud {
  base: string;
  authUrl: string;
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }>;
  /** Keystone tokens issued so far. */
  issued: string[];
  /** Invalidates every Keystone token (the next Nova call answers 401). */
  revokeAll(): void;
  /** Registers a console token as Nova would after a console URL request. */
  addConsoleToken(token: string, info: { instance_uuid: string; host: string; port: number; internal_access_path?: string }): void;
  close(): Promise<void>;
}

export const DEFAULT_USERS: FakeUser[] = [
  { username: 'admin', password: 'admin-pw', project: 'admin', roles: ['admin', 'member', 'reader'] },
  { username: 'alice', password: 'alice-pw', project: 'demo', roles: ['member', 'reader'] },
];

export const DEFAULT_SERVERS: FakeServer[] = [
  { id: '11111111-1111-4111-8111-111111111111', name: 'web-1', status: 'ACTIVE', project: 'demo' },
  { id: '22222222-2222-4222-8222-222222222222', name: 'web-2', status: 'ACTIVE', project: 'demo' },
  { id: '33333333-3333-4333-8333-333333333333', name: 'builder', status: 'BUILD', project: 'demo' },
  { id: '44444444-4444-4444-8444-444444444444', name: 'twin', status: 'ACTIVE', project: 'demo' },
  { id: '55555555-5555-4555-8555-555555555555', name: 'twin', status: 'SHUTOFF', project: 'demo' },
  { id: '66666666-6666-4666-8666-666666666666', name: 'db (primary)', status: 'ACTIVE', project: 'demo' },
  { id: '77777777-7777-4777-8777-777777777777', name: 'ops-box', status: 'ACTIVE', project: 'admin' },
];

/** The console actions below 2.6: action name → the protocol it serves and the types its schema allows. */
const LEGACY_CONSOLE_ACTIONS: Record<string, { protocol: string; types: string[] }> = {
  'os-getVNCConsole': { protocol: 'vnc', types: ['novnc', 'xvpvnc'] },
  'os-getSPICEConsole': { protocol: 'spice', types: ['spice-html5'] },
  'os-getRDPConsole': { protocol: 'rdp', types: ['rdp-html5'] },
  'os-getSerialConsole': { protocol: 'serial', types: ['serial'] },
};

const fault = (status: number, name: string, message: string): FakeReply => ({ status, body: { [name]: { code: status, message } } });

export async function startFakeCloud(opts: FakeOptions = {}): Promise<FakeCloud> {
  const users = opts.users ?? DEFAULT_USERS;
  const servers = opts.servers ?? DEFAULT_SERVERS;
  const now = opts.now ?? Date.now;
  const ttl = (opts.tokenTtlSeconds ?? 3600) * 1000;
  const maxVersion = opts.maxVersion === undefined ? '2.95' : opts.maxVersion;
  const release = opts.release ?? 27;
  const consoles: FakeConsoles = opts.consoles ?? { rdp: 'ok' };
  const versionPath = maxVersion === null ? '/compute/v2' : '/compute/v2.1';
  const tokens = new Map<string, { project: string; roles: string[]; expires: number }>();
  const consoleTokens = new Map<string, { instance_uuid: string; host: string; port: number; internal_access_path?: string; expires: number }>();
  const requests: FakeCloud['requests'] = [];
  const issued: string[] = [];
  let base = '';

  const handle = (req: IncomingMessage, body: string): FakeReply => {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const over = opts.override?.(req, path, body);
    if (over) return over;

    if (path === '/identity/v3/auth/tokens' && req.method === 'POST') return authenticate(body);
    if (path === '/compute') {
      return { status: 200, body: { versions: [versionDoc('v2.0', null), versionDoc('v2.1', maxVersion)].filter((v) => maxVersion !== null || v.id === 'v2.0') } };
    }
    if (path === versionPath) return { status: 200, body: { version: versionDoc(maxVersion === null ? 'v2.0' : 'v2.1', maxVersion) } };
    if (!path.startsWith(versionPath + '/')) return fault(404, 'itemNotFound', 'The resource could not be found.');

    const auth = tokens.get(String(req.headers['x-auth-token'] ?? ''));
    if (!auth || auth.expires <= now()) {
      return { status: 401, body: { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } }, headers: { 'WWW-Authenticate': `Keystone uri="${base}/identity"` } };
    }
    const mv = microversion(req);
    if (mv === 'bad') return fault(400, 'badRequest', 'Invalid format for API version');
    const rest = path.slice(versionPath.length);
    const admin = auth.roles.includes('admin');

    if (rest === '/servers/detail' && req.method === 'GET') {
      const re = url.searchParams.get('name');
      const status = url.searchParams.get('status');
      const all = admin && url.searchParams.get('all_tenants') === '1';
      let list = servers.filter((s) => all || s.project === auth.project);
      if (re) list = list.filter((s) => new RegExp(re).test(s.name));
      if (status) list = list.filter((s) => s.status === status.toUpperCase());
      const marker = url.searchParams.get('marker');
      if (marker) {
        const at = list.findIndex((s) => s.id === marker);
        if (at < 0) return fault(400, 'badRequest', `marker [${marker}] not found`);
        list = list.slice(at + 1);
      }
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      const page = list.slice(0, limit);
      const out: Record<string, unknown> = { servers: page.map(detail) };
      if (list.length > limit) {
        const next = new URL(url);
        next.searchParams.set('marker', page[page.length - 1].id);
        out.servers_links = [{ rel: 'next', href: next.toString() }];
      }
      return { status: 200, body: out };
    }
    const serverMatch = /^\/servers\/([^/]+)(\/remote-consoles|\/action)?$/.exec(rest);
    if (serverMatch) {
      const s = servers.find((x) => x.id === serverMatch[1] && (admin || x.project === auth.project));
      if (!s) return fault(404, 'itemNotFound', `Instance ${serverMatch[1]} could not be found.`);
      if (!serverMatch[2] && req.method === 'GET') return { status: 200, body: { server: detail(s) } };
      const parsed = JSON.parse(body || 'null') as Record<string, Record<string, unknown> | undefined> | null;
      const modern = serverMatch[2] === '/remote-consoles';
      if (modern && (mv === null || mv[1] < 6)) return fault(404, 'itemNotFound', 'The resource could not be found.');
      if (!modern && mv !== null && mv[1] >= 6) return fault(404, 'itemNotFound', 'The resource could not be found.');
      const asked = modern ? modernConsole(parsed, mv) : legacyConsole(parsed);
      if ('status' in asked) return asked;
      const { protocol, type } = asked;
      if (s.status === 'BUILD') return fault(409, 'conflictingRequest', `Instance ${s.id} is not ready`);
      const support = s.consoles?.[protocol as keyof FakeConsoles] ?? consoles[protocol as keyof FakeConsoles] ?? 'not-implemented';
      if (support === 'disabled') return fault(400, 'badRequest', `Unavailable console type ${type}.`);
      if (support === 'not-implemented') return fault(501, 'notImplemented', `Unable to get ${protocol} console, functionality not implemented`);
      const token = randomUUID();
      consoleTokens.set(token, { instance_uuid: s.id, host: '10.0.0.5', port: protocol === 'rdp' ? 2179 : 5900, internal_access_path: protocol === 'rdp' ? s.id.toUpperCase() : undefined, expires: now() + 600_000 });
      const consoleUrl = {
        rdp: `${opts.consoleBase ?? 'http://127.0.0.1:6083/'}?token=${token}`,
        vnc: `${opts.vncBase ?? 'http://127.0.0.1:6080/vnc_lite.html'}?path=${encodeURIComponent(`?token=${token}`)}`,
        spice: `http://127.0.0.1:6082/spice_auto.html?token=${token}`,
        serial: `ws://127.0.0.1:6083/?token=${token}`,
        mks: `http://127.0.0.1:6090/mks.html?token=${token}`,
      }[protocol]!;
      return modern
        ? { status: 200, body: { remote_console: { protocol, type, url: consoleUrl } } }
        : { status: 200, body: { console: { type, url: consoleUrl } } };
    }
    const lookupGet = /^\/os-console-auth-tokens\/([^/]+)$/.exec(rest);
    const lookupAction = /^\/console-auth-tokens\/([^/]+)\/action$/.exec(rest);
    const mode = opts.lookup ?? 'get';
    if ((lookupGet && req.method === 'GET' && mode === 'get') || (lookupAction && req.method === 'POST' && mode !== 'get')) {
      if (lookupAction && !body.includes('os-getConsoleConnectInfo')) return fault(400, 'badRequest', 'Invalid request body');
      if (!admin) return fault(403, 'forbidden', 'Policy doesn\'t allow os_compute_api:os-console-auth-tokens to be performed.');
      const token = (lookupGet ?? lookupAction)![1];
      const info = consoleTokens.get(token);
      if (!info || info.expires <= now()) return fault(404, 'itemNotFound', 'Token not found');
      const { expires: _e, ...console } = info;
      if (mode === 'legacy-xml') {
        const xml = `<?xml version='1.0' encoding='UTF-8'?>\n<console>\n    <instance_uuid>${console.instance_uuid}</instance_uuid>\n    <host>${console.host}</host>\n    <port>${console.port}</port>\n    <internal_access_path>${console.internal_access_path ?? ''}</internal_access_path>\n</console>`;
        return { status: 200, body: xml, headers: { 'Content-Type': 'application/xml' } };
      }
      return { status: 200, body: { console } };
    }
    return fault(404, 'itemNotFound', 'The resource could not be found.');
  };

  const microversion = (req: IncomingMessage): [number, number] | null | 'bad' => {
    if (maxVersion === null) return null;
    const h = req.headers['openstack-api-version'];
    if (!h) return [2, 1];
    const m = /^compute (\d+)\.(\d+)$/.exec(String(h));
    if (!m) return 'bad';
    return [Number(m[1]), Number(m[2])];
  };

  /** POST remote-consoles (2.6+): Nova's schema (2.8 adds mks/webmks; RDP leaves it in 29), then its type pairing. */
  const modernConsole = (body: Record<string, Record<string, unknown> | undefined> | null, mv: [number, number] | null): FakeReply | { protocol: string; type: string } => {
    const rc = body?.remote_console;
    const mks = mv !== null && mv[1] >= 8;
    const rdpInSchema = release < 29 || release >= 32;
    const protocols = ['vnc', 'spice', ...(rdpInSchema ? ['rdp'] : []), 'serial', ...(mks ? ['mks'] : [])];
    const types = ['novnc', 'xvpvnc', ...(rdpInSchema ? ['rdp-html5'] : []), 'spice-html5', 'serial', ...(mks ? ['webmks'] : [])];
    const protocol = rc?.protocol;
    const type = rc?.type;
    if (typeof protocol !== 'string' || !protocols.includes(protocol)) {
      return fault(400, 'badRequest', `Invalid input for field/attribute remote_console/protocol. Value: ${String(protocol)}. ${JSON.stringify(protocol)} is not one of ${JSON.stringify(protocols)}`);
    }
    if (typeof type !== 'string' || !types.includes(type)) {
      return fault(400, 'badRequest', `Invalid input for field/attribute remote_console/type. Value: ${String(type)}. ${JSON.stringify(type)} is not one of ${JSON.stringify(types)}`);
    }
    // Since 32.0.0 the controller itself refuses RDP.
    if (protocol === 'rdp' && release >= 29) return fault(400, 'badRequest', 'Unavailable console type rdp.');
    const pairs: Record<string, string[]> = { vnc: ['novnc', 'xvpvnc'], spice: ['spice-html5'], rdp: ['rdp-html5'], mks: ['webmks'] };
    if (pairs[protocol] && !pairs[protocol].includes(type)) return fault(400, 'badRequest', `Invalid console type ${type}`);
    return { protocol, type };
  };

  /** The server actions of 2.1-2.5: one per protocol; os-getRDPConsole answers a bare 400 since 29.0.0. */
  const legacyConsole = (body: Record<string, Record<string, unknown> | undefined> | null): FakeReply | { protocol: string; type: string } => {
    const name = Object.keys(body ?? {})[0] ?? '';
    const action = LEGACY_CONSOLE_ACTIONS[name];
    if (!action) return fault(400, 'badRequest', `There is no such action: ${name}`);
    if (action.protocol === 'rdp' && release >= 29) {
      return fault(400, 'badRequest', 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
    }
    const type = body?.[name]?.type;
    if (typeof type !== 'string' || !action.types.includes(type)) {
      return fault(400, 'badRequest', `Invalid input for field/attribute ${name}. Value: ${JSON.stringify(body?.[name])}.`);
    }
    return { protocol: action.protocol, type };
  };

  const versionDoc = (id: string, max: string | null) => ({
    id,
    status: id === 'v2.1' ? 'CURRENT' : 'SUPPORTED',
    version: max ?? '',
    min_version: max ? '2.1' : '',
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${base}/compute/${id === 'v2.0' ? 'v2' : id}/` }],
  });

  const detail = (s: FakeServer) => ({
    id: s.id,
    name: s.name,
    status: s.status,
    tenant_id: s.project,
    'OS-EXT-STS:task_state': s.status === 'BUILD' ? 'spawning' : null,
    'OS-EXT-STS:power_state': s.status === 'ACTIVE' ? 1 : 0,
    addresses: { private: [{ version: 4, addr: '10.1.0.' + (servers.indexOf(s) + 10) }] },
  });

  const authenticate = (body: string): FakeReply => {
    const req = JSON.parse(body);
    const identity = req.auth.identity;
    let project: string;
    let roles: string[];
    if (identity.methods[0] === 'password') {
      const u = identity.password.user;
      const user = users.find((x) => x.username === u.name && x.password === u.password && u.domain?.name === 'Default');
      if (!user) return { status: 401, body: { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } } };
      const scope = req.auth.scope?.project;
      if (scope && scope.name !== user.project) return { status: 401, body: { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } } };
      project = user.project;
      roles = user.roles;
    } else {
      const c = identity.application_credential;
      const cred = (opts.appCreds ?? []).find((x) => x.id === c.id && x.secret === c.secret);
      if (!cred || req.auth.scope) return { status: 401, body: { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } } };
      project = cred.project;
      roles = cred.roles;
    }
    const id = 'gAAAA' + randomUUID().replace(/-/g, '');
    const expires = now() + ttl;
    tokens.set(id, { project, roles, expires });
    issued.push(id);
    const catalog = (opts.catalog ?? ((b) => [{ interface: 'public', region: 'RegionOne', url: b + versionPath }]))(base);
    return {
      status: 201,
      headers: { 'X-Subject-Token': id },
      body: {
        token: {
          methods: identity.methods,
          expires_at: new Date(expires).toISOString().replace('Z', '000Z'),
          issued_at: new Date(now()).toISOString().replace('Z', '000Z'),
          user: { name: 'someone', domain: { name: 'Default', id: 'default' } },
          project: { name: project, id: project + '-id', domain: { id: 'default', name: 'Default' } },
          roles: roles.map((r) => ({ name: r, id: r + '-id' })),
          catalog: [
            { type: 'identity', name: 'keystone', endpoints: [{ interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: base + '/identity' }] },
            { type: 'compute', name: 'nova', endpoints: catalog.map((e) => ({ ...e, region_id: e.region })) },
          ],
        },
      },
    };
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const held = opts.hold?.(req.method ?? '', req.url ?? '');
      if (held) void held.then(() => answer(body));
      else answer(body);
    });
    const answer = (body: string) => {
      let reply: FakeReply;
      try {
        reply = handle(req, body);
      } catch (err) {
        reply = fault(500, 'computeFault', 'fake failed: ' + (err as Error).message);
      }
      const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(text);
    };
  };
  const server: Server = opts.tls ? createHttps({ key: opts.tls.key, cert: opts.tls.cert }, listener) : createHttp(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    base,
    authUrl: base + '/identity/v3',
    requests,
    issued,
    revokeAll: () => tokens.clear(),
    addConsoleToken: (token, info) => consoleTokens.set(token, { ...info, expires: now() + 600_000 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
