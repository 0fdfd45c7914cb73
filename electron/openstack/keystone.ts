import type { CloudConfig } from './clouds-config.ts';
import { AppError, displayUrl } from './errors.ts';
import { isObject, requireBody, serverSays, scalarText } from './envelope.ts';
import type { HttpClient } from './http.ts';

export interface CatalogEndpoint {
  interface: string;
  region?: string;
  url: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface KeystoneToken {
  /** Never printed. */
  id: string;
  /** When to stop using the token, ms on the local clock (Keystone's lifetime minus a margin). */
  expiresAt: number;
  catalog: CatalogService[];
  roles: string[];
  userName?: string;
  projectName?: string;
}

/** Re-authenticate this long before Keystone's expires_at, so a request never leaves with a token about to die. */
const MAX_MARGIN_MS = 60_000;

/**
 * A Keystone v3 session for one cloud: authenticates with a password or an application credential, keeps the token
 * until shortly before its expires_at, and picks service endpoints from the token's catalog.
 */
export class KeystoneSession {
  private cached?: KeystoneToken;
  private pending?: Promise<KeystoneToken>;
  readonly authUrl: string;

  constructor(
    private readonly cloud: CloudConfig,
    private readonly http: HttpClient,
    private readonly now: () => number = Date.now,
  ) {
    this.authUrl = v3Url(cloud.auth.auth_url);
  }

