// Console authorisation as Nova's compute manager and the Hyper-V driver do it: a console for a server that has a
// compute host is a fresh UUID4 token stored with the connection details (host, port and the Hyper-V VM id as
// internal_access_path), valid for [consoleauth] token_ttl seconds and reusable until then. The URL handed out is
// html5_proxy_base_url + "?token=" + token, the base being this demo cloud's own /rdp/ page.
import { randomUUID } from 'node:crypto';
import { NovaError, msg } from './errors.ts';
import type { DemoServer } from './demo-data.ts';

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
  internalAccessPath: string;
  expiresAt: number;
}

export interface ConsoleBrokerOptions {
  proxyBaseUrl: string;
  ttlSeconds: number;
  now: () => number;
  consoleHost: ConsoleEndpoint;
}

// On a Hyper-V compute node only [rdp] is enabled: asking for VNC, SPICE, serial or MKS consoles meets
// ConsoleTypeUnavailable, and an RDP request with another type meets ConsoleTypeInvalid.
const OTHER_PROTOCOLS = new Set(['vnc', 'spice', 'serial', 'mks']);

export class ConsoleBroker {
  private readonly tokens = new Map<string, ConsoleToken>();

  constructor(private readonly opts: ConsoleBrokerOptions) {}

  /**
   * Nova's compute API get_<protocol>_console: a server without a host (scheduling, spawning, failed to schedule)
   * is "not ready" (409) whatever the protocol; Hyper-V then answers for any power state, so a stopped or paused
   * VM still gets a console (VMConnect shows the VM's off screen).
   */
  create(server: DemoServer, protocol: string, consoleType: string): { url: string; token: ConsoleToken } {
    if (server.host === null || server.vmState === 'building') throw new NovaError(409, msg.instanceNotReady(server.id));
    if (OTHER_PROTOCOLS.has(protocol)) throw new NovaError(400, msg.unavailableConsoleType(consoleType));
    if (consoleType !== 'rdp-html5') throw new NovaError(400, msg.invalidConsoleType(consoleType));
    const token: ConsoleToken = {
      token: randomUUID(),
      consoleType,
      instanceUuid: server.id,
      host: this.opts.consoleHost.host,
      port: this.opts.consoleHost.port,
      internalAccessPath: server.vmId,
      expiresAt: this.opts.now() + this.opts.ttlSeconds * 1000,
    };
    this.tokens.set(token.token, token);
    return { url: `${this.opts.proxyBaseUrl}?token=${token.token}`, token };
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
