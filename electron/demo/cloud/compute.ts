// The compute API under /compute as devstack lays it out: the version documents, the microversioned v2.1 API
// behind Keystone tokens, and the seed's legacy /v2 and /v3 roots (seed-routes.ts). What differs between the
// releases the demo models (2023.1 with Hyper-V, 2024.1 without) comes from ReleaseRules.
import { randomUUID } from 'node:crypto';
import { header, sendEmpty, sendJson, type Exchange, type Headers } from './http.ts';
import { NovaError, msg, novaFaultBody } from './errors.ts';
import { negotiateVersion, versionHeaders, type ApiVersion } from './microversions.ts';
import { versionDocument, versionList } from './compute-versions.ts';
import { listServers, showServer, findServer, type RequestScope } from './servers.ts';
import { flavorRoute } from './flavors.ts';
import { authenticate } from './token-check.ts';
import { validationMessage } from './schema.ts';
import { CONSOLE_ACTIONS, remoteConsoleSchema } from './remote-consoles.ts';
import type { Identity } from './keystone.ts';
import { InvalidConsoleType, type ConsoleBroker } from './consoles.ts';
import { WEBOB_BAD_REQUEST, type ReleaseRules } from './release.ts';
import type { DemoServer } from './demo-data.ts';
import type { SeedRoutes } from './seed-routes.ts';
import { POWER_ACTION_NAMES, PowerActions, type PowerActionName } from './power-actions.ts';
import { LIBVIRT_MAX_CONSOLE_BYTES, consoleOutput, consoleOutputSchema } from './console-output.ts';
import type { Guests } from './guests.ts';

export interface ComputeDeps {
  identity: Identity;
  broker: ConsoleBroker;
  servers: DemoServer[];
  seed: SeedRoutes;
  /** Stop, start, reboot, pause, unpause, suspend, resume. */
  power: PowerActions;
  /** The servers' VMs, for their console logs. */
  guests: Guests;
  release: ReleaseRules;
}

/** servers.py's reboot schema: the type in three spellings each. */
const REBOOT_SCHEMA: Parameters<typeof validationMessage>[0] = {
  type: 'object',
  properties: {
    reboot: {
      type: 'object',
      properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } },
      required: ['type'],
      additionalProperties: false,
    },
  },
  required: ['reboot'],
  additionalProperties: false,
};

/** Both request-id headers Nova sends on every API response. */
export function requestIdHeaders(): Headers {
  const id = `req-${randomUUID()}`;
  return { 'x-openstack-request-id': id, 'x-compute-request-id': id };
}

const PROJECT_ID = /^[0-9a-f]{32}$/;

/** Nova 2023.1 accepts JSON only; no Content-Type (or text/plain) is taken as JSON. */
function jsonBody(ex: Exchange): unknown {
  const type = header(ex.req, 'Content-Type');
  if (type !== undefined && !/^(application\/json|text\/plain)\s*(;|$)/i.test(type)) throw new NovaError(415, msg.unsupportedContentType);
  if (ex.body.length === 0) return null;
  try {
    return JSON.parse(ex.body.toString('utf8'));
  } catch {
    throw new NovaError(400, msg.malformedBody);
  }
}

function validate(schema: Parameters<typeof validationMessage>[0], body: unknown): void {
  const problem = validationMessage(schema, body);
  if (problem) throw new NovaError(400, problem);
}

export class Compute {
  constructor(private readonly deps: ComputeDeps) {}

