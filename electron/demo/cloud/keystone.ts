// Keystone v3 as devstack serves it under /identity: version documents, password and application-credential
// authentication with Keystone's own validation wording, token validation and revocation, and the service catalog
// (identity, compute, image and network, public/internal/admin in RegionOne). Tokens live in memory and expire on the injected clock.
import { randomBytes } from 'node:crypto';
import { header, sendEmpty, sendJson, type Exchange } from './http.ts';
import { KEYSTONE_UNAUTHORIZED, KeystoneError, keystoneErrorBody, keystoneMissing } from './errors.ts';
import {
  APPLICATION_CREDENTIALS,
  DOMAIN,
  PROJECTS,
  REGION,
  ROLE_IDS,
  USERS,
  type ApplicationCredential,
  type Project,
  type User,
} from './demo-data.ts';

/** What Nova learns about a caller from keystonemiddleware. */
export interface AuthContext {
  userId: string;
  projectId: string;
  roles: string[];
  isAdmin: boolean;
}

interface IssuedToken extends AuthContext {
  id: string;
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  auditId: string;
  applicationCredential?: ApplicationCredential;
}

export interface IdentityOptions {
  /** http://host:port of the whole demo cloud; the catalog and version documents are built on it. */
  baseUrl: string;
  ttlSeconds: number;
  now: () => number;
}

const UPDATED = '2020-04-07T00:00:00Z';
const VERSION_ID = 'v3.14'; // Keystone 23 (2023.1)

/** Keystone writes timestamps with microseconds. */
function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeError(path: string, value: unknown, expected: string): KeystoneError {
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return new KeystoneError(400, `Invalid input for field '${path}': ${shown} is not of type '${expected}'`);
}

function optionalString(obj: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw typeError(`${path}/${key}`, value, 'string');
  return value;
}

function optionalObject(obj: Record<string, unknown>, key: string, path: string): Record<string, unknown> | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (!isObject(value)) throw typeError(path === '' ? key : `${path}/${key}`, value, 'object');
  return value;
}

