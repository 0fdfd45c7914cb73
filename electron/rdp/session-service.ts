import { AppError } from '../api/app-error.ts';
import type { ConsoleTarget, SessionGrant } from '../common/contract.ts';
import type { ConsoleConnectInfo } from '../api/services.ts';
import type { ConsoleService, CredentialService, SessionService } from '../api/services.ts';
import type { GrantRequest, IssuedGrant } from './gateway.ts';
import { encodePreconnectionPdu, PreconnectionBlobError } from './preconnection.ts';

/**
 * `session.open` / `session.close`: turns what the user picked (a pasted console URL, a server in the sidebar, a
 * plain address) into a one-time gateway grant the page can connect with. The page never chooses where the
 * gateway connects: the destination comes from Nova (or from the address the user typed) and is bound to the token.
 */

/** What the session service needs from the gateway (RdpGateway implements it). */
export interface GrantIssuer {
  grant(req: GrantRequest): IssuedGrant;
  revoke(sessionId: string, reason?: string): void;
}

export interface SessionServiceOptions {
  consoles: ConsoleService;
  gateway: GrantIssuer;
  credentials?: CredentialService;
  /**
   * Per-cloud choice of Hyper-V's VMConnect order. By default a console with an internal_access_path (a Hyper-V VM
   * id) uses it; return true/false to force it for a cloud, undefined to keep the default.
   */
  vmconnectFor?: (cloud: string) => boolean | undefined;
}

export class GatewaySessions implements SessionService {
  constructor(private readonly opts: SessionServiceOptions) {}

  async open(target: ConsoleTarget): Promise<SessionGrant> {
    const { consoles } = this.opts;
    let title: string;
    let info: ConsoleConnectInfo | undefined;
    let server: SessionGrant['server'];
    let host: string;
    let port: number;
    switch (target.kind) {
      case 'url': {
        info = await consoles.resolve(target.url, target.cloud);
        const name = await this.nameOfInstance(target.url, info.cloud, info.instanceUuid);
        title = name;
        server = { cloud: info.cloud, id: info.instanceUuid, name, status: 'UNKNOWN' };
        break;
      }
      case 'server': {
        const url = await consoles.consoleUrl(target.cloud, target.server);
        info = await consoles.resolve(url.url, url.cloud);
        // What the user picked may be an id; Nova's name is the title (the id when the service has no name).
        const name = url.name || url.serverId;
        title = name;
        server = { cloud: url.cloud, id: url.serverId, name, status: 'UNKNOWN' };
        break;
      }
      case 'address':
        if (target.protocol !== 'rdp') throw new AppError('unavailable', 'VNC addresses cannot be opened yet.');
        title = '';
        break;
      default:
        throw new AppError('bad-request', 'Unknown console target.');
    }
    if (info) {
      host = info.host;
      port = info.port;
    } else {
      host = (target as { host: string }).host;
      port = (target as { port: number }).port;
    }
    host = normaliseHost(host);
    if (!host) throw new AppError('bad-url', 'The console has no host to connect to.');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AppError('bad-url', `The console's port ${port} is not a valid TCP port.`);
    let preConnectionBlob: string | undefined;
    let vmconnect: boolean;
    if (info) {
      preConnectionBlob = info.internalAccessPath || undefined;
      vmconnect = this.opts.vmconnectFor?.(info.cloud) ?? preConnectionBlob !== undefined;
    } else {
      preConnectionBlob = (target as { preConnectionBlob?: string }).preConnectionBlob || undefined;
      vmconnect = addressUsesVmconnect(port, preConnectionBlob);
    }
    if (preConnectionBlob !== undefined) checkBlob(preConnectionBlob);
    let issued: IssuedGrant;
    try {
      issued = this.opts.gateway.grant({ host, port, preConnectionBlob, vmconnect });
    } catch (err) {
      throw new AppError('internal', `The RDP gateway could not start a session: ${(err as Error).message}`);
    }
    const credentials = await this.opts.credentials?.get(issued.destination);
    return {
      protocol: 'rdp',
      sessionId: issued.sessionId,
      title: title || issued.destination,
      gatewayUrl: issued.gatewayUrl,
      token: issued.token,
      destination: issued.destination,
      preConnectionBlob,
      vmconnect,
      credentials,
      server,
    };
  }

  /**
   * A pasted URL's server name: Horizon's `&title=name(uuid)` when it names this instance, else one GET
   * /servers/{id} in the cloud that resolved the token; the instance id when neither works (a title is not worth
   * failing the session for).
   */
  private async nameOfInstance(url: string, cloud: string, instanceUuid: string): Promise<string> {
    const fromUrl = horizonTitle(url);
    if (fromUrl && fromUrl.name && (!fromUrl.instanceUuid || fromUrl.instanceUuid === instanceUuid.toLowerCase())) return fromUrl.name;
    try {
      return (await this.opts.consoles.serverName?.(cloud, instanceUuid)) || instanceUuid;
    } catch {
      return instanceUuid;
    }
  }

  async close(sessionId: string): Promise<void> {
    this.opts.gateway.revoke(sessionId, 'the tab was closed');
  }
}

/**
 * A direct address (an `.rdp` file's `pcb:s:`) has no cloud to ask, and the `.rdp` format has no field naming the
 * connection order. A blob on Hyper-V's VMConnect port 2179 means a Hyper-V console (VMConnect order); a blob on any
 * other port is routing information for the standard order (e.g. a VM pool behind a broker), sent before X.224.
 */
export const HYPERV_CONSOLE_PORT = 2179;
function addressUsesVmconnect(port: number, blob: string | undefined): boolean {
  return blob !== undefined && port === HYPERV_CONSOLE_PORT;
}

/** Refuses a blob the gateway could not encode now, with a sentence, rather than when the page connects. */
function checkBlob(blob: string): void {
  try {
    encodePreconnectionPdu(blob);
  } catch (err) {
    throw new AppError('bad-request', `The pre-connection blob cannot be used: ${err instanceof PreconnectionBlobError ? err.message : 'bad value'}.`);
  }
}

/** Horizon adds `title=name(uuid)` to the console URLs it shows; the uuid part is optional here. */
function horizonTitle(url: string): { name: string; instanceUuid?: string } | undefined {
  let raw: string | null;
  try {
    raw = new URL(url.trim().replace(/^["'<]+|["'>]+$/g, '')).searchParams.get('title');
  } catch {
    return undefined;
  }
  if (!raw) return undefined;
  const m = /^(.*)\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)\s*$/i.exec(raw);
  return m ? { name: m[1].trim(), instanceUuid: m[2].toLowerCase() } : { name: raw.trim() };
}

/** Accepts `[v6]`, `v6`, names and IPv4; the gateway formats it back as the client expects. */
function normaliseHost(host: string): string {
  const h = host.trim();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
