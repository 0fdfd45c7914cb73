import { AppError } from '../api/app-error.ts';
import type { ConsoleTarget, RdpGrant, RelayGrant, SessionGrant } from '../common/contract.ts';
import type { ConsoleConnectInfo, ConsoleService, CredentialService, SessionService } from '../api/services.ts';
import { classifyConsoleUrl } from '../openstack/console-url.ts';
import type { GrantRequest, IssuedGrant } from '../rdp/gateway.ts';
import { encodePreconnectionPdu, PreconnectionBlobError } from '../rdp/preconnection.ts';
import type { IssuedRelayGrant, RelayDestination } from '../relay/relay.ts';

/**
 * `session.open` / `session.close`: turns what the user picked (a pasted console URL, a server in the sidebar, a
 * plain address) into a one-time grant the page can connect with: an RDCleanPath gateway grant for RDP, a relay
 * grant for VNC and serial consoles. The page never chooses where the main process connects: the destination comes from Nova (or from
 * the address the user typed) and is bound to the grant.
 */

/** What the session service needs from the RDP gateway (RdpGateway implements it). */
export interface GrantIssuer {
  grant(req: GrantRequest): IssuedGrant;
  revoke(sessionId: string, reason?: string): void;
}

/** What the session service needs from the console relay (ConsoleRelay implements it). */
export interface RelayIssuer {
  grant(destination: RelayDestination): IssuedRelayGrant;
  revoke(sessionId: string, reason?: string): void;
}

export interface SessionServiceOptions {
  consoles: ConsoleService;
  gateway: GrantIssuer;
  /** Absent: VNC and serial consoles are refused with a sentence (tests of the RDP side alone). */
  relay?: RelayIssuer;
  credentials?: CredentialService;
  /**
   * Per-cloud choice of Hyper-V's VMConnect order. By default a console with an internal_access_path (a Hyper-V VM
   * id) uses it; return true/false to force it for a cloud, undefined to keep the default.
   */
  vmconnectFor?: (cloud: string) => boolean | undefined;
}

type ServerRef = NonNullable<SessionGrant['server']>;

export class ConsoleSessions implements SessionService {
  constructor(private readonly opts: SessionServiceOptions) {}

  async open(target: ConsoleTarget): Promise<SessionGrant> {
    const { consoles } = this.opts;
    switch (target.kind) {
      case 'address':
        if (target.protocol === 'vnc') return this.relayGrant({ kind: 'tcp', host: normaliseHost(target.host), port: target.port }, '');
        return this.rdpGrant({ host: target.host, port: target.port, preConnectionBlob: target.preConnectionBlob || undefined }, '');
      case 'url': {
        const classified = classifyConsoleUrl(target.url);
        switch (classified.protocol) {
          case 'rdp': {
            const info = await consoles.resolve(target.url, target.cloud);
            const name = await this.nameOfInstance(target.url, info.cloud, info.instanceUuid);
            return this.rdpGrant(info, name, { cloud: info.cloud, id: info.instanceUuid, name, status: 'UNKNOWN' });
          }
          case 'vnc':
            // The URL itself names the proxy and carries the token: no cloud is asked (token lookups need an admin).
            return this.relayGrant({ kind: 'websocket', url: classified.proxy.wsUrl }, classified.title?.name ?? '');
          case 'serial':
            // Nova's serial proxy is the URL itself; the tab is named after it (host:port), as for an address.
            return this.relayGrant({ kind: 'websocket', url: classified.wsUrl, console: 'serial' }, '');
        }
        break;
      }
      case 'server': {
        const url = await consoles.consoleUrl(target.cloud, target.server, target.protocol);
        // What the user picked may be an id; Nova's name is the title (the id when the service has no name).
        const name = url.name || url.serverId;
        const server: ServerRef = { cloud: url.cloud, id: url.serverId, name, status: 'UNKNOWN' };
        switch (url.protocol ?? 'rdp') {
          case 'rdp':
            return this.rdpGrant(await consoles.resolve(url.url, url.cloud), name, server);
          case 'vnc': {
            const classified = classifyConsoleUrl(url.url);
            if (classified.protocol !== 'vnc') throw new AppError('bad-response', `Cloud '${url.cloud}' answered a VNC console request with a URL that is not one.`);
            return this.relayGrant({ kind: 'websocket', url: classified.proxy.wsUrl }, name, server);
          }
          case 'serial': {
            const classified = classifyConsoleUrl(url.url);
            if (classified.protocol !== 'serial') throw new AppError('bad-response', `Cloud '${url.cloud}' answered a serial console request with a URL that is not one.`);
            return this.relayGrant({ kind: 'websocket', url: classified.wsUrl, console: 'serial' }, name, server);
          }
          case 'spice':
            throw new AppError('unavailable', 'SPICE consoles cannot be opened in the app yet: open the console URL with remote-viewer.');
        }
      }
    }
    throw new AppError('bad-request', 'Unknown console target.');
  }

  /** An RDP grant for a Nova console (`info`) or a direct address, with the credentials known for it. */
  private async rdpGrant(
    dest: Pick<ConsoleConnectInfo, 'host' | 'port'> & { cloud?: string; internalAccessPath?: string; preConnectionBlob?: string },
    title: string,
    server?: ServerRef,
  ): Promise<RdpGrant> {
    const host = normaliseHost(dest.host);
    const port = dest.port;
    if (!host) throw new AppError('bad-url', 'The console has no host to connect to.');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AppError('bad-url', `The console's port ${port} is not a valid TCP port.`);
    let preConnectionBlob: string | undefined;
    let vmconnect: boolean;
    if (dest.cloud !== undefined) {
      // From Nova: a Hyper-V VM id means Hyper-V's VMConnect order, unless the cloud says otherwise.
      preConnectionBlob = dest.internalAccessPath || undefined;
      vmconnect = this.opts.vmconnectFor?.(dest.cloud) ?? preConnectionBlob !== undefined;
    } else {
      preConnectionBlob = dest.preConnectionBlob;
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
   * A relay grant: for VNC the proxy's WebSocket (a Nova console) or TCP (a vnc:// address); for a serial console
   * Nova's serial proxy. The title falls back to the endpoint (host:port).
   */
  private relayGrant(destination: RelayDestination, title: string, server?: ServerRef): RelayGrant {
    const protocol = destination.kind === 'websocket' && destination.console === 'serial' ? 'serial' : 'vnc';
    const kind = protocol === 'serial' ? 'serial' : 'VNC';
    const relay = this.opts.relay;
    if (!relay) throw new AppError('unavailable', `${protocol === 'serial' ? 'Serial' : 'VNC'} consoles are not available in this mode.`);
    let issued: IssuedRelayGrant;
    try {
      issued = relay.grant(destination);
    } catch (err) {
      throw new AppError('bad-url', `The ${kind} console cannot be reached: ${(err as Error).message}`);
    }
    return { protocol, sessionId: issued.sessionId, title: title || issued.endpoint, relayUrl: issued.relayUrl, endpoint: issued.endpoint, server };
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
    // Session ids are unique across both: the one that does not know the id ignores it.
    this.opts.gateway.revoke(sessionId, 'the tab was closed');
    this.opts.relay?.revoke(sessionId, 'the tab was closed');
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