  async handle(ex: Exchange, rest: string[]): Promise<void> {
    const computeUrl = `${ex.origin}/compute`;
    const root = rest[0];
    if (root === undefined) {
      if (ex.method !== 'GET') return this.fail(ex, new NovaError(405, 'The method specified is not allowed for this resource.'));
      return sendJson(ex.res, 200, versionList(computeUrl, this.deps.release.maxVersion));
    }
    if ((root === 'v2.1' || root === 'v2') && rest.length === 1 && ex.method === 'GET') {
      return sendJson(ex.res, 200, versionDocument(computeUrl, root === 'v2.1' ? 'v2.1' : 'v2.0', this.deps.release.maxVersion));
    }
    if (root === 'v2' || root === 'v3') return this.deps.seed.handle(ex, root, rest.slice(1));
    if (root !== 'v2.1') return this.fail(ex, new NovaError(404, msg.notFoundResource));

    const caller = authenticate(ex, this.deps.identity);
    if (!caller) return;
    let version: ApiVersion;
    try {
      version = negotiateVersion((name) => header(ex.req, name), this.deps.release.maxVersion);
    } catch (err) {
      return this.fail(ex, err);
    }
    const headers = { ...versionHeaders(version), ...requestIdHeaders() };
    try {
      let path = rest.slice(1);
      const scope: RequestScope = { caller, version, computeUrl };
      if (path.length > 1 && PROJECT_ID.test(path[0])) {
        if (path[0] !== caller.projectId) {
          throw new NovaError(400, `Malformed request URL: URL's project_id '${path[0]}' doesn't match Context's project_id '${caller.projectId}'`);
        }
        scope.pathProjectId = path[0];
        path = path.slice(1);
      }
      const [status, body] = await this.route(ex, scope, path);
      if (body === undefined) sendEmpty(ex.res, status, headers);
      else sendJson(ex.res, status, body, headers);
    } catch (err) {
      this.fail(ex, err, headers);
    }
  }

  private fail(ex: Exchange, err: unknown, headers: Headers = {}): void {
    if (!(err instanceof NovaError)) throw err;
    sendJson(ex.res, err.status, novaFaultBody(err.status, err.message), { ...headers, ...err.headers });
  }

  private async route(ex: Exchange, scope: RequestScope, path: string[]): Promise<[number, unknown]> {
    const { method } = ex;
    const servers = this.deps.servers;
    const [first, second, third] = path;
    if (first === 'servers') {
      if (path.length === 1 && method === 'GET') return [200, listServers(scope, servers, ex.url.searchParams, false)];
      if (path.length === 2 && second === 'detail' && method === 'GET') return [200, listServers(scope, servers, ex.url.searchParams, true)];
      if (path.length === 2 && method === 'GET') return [200, showServer(scope, servers, second)];
      if (path.length === 3 && third === 'action' && method === 'POST') return this.action(ex, scope, second);
      if (path.length === 3 && third === 'remote-consoles' && method === 'POST') return [200, await this.remoteConsole(ex, scope, second)];
    }
    if (first === 'flavors' && method === 'GET') return [200, flavorRoute(scope, path.slice(1))];
    if (first === 'os-console-auth-tokens' && path.length === 2 && method === 'GET') return [200, this.tokenInfo(scope, second)];
    throw new NovaError(404, msg.notFoundResource);
  }

