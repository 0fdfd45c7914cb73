// Console authorisation as Nova's compute manager does it, per kind of compute host:
//  - a server without a host (scheduling, spawning, failed to schedule) is "not ready" (409), whatever the protocol;
//  - each host enables its consoles: a Hyper-V node [rdp] only, a libvirt node [vnc] and [serial_console]. A
//    disabled protocol is ConsoleTypeUnavailable ("Unavailable console type <type>.", 400), checked before the
//    type; a type the protocol does not take is ConsoleTypeInvalid ("Invalid console type <type>"). The serial
//    console takes any type (the compute manager's get_serial_console does not look at it).
//  - the console is a fresh UUID4 token stored with the connection details, valid for [consoleauth] token_ttl and
//    reusable until then: RDP tokens name the Hyper-V console host and the VM id (internal_access_path); VNC and
//    serial tokens name the VM's own VNC server or serial port (a TCP port on its compute host) and no path.
// URLs are built as nova/objects/console_auth_token.py does: novnc puts "?token=…" URL-encoded in a `path`
// parameter (noVNC ≥ 1.1 reads it there), every other type appends "?token=…" to its proxy's base URL.
import { randomUUID } from 'node:crypto';
import { NovaError, msg } from './errors.ts';
import { WEBOB_BAD_REQUEST, type ReleaseRules } from './release.ts';
import type { DemoServer, HypervisorType } from './demo-data.ts';

export interface ConsoleEndpoint {
  host: string;
  port: number;
}

export interface ConsoleToken {
  token: string;
  consoleType: string;
  instanceUuid: string;
  host: string;
  port: number;
  /** The Hyper-V VM id for RDP; null for VNC (libvirt's consoles need no path). */
  internalAccessPath: string | null;
  /** The proxy base URL the console URL was built on (the noVNC proxy checks an Origin's scheme against it). */
  accessUrlBase: string;
  expiresAt: number;
}

export interface ConsoleBrokerOptions {
  /** Nova's [rdp] html5_proxy_base_url. */
  rdpProxyBaseUrl: string;
  /** Nova's [vnc] novncproxy_base_url. */
  novncProxyBaseUrl: string;
  ttlSeconds: number;
  now: () => number;
  /** The Hyper-V console host RDP tokens point at. */
  consoleHost: ConsoleEndpoint;
  /** Where a libvirt VM's VNC server listens (libvirt's vnc port on its compute host). */
  vncEndpoint: (server: DemoServer) => Promise<ConsoleEndpoint>;
  /** Nova's [serial_console] base_url. */
  serialProxyBaseUrl: string;
  /** Where a libvirt VM's serial port listens (a port of [serial_console] port_range on its compute host). */
  serialEndpoint: (server: DemoServer) => Promise<ConsoleEndpoint>;
  release: ReleaseRules;
}

/** The console protocols each kind of compute host enables. */
const ENABLED_PROTOCOLS: Record<HypervisorType, string[]> = { hyperv: ['rdp'], QEMU: ['vnc', 'serial'] };
/** The console types each protocol's compute manager method accepts; null: any (serial does not check). */
const CONSOLE_TYPES: Record<string, string[] | null> = { rdp: ['rdp-html5'], vnc: ['novnc'], serial: null };

/** ConsoleTypeInvalid, which the pre-2.6 console actions do not catch (Nova turns it into a 500). */
export class InvalidConsoleType extends NovaError {
  constructor(readonly consoleType: string) {
    super(400, msg.invalidConsoleType(consoleType));
  }
}

export class ConsoleBroker {
  private readonly tokens = new Map<string, ConsoleToken>();

  constructor(private readonly opts: ConsoleBrokerOptions) {}

  /**
   * Nova's compute API get_<protocol>_console. Hyper-V answers for any power state; so does the demo's libvirt
   * (a real libvirt host hands out a token for a stopped guest too, whose port then refuses the proxy: the demo's
   * VM shows its powered-off screen instead, and its serial port drops the proxy's connection).
   */
  async create(server: DemoServer, protocol: string, consoleType: string): Promise<{ url: string; token: ConsoleToken }> {
    if (server.host === null || server.vmState === 'building') throw new NovaError(409, msg.instanceNotReady(server.id));
    // Only the seed's draft routes get here with RDP in a cloud without Hyper-V: Nova 29 answers them with a bare 400.
    if (protocol === 'rdp' && !this.opts.release.hyperV) throw new NovaError(400, WEBOB_BAD_REQUEST);
    if (!ENABLED_PROTOCOLS[server.hypervisorType].includes(protocol)) throw new NovaError(400, msg.unavailableConsoleType(consoleType));
    const types = CONSOLE_TYPES[protocol];
    if (types && !types.includes(consoleType)) throw new InvalidConsoleType(consoleType);
    const vnc = protocol === 'vnc';
    const serial = protocol === 'serial';
    const endpoint = vnc ? await this.opts.vncEndpoint(server) : serial ? await this.opts.serialEndpoint(server) : this.opts.consoleHost;
    const base = vnc ? this.opts.novncProxyBaseUrl : serial ? this.opts.serialProxyBaseUrl : this.opts.rdpProxyBaseUrl;
    const token: ConsoleToken = {
      token: randomUUID(),
      consoleType,
      instanceUuid: server.id,
      host: endpoint.host,
      port: endpoint.port,
      internalAccessPath: protocol === 'rdp' ? server.vmId : null,
      accessUrlBase: base,
      expiresAt: this.opts.now() + this.opts.ttlSeconds * 1000,
    };
    this.tokens.set(token.token, token);
    const url = vnc ? `${base}?${new URLSearchParams({ path: `?token=${token.token}` }).toString()}` : `${base}?token=${token.token}`;
    return { url, token };
  }

  /** The token's record while it is valid; unknown, expired and malformed tokens all come back undefined. */
  lookup(token: string): ConsoleToken | undefined {
    // Nova stores a hash of the token, so the lookup is exact: an upper-cased token is a different token.
    const found = this.tokens.get(token);
    if (!found) return undefined;
    if (this.opts.now() >= found.expiresAt) {
      this.tokens.delete(found.token);
      return undefined;
    }
    return found;
  }
}