  /** A valid token, from the cache when it still has time left. */
  async token(): Promise<KeystoneToken> {
    const t = this.cached;
    if (t && this.now() < t.expiresAt) return t;
    this.cached = undefined;
    this.pending ??= this.authenticate().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forget a token a service refused (401), so the next token() authenticates again. */
  invalidate(tokenId?: string): void {
    if (!tokenId || this.cached?.id === tokenId) this.cached = undefined;
  }

  /** The URL of a service in the catalog, by type + interface + region. */
  async endpoint(type: string): Promise<string> {
    const token = await this.token();
    return pickEndpoint(token.catalog, type, this.cloud, token.projectName !== undefined);
  }

  private async authenticate(): Promise<KeystoneToken> {
    const url = this.authUrl + '/auth/tokens';
    const res = await this.http.request({ method: 'POST', url, body: authBody(this.cloud) });
    const where = `Keystone at ${displayUrl(this.authUrl)}`;
    if (res.status === 401) {
      throw new AppError('auth-failed', `${where} rejected ${this.whoAmI()} (401)`);
    }
    if (res.status === 403) {
      throw new AppError('auth-failed', `${where} refused a token for ${this.whoAmI()}${this.scopeText()} (403: ${serverSays(res)})`);
    }
    if (res.status === 404) {
      throw new AppError('config', `No Keystone v3 API at ${displayUrl(this.authUrl)} (404): check auth_url of cloud '${this.cloud.name}'`);
    }
    if (res.status === 400) {
      throw new AppError('config', `${where} refused the authentication request of cloud '${this.cloud.name}' (400: ${serverSays(res)})`);
    }
    if (res.status !== 201 && res.status !== 200) {
      throw new AppError('bad-response', `${where} answered ${res.status}: ${serverSays(res)}`);
    }
    const subject = res.headers['x-subject-token'];
    const body = requireBody(res, where);
    const token = body.token;
    if (typeof subject !== 'string' || subject === '' || !isObject(token)) {
      throw new AppError('bad-response', `${where} answered ${res.status} without a token (no X-Subject-Token header or token body)`);
    }
    const expires = Date.parse(String(token.expires_at));
    if (!Number.isFinite(expires)) throw new AppError('bad-response', `${where} sent a token without a valid expires_at`);
    const issued = Date.parse(String(token.issued_at));
    // Measured on the local clock from Keystone's stated lifetime, so a skewed clock on either side does not make
    // every token look expired (or immortal).
    const lifetime = Number.isFinite(issued) ? Math.max(0, expires - issued) : Math.max(0, expires - this.now());
    // A quarter of the lifetime, at most a minute: short-lived tokens (tests, strict clouds) are still reused.
    const margin = Math.min(MAX_MARGIN_MS, lifetime / 4);
    const result: KeystoneToken = {
      id: subject,
      expiresAt: this.now() + lifetime - margin,
      catalog: parseCatalog(token.catalog),
      roles: Array.isArray(token.roles) ? token.roles.map((r) => (isObject(r) ? String(r.name) : '')).filter(Boolean) : [],
      userName: isObject(token.user) && typeof token.user.name === 'string' ? token.user.name : undefined,
      projectName: isObject(token.project) && typeof token.project.name === 'string' ? token.project.name : undefined,
    };
    this.cached = result;
    return result;
  }

  private whoAmI(): string {
    const a = this.cloud.auth;
    if (this.cloud.authType === 'v3applicationcredential') {
      return `application credential '${a.application_credential_id ?? a.application_credential_name}'`;
    }
    return `the password for user '${a.username ?? a.user_id}'`;
  }

  private scopeText(): string {
    const a = this.cloud.auth;
    const p = a.project_name ?? a.project_id;
    return p ? ` on project '${p}'` : '';
  }
}

/** auth_url as the v3 root: openstacksdk users write `…/identity`, `…/v3` or even `…/v2.0`. */
export function v3Url(authUrl: string): string {
  let u = authUrl.trim().replace(/\/+$/, '');
  if (/\/v2\.0$/.test(u)) u = u.slice(0, -'/v2.0'.length);
  return /\/v3$/.test(u) ? u : u + '/v3';
}

function authBody(cloud: CloudConfig): unknown {
  const a = cloud.auth;
  if (cloud.authType === 'v3applicationcredential') {
    const cred: Record<string, unknown> = { secret: a.application_credential_secret };
    if (a.application_credential_id) cred.id = a.application_credential_id;
    else {
      cred.name = a.application_credential_name;
      cred.user = userRef(cloud);
    }
    // An application credential carries its own project: Keystone refuses an explicit scope for it.
    return { auth: { identity: { methods: ['application_credential'], application_credential: cred } } };
  }
  const identity = { methods: ['password'], password: { user: { ...userRef(cloud), password: a.password ?? '' } } };
  let scope: unknown;
  if (a.project_id) scope = { project: { id: a.project_id } };
  else if (a.project_name) {
    const domain = a.project_domain_id ? { id: a.project_domain_id } : { name: a.project_domain_name ?? 'Default' };
    scope = { project: { name: a.project_name, domain } };
  }
  return { auth: scope ? { identity, scope } : { identity } };
}

function userRef(cloud: CloudConfig): Record<string, unknown> {
  const a = cloud.auth;
  if (a.user_id) return { id: a.user_id };
  const domain = a.user_domain_id ? { id: a.user_domain_id } : { name: a.user_domain_name ?? 'Default' };
  return { name: a.username, domain };
}

function parseCatalog(raw: unknown): CatalogService[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).map((s) => ({
    type: scalarText(s.type),
    name: typeof s.name === 'string' ? s.name : undefined,
    endpoints: (Array.isArray(s.endpoints) ? s.endpoints : []).filter(isObject).map((e) => ({
      interface: scalarText(e.interface),
      region: typeof e.region_id === 'string' ? e.region_id : typeof e.region === 'string' ? e.region : undefined,
      url: scalarText(e.url),
    })),
  }));
}

/**
 * `scoped`: the token names a project. An unscoped token gets an empty catalog, so then the hint is the scope; a
 * scoped one means the cloud offers the service to nobody on that project.
 */
export function pickEndpoint(catalog: CatalogService[], type: string, cloud: CloudConfig, scoped = true): string {
  const iface = cloud.interface ?? 'public';
  const region = cloud.regionName;
  const services = catalog.filter((s) => s.type === type);
  const all = services.flatMap((s) => s.endpoints);
  const match = all.find((e) => e.interface === iface && (!region || e.region === region) && e.url);
  if (match) return match.url;
  if (all.length === 0) {
    const hint = scoped ? 'the cloud offers none to this project' : 'the token has no project scope: set project_name or project_id';
    throw new AppError('config', `Cloud '${cloud.name}': the Keystone catalog has no ${type} service (${hint})`);
  }
  const offered = all.map((e) => `${e.interface}${e.region ? '/' + e.region : ''}`).join(', ');
  throw new AppError('config', `Cloud '${cloud.name}': the Keystone catalog has no ${type} endpoint for interface ${iface}${region ? ` in region ${region}` : ''} (offered: ${offered})`);
}
