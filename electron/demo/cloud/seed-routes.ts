// The pre-merge RDP console API the seed documents (nova-rdp-api, 2014), answered as the seed writes it, under
// /compute/v2 (optionally /compute/v2/{project_id}) and /compute/v3:
//   {GET|POST} .../servers/{id}/action                  os-getRDPConsole (v2) / get_rdp_console (v3)
//   {GET|POST} .../console-auth-tokens/{token}/action   os-getConsoleConnectInfo (v2) / get_console_connect_info (v3)
// Bodies in JSON or XML (Content-Type application/xml); responses in XML when Accept asks for it. The JSON console
// URL carries Horizon's "&title=name(id)" suffix as the seed's JSON example does; the XML example has none.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { header, send, sendJson, type Exchange } from './http.ts';
import { NovaError, msg, novaFaultBody, novaFaultXml } from './errors.ts';
import { authenticate } from './token-check.ts';
import { findServer, type RequestScope } from './servers.ts';
import { MIN_VERSION } from './microversions.ts';
import { pyRepr } from './schema.ts';
import type { Identity } from './keystone.ts';
import type { ConsoleBroker } from './consoles.ts';
import type { DemoServer } from './demo-data.ts';

export interface SeedDeps {
  identity: Identity;
  broker: ConsoleBroker;
  servers: DemoServer[];
}

const ACTIONS = {
  v2: { console: 'os-getRDPConsole', connectInfo: 'os-getConsoleConnectInfo', policy: 'compute_extension:console_auth_tokens' },
  v3: { console: 'get_rdp_console', connectInfo: 'get_console_connect_info', policy: 'compute_extension:v3:os-console-auth-tokens' },
} as const;

// The seed lists buildInProgress as the 409's name, the v1.1 API's word for it.
const SEED_FAULT_NAMES: Record<number, string> = { 409: 'buildInProgress' };

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  ignoreDeclaration: true,
  parseAttributeValue: false,
  parseTagValue: false,
});
const xmlBuilder = new XMLBuilder({ format: true, indentBy: '    ' });

function wantsXml(ex: Exchange): boolean {
  const accept = header(ex.req, 'Accept') ?? '';
  return /application\/xml|text\/xml/i.test(accept) && !/application\/json/i.test(accept);
}

/** Parses the action body into {action: value}; XML's root element is the action, its attributes the arguments. */
function parseAction(ex: Exchange): { name: string; value: unknown } {
  const text = ex.body.toString('utf8').trim();
  if (text === '') throw new NovaError(400, msg.malformedBody);
  const type = header(ex.req, 'Content-Type') ?? 'application/json';
  let doc: unknown;
  if (/xml/i.test(type)) {
    if (XMLValidator.validate(text) !== true) throw new NovaError(400, msg.malformedBody);
    const parsed = xmlParser.parse(text) as Record<string, unknown>;
    const roots = Object.keys(parsed);
    if (roots.length !== 1) throw new NovaError(400, msg.malformedBody);
    // <os-getConsoleConnectInfo/> parses to "" and means the same as JSON's null.
    const value = parsed[roots[0]];
    doc = { [roots[0]]: value === '' ? null : value };
  } else if (/json|text\/plain/i.test(type)) {
    try {
      doc = JSON.parse(text);
    } catch {
      throw new NovaError(400, msg.malformedBody);
    }
  } else {
    throw new NovaError(415, msg.unsupportedContentType);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || Object.keys(doc).length !== 1) {
    throw new NovaError(400, msg.malformedBody);
  }
  const name = Object.keys(doc)[0];
  return { name, value: (doc as Record<string, unknown>)[name] };
}

function titled(url: string, server: DemoServer): string {
  // Horizon appends urlencode({'title': name}) + "(id)".
  return `${url}&${new URLSearchParams({ title: server.name }).toString()}(${server.id})`;
}

export class SeedRoutes {
  constructor(private readonly deps: SeedDeps) {}

  async handle(ex: Exchange, api: 'v2' | 'v3', rest: string[]): Promise<void> {
    const xml = wantsXml(ex);
    const caller = authenticate(ex, this.deps.identity);
    if (!caller) return;
    try {
      let path = rest;
      // The v2 API carried the project id in its paths; accept it with or without.
      if (api === 'v2' && path.length > 1 && /^[0-9a-f]{32}$/.test(path[0])) {
        if (path[0] !== caller.projectId) throw new NovaError(400, `Malformed request URL: URL's project_id '${path[0]}' doesn't match Context's project_id '${caller.projectId}'`);
        path = path.slice(1);
      }
      if (path.length !== 3 || path[2] !== 'action' || (ex.method !== 'GET' && ex.method !== 'POST')) {
        throw new NovaError(404, msg.notFoundResource);
      }
      const scope: RequestScope = { caller, version: MIN_VERSION, computeUrl: `${ex.origin}/compute` };
      const names = ACTIONS[api];
      if (path[0] === 'servers') {
        const { name, value } = parseAction(ex);
        if (name !== names.console) throw new NovaError(400, msg.noSuchAction(name));
        // The draft read the type leniently and let the compute manager judge it.
        if (typeof value !== 'object' || value === null) throw new NovaError(400, 'Missing type specification');
        const given = (value as Record<string, unknown>).type;
        const consoleType = typeof given === 'string' ? given : pyRepr(given); // Python's str() of the value
        const server = findServer(scope, this.deps.servers, path[1]);
        const { url } = await this.deps.broker.create(server, 'rdp', consoleType);
        if (xml) return this.xml(ex, 200, { console: { type: consoleType, url } });
        return sendJson(ex.res, 200, { console: { type: consoleType, url: titled(url, server) } });
      }
      if (path[0] === 'console-auth-tokens') {
        const { name, value } = parseAction(ex);
        if (name !== names.connectInfo) throw new NovaError(400, msg.noSuchAction(name));
        void value; // the draft's argument is always null and carries nothing
        if (!caller.isAdmin) throw new NovaError(403, msg.policy(names.policy));
        const found = this.deps.broker.lookup(path[1]);
        if (!found) throw new NovaError(404, msg.tokenNotFound);
        if (found.consoleType !== 'rdp-html5') throw new NovaError(401, msg.consoleTypeNotAccessible);
        const info = {
          instance_uuid: found.instanceUuid,
          host: found.host,
          port: found.port,
          internal_access_path: found.internalAccessPath,
        };
        if (xml) return this.xml(ex, 200, { console: info });
        return sendJson(ex.res, 200, { console: info });
      }
      throw new NovaError(404, msg.notFoundResource);
    } catch (err) {
      if (!(err instanceof NovaError)) throw err;
      if (xml) {
        const body = novaFaultXml(err.status, err.message, SEED_FAULT_NAMES[err.status]);
        return send(ex.res, err.status, 'application/xml', body);
      }
      sendJson(ex.res, err.status, novaFaultBody(err.status, err.message, SEED_FAULT_NAMES[err.status]));
    }
  }

  private xml(ex: Exchange, status: number, doc: Record<string, unknown>): void {
    send(ex.res, status, 'application/xml', "<?xml version='1.0' encoding='UTF-8'?>\n" + xmlBuilder.build(doc));
  }
}