export class Identity {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly opts: IdentityOptions) {}

  get identityUrl(): string {
    return `${this.opts.baseUrl}/identity`;
  }

  /** The WWW-Authenticate value Keystone and keystonemiddleware put on their 401s. */
  get wwwAuthenticate(): string {
    return `Keystone uri="${this.identityUrl}"`;
  }

  /** Returns the caller behind a token, or undefined when it is unknown, revoked or expired. */
  validate(tokenId: string | undefined): AuthContext | undefined {
    if (!tokenId) return undefined;
    const token = this.tokens.get(tokenId);
    if (!token) return undefined;
    if (this.opts.now() >= token.expiresAt) {
      this.tokens.delete(tokenId);
      return undefined;
    }
    return token;
  }

  async handle(ex: Exchange, rest: string[]): Promise<void> {
    try {
      await this.route(ex, rest);
    } catch (err) {
      if (!(err instanceof KeystoneError)) throw err;
      const headers = err.status === 401 ? { 'WWW-Authenticate': this.wwwAuthenticate } : undefined;
      sendJson(ex.res, err.status, keystoneErrorBody(err.status, err.message), headers);
    }
  }

  private async route(ex: Exchange, rest: string[]): Promise<void> {
    const path = rest.join('/');
    if (path === '' && (ex.method === 'GET' || ex.method === 'HEAD')) {
      sendJson(ex.res, 300, { versions: { values: [this.versionDoc()] } });
      return;
    }
    if (path === 'v3' && (ex.method === 'GET' || ex.method === 'HEAD')) {
      sendJson(ex.res, 200, { version: this.versionDoc() });
      return;
    }
    if (path === 'v3/auth/tokens') {
      if (ex.method === 'POST') return this.issue(ex);
      if (ex.method === 'GET' || ex.method === 'HEAD') return this.check(ex);
      if (ex.method === 'DELETE') return this.revoke(ex);
      throw new KeystoneError(405, 'The method specified is not allowed for the requested URL.');
    }
    throw new KeystoneError(404, 'The resource could not be found.');
  }

  private versionDoc(): Record<string, unknown> {
    return {
      id: VERSION_ID,
      status: 'stable',
      updated: UPDATED,
      links: [{ rel: 'self', href: `${this.identityUrl}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    };
  }

  private parseBody(ex: Exchange): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(ex.body.toString('utf8'));
    } catch {
      throw keystoneMissing('valid JSON', 'request body');
    }
    if (!isObject(body) || !isObject(body.auth)) throw keystoneMissing('auth', 'request body');
    return body.auth;
  }

  private async issue(ex: Exchange): Promise<void> {
    const auth = this.parseBody(ex);
    const identity = auth.identity;
    if (identity === undefined) throw new KeystoneError(400, "'identity' is a required property");
    if (!isObject(identity)) throw typeError('identity', identity, 'object');
    const methods = identity.methods;
    if (methods === undefined) throw new KeystoneError(400, "Invalid input for field 'identity': 'methods' is a required property");
    if (!Array.isArray(methods)) throw typeError('identity/methods', methods, 'array');
    for (const m of methods) if (typeof m !== 'string') throw typeError('identity/methods/0', m, 'string');
    for (const m of methods as string[]) if (!(m in identity)) throw keystoneMissing(m, 'identity');
    const scope = optionalObject(auth, 'scope', '');

    let user: User;
    let appCred: ApplicationCredential | undefined;
    if (methods.length === 1 && methods[0] === 'password') {
      user = this.passwordUser(identity);
    } else if (methods.length === 1 && methods[0] === 'application_credential') {
      appCred = this.applicationCredential(identity);
      // Application credentials carry their own project and roles and may not ask for a scope.
      if (scope !== undefined) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
      user = USERS.find((u) => u.id === appCred!.userId)!;
    } else {
      throw new KeystoneError(401, 'Attempted to authenticate with an unsupported method.');
    }

    const project = appCred ? PROJECTS.find((p) => p.id === appCred.projectId)! : this.scopeProject(user, scope);
    const roles = appCred ? appCred.roles : (user.roles[project.id] ?? []);
    if (roles.length === 0) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);

    const now = this.opts.now();
    const token: IssuedToken = {
      id: 'gAAAAAB' + randomBytes(132).toString('base64url'),
      userId: user.id,
      projectId: project.id,
      roles,
      isAdmin: roles.includes('admin'),
      methods: methods as string[],
      issuedAt: now,
      expiresAt: now + this.opts.ttlSeconds * 1000,
      auditId: randomBytes(16).toString('base64url').slice(0, 22),
      applicationCredential: appCred,
    };
    this.tokens.set(token.id, token);
    const nocatalog = ex.url.searchParams.has('nocatalog');
    sendJson(ex.res, 201, this.tokenBody(token, user, project, !nocatalog), { 'X-Subject-Token': token.id });
  }

  private passwordUser(identity: Record<string, unknown>): User {
    const password = optionalObject(identity, 'password', 'identity')!;
    const userInfo = optionalObject(password, 'user', 'identity/password');
    if (!userInfo) throw keystoneMissing('user', 'password');
    const id = optionalString(userInfo, 'id', 'identity/password/user');
    const name = optionalString(userInfo, 'name', 'identity/password/user');
    const secret = optionalString(userInfo, 'password', 'identity/password/user');
    if (!id && !name) throw keystoneMissing('id or name', 'user');
    let user: User | undefined;
    if (id) {
      user = USERS.find((u) => u.id === id);
    } else {
      const domain = optionalObject(userInfo, 'domain', 'identity/password/user');
      if (!domain) throw keystoneMissing('domain', 'user');
      this.checkDomain(domain, 'identity/password/user/domain');
      user = USERS.find((u) => u.name === name);
    }
    // Unknown user and wrong password look the same from outside, as in Keystone.
    if (!user || secret === undefined || secret !== user.password) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
    return user;
  }

  private applicationCredential(identity: Record<string, unknown>): ApplicationCredential {
    const info = optionalObject(identity, 'application_credential', 'identity')!;
    const id = optionalString(info, 'id', 'identity/application_credential');
    const name = optionalString(info, 'name', 'identity/application_credential');
    const secret = optionalString(info, 'secret', 'identity/application_credential');
    if (secret === undefined) {
      throw new KeystoneError(400, "Invalid input for field 'identity/application_credential': 'secret' is a required property");
    }
    let cred: ApplicationCredential | undefined;
    if (id) {
      cred = APPLICATION_CREDENTIALS.find((c) => c.id === id);
    } else if (name) {
      const userInfo = optionalObject(info, 'user', 'identity/application_credential');
      if (!userInfo) throw keystoneMissing('user', 'application credential');
      const userId = optionalString(userInfo, 'id', 'identity/application_credential/user');
      const userName = optionalString(userInfo, 'name', 'identity/application_credential/user');
      if (!userId && !userName) throw keystoneMissing('id or name', 'user');
      if (!userId) {
        const domain = optionalObject(userInfo, 'domain', 'identity/application_credential/user');
        if (!domain) throw keystoneMissing('domain', 'user');
        this.checkDomain(domain, 'identity/application_credential/user/domain');
      }
      const owner = USERS.find((u) => (userId ? u.id === userId : u.name === userName));
      cred = APPLICATION_CREDENTIALS.find((c) => c.name === name && c.userId === owner?.id);
    } else {
      throw keystoneMissing('id or name', 'application credential');
    }
    if (!cred || cred.secret !== secret) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
    return cred;
  }

  private checkDomain(domain: Record<string, unknown>, path: string): void {
    const id = optionalString(domain, 'id', path);
    const name = optionalString(domain, 'name', path);
    if (!id && !name) throw keystoneMissing('id or name', 'domain');
    if ((id && id !== DOMAIN.id) || (!id && name !== DOMAIN.name)) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
  }

  private scopeProject(user: User, scope: Record<string, unknown> | undefined): Project {
    // Without a scope Keystone scopes to the user's default project, which both demo users have.
    if (scope === undefined) return PROJECTS.find((p) => p.id === user.defaultProjectId)!;
    const projectInfo = optionalObject(scope, 'project', 'scope');
    // Domain and system scopes exist in Keystone, but no demo user holds a role on them.
    if (!projectInfo) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
    const id = optionalString(projectInfo, 'id', 'scope/project');
    const name = optionalString(projectInfo, 'name', 'scope/project');
    if (!id && !name) throw keystoneMissing('id or name', 'project');
    if (!id) {
      const domain = optionalObject(projectInfo, 'domain', 'scope/project');
      if (!domain) throw keystoneMissing('domain', 'project');
      this.checkDomain(domain, 'scope/project/domain');
    }
    const project = PROJECTS.find((p) => (id ? p.id === id : p.name === name));
    if (!project) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
    return project;
  }

  private check(ex: Exchange): void {
    const caller = this.validate(header(ex.req, 'X-Auth-Token'));
    if (!caller) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
    const subjectId = header(ex.req, 'X-Subject-Token') ?? '';
    const subject = this.validate(subjectId) ? this.tokens.get(subjectId) : undefined;
    if (!subject) throw new KeystoneError(404, `Could not find token: ${subjectId}.`);
    const user = USERS.find((u) => u.id === subject.userId)!;
    const project = PROJECTS.find((p) => p.id === subject.projectId)!;
    const body = this.tokenBody(subject, user, project, !ex.url.searchParams.has('nocatalog'));
    if (ex.method === 'HEAD') sendEmpty(ex.res, 200, { 'X-Subject-Token': subject.id });
    else sendJson(ex.res, 200, body, { 'X-Subject-Token': subject.id });
  }

  private revoke(ex: Exchange): void {
    const caller = this.validate(header(ex.req, 'X-Auth-Token'));
    if (!caller) throw new KeystoneError(401, KEYSTONE_UNAUTHORIZED);
    const subjectId = header(ex.req, 'X-Subject-Token') ?? '';
    if (!this.validate(subjectId)) throw new KeystoneError(404, `Could not find token: ${subjectId}.`);
    this.tokens.delete(subjectId);
    sendEmpty(ex.res, 204);
  }

  private tokenBody(token: IssuedToken, user: User, project: Project, withCatalog: boolean): Record<string, unknown> {
    const domain = { id: DOMAIN.id, name: DOMAIN.name };
    const body: Record<string, unknown> = {
      methods: token.methods,
      user: { domain, id: user.id, name: user.name, password_expires_at: null },
      audit_ids: [token.auditId],
      expires_at: keystoneTime(token.expiresAt),
      issued_at: keystoneTime(token.issuedAt),
      project: { domain, id: project.id, name: project.name },
      is_domain: false,
      roles: token.roles.map((name) => ({ id: ROLE_IDS[name], name })),
    };
    if (token.applicationCredential) {
      const c = token.applicationCredential;
      body.application_credential = { id: c.id, name: c.name, restricted: true };
    }
    if (withCatalog) body.catalog = this.catalog();
    return { token: body };
  }

  private catalog(): Array<Record<string, unknown>> {
    const base = this.opts.baseUrl;
    const service = (type: string, name: string, id: string, url: string) => ({
      endpoints: (['public', 'internal', 'admin'] as const).map((iface, i) => ({
        id: `${id.slice(0, 31)}${i}`,
        interface: iface,
        region_id: REGION,
        url,
        region: REGION,
      })),
      id,
      type,
      name,
    });
    // Image and network are there for the OpenStack command line, which looks them up to list and show servers.
    return [
      service('identity', 'keystone', '1d4f6a8c0e2b4d6f8a0c2e4b6d8f0a10', `${base}/identity`),
      service('compute', 'nova', '2e5a7c9e1f3b5d7a9c1e3f5b7d9a1c20', `${base}/compute/v2.1`),
      service('image', 'glance', '3f6b8d0f2a4c6e8b0d2f4a6c8e0b2d30', `${base}/image`),
      service('network', 'neutron', '4a7c9e1b3d5f7a9c1e3b5d7f9a1c3e40', `${base}/networking`),
    ];
  }
}