  /** POST /servers/{id}/action: the console actions, the console log and the power actions. */
  private async action(ex: Exchange, scope: RequestScope, serverId: string): Promise<[number, unknown]> {
    const body = jsonBody(ex);
    // Nova peeks at the single top-level key to pick the action before anything else.
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length !== 1) {
      throw new NovaError(400, msg.malformedBody);
    }
    const name = Object.keys(body)[0];
    if ((POWER_ACTION_NAMES as readonly string[]).includes(name)) {
      // Only reboot has a schema; the others ignore their value (null, {}, anything).
      if (name === 'reboot') validate(REBOOT_SCHEMA, body);
      const server = findServer(scope, this.deps.servers, serverId);
      this.deps.power.perform(server, PowerActions.ruleName(name as PowerActionName, body as Record<string, unknown>));
      return [202, undefined];
    }
    if (name === 'os-getConsoleOutput') return [200, this.consoleLog(scope, serverId, body)];
    const action = CONSOLE_ACTIONS[name];
    if (!action) throw new NovaError(400, msg.noSuchAction(name));
    // The per-protocol console actions were replaced by remote-consoles in 2.6.
    if (scope.version.atLeast('2.6')) throw new NovaError(404, msg.notFoundResource);
    // Nova 29 keeps os-getRDPConsole only to refuse it, before looking at the body or the server.
    if (action.protocol === 'rdp' && !this.deps.release.hyperV) throw new NovaError(400, WEBOB_BAD_REQUEST);
    validate(action.schema, body);
    const server = findServer(scope, this.deps.servers, serverId);
    const consoleType = (body as Record<string, { type: string }>)[name].type;
    try {
      const { url } = await this.deps.broker.create(server, action.protocol, consoleType);
      return [200, { console: { type: consoleType, url } }];
    } catch (err) {
      // These actions do not catch ConsoleTypeInvalid (os-getVNCConsole's schema lets xvpvnc through), so Nova's
      // expected_errors turns it into its "Unexpected API Error" 500.
      if (err instanceof InvalidConsoleType) throw new NovaError(500, msg.unexpectedApiError('nova.exception.ConsoleTypeInvalid'));
      throw err;
    }
  }

  /** os-getConsoleOutput: the VM's console log, or its last lines (console-output.ts). */
  private consoleLog(scope: RequestScope, serverId: string, body: object): unknown {
    validate(consoleOutputSchema, body);
    const server = findServer(scope, this.deps.servers, serverId);
    // compute/api.py get_console_output is @check_instance_host(): no host, no VM, no log.
    const guest = this.deps.guests.get(server);
    if (!guest) throw new NovaError(409, msg.instanceNotReady(server.id));
    // libvirt's driver finds no file console in the domain: ConsoleNotAvailable, which the API turns into a 404.
    if (server.consoleLogFile === false) throw new NovaError(404, msg.consoleNotAvailable);
    const log = guest.consoleLog();
    const driverLog = server.hypervisorType === 'QEMU' ? log.subarray(Math.max(0, log.length - LIBVIRT_MAX_CONSOLE_BYTES)) : log;
    const length = (body as { 'os-getConsoleOutput': { length?: number | string | null } })['os-getConsoleOutput'].length;
    return { output: consoleOutput(driverLog, length) };
  }

  /** POST /servers/{id}/remote-consoles (2.6+). */
  private async remoteConsole(ex: Exchange, scope: RequestScope, serverId: string): Promise<unknown> {
    if (!scope.version.atLeast('2.6')) throw new NovaError(404, msg.notFoundResource);
    const body = jsonBody(ex);
    validate(remoteConsoleSchema(scope.version.atLeast('2.8'), this.deps.release.hyperV), body);
    const { protocol, type } = (body as { remote_console: { protocol: string; type: string } }).remote_console;
    const server = findServer(scope, this.deps.servers, serverId);
    const { url } = await this.deps.broker.create(server, protocol, type);
    return { remote_console: { protocol, type, url } };
  }

  /** GET /os-console-auth-tokens/{token}: admin only by default policy. */
  private tokenInfo(scope: RequestScope, token: string): unknown {
    // Nova 29 answers the 2.1-2.30 form (which served RDP tokens only) with a bare 400, before any policy check.
    if (!this.deps.release.hyperV && !scope.version.atLeast('2.31')) throw new NovaError(400, WEBOB_BAD_REQUEST);
    if (!scope.caller.isAdmin) throw new NovaError(403, msg.policy('os_compute_api:os-console-auth-tokens'));
    const found = this.deps.broker.lookup(token);
    if (!found) throw new NovaError(404, msg.tokenNotFound);
    // Before 2.31 only RDP tokens could be looked up: a VNC token is refused with 401.
    if (!scope.version.atLeast('2.31') && found.consoleType !== 'rdp-html5') {
      throw new NovaError(401, msg.consoleTypeNotAccessible);
    }
    return {
      console: {
        instance_uuid: found.instanceUuid,
        host: found.host,
        port: found.port,
        internal_access_path: found.internalAccessPath,
      },
    };
  }
}
