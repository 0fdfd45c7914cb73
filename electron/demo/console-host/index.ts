// The emulated Hyper-V console host and its wiring to the demo desktops.
import { randomBytes } from 'node:crypto';
import { DemoDesktop } from '../demo-desktop/desktop.ts';
import type { DesktopSession } from '../demo-desktop/session.ts';
import { startConsoleHost, type ConsoleBackend } from './host.ts';

export { startConsoleHost, type ConsoleBackend, type ConsoleHost, type ConsoleHostOptions } from './host.ts';
export { parseBackendOption, ConsoleHostOptionError } from './options.ts';
export type { RelayBackend } from './relay.ts';

export interface DemoConsoleHostOptions {
  servers: Array<{ id: string; name: string; status: string }>;
  dataDir: string;
  port?: number;
  fps?: number;
  /** 'fullscreen' repaints every pixel each frame (streaming measurements); default 'box', a band near the bottom. */
  animation?: 'box' | 'fullscreen';
  requireNla?: boolean;
  /** Console credentials; a random password is made when not given. */
  credentials?: { username: string; password: string };
  /** VM id → RDP server to relay to instead of a demo desktop. */
  backends?: Map<string, { host: string; port: number; tls?: { cert: string; key: string } }>;
  log?: (line: string) => void;
}

export interface DemoConsoleHost {
  host: string;
  port: number;
  credentials: { username: string; password: string };
  /** The demo desktops by VM id, to change a VM's status (e.g. after a stop action) while sessions run. */
  desktops: Map<string, DemoDesktop>;
  /** The demo-desktop sessions running now. */
  sessions: Set<DesktopSession>;
  /** Open client connections in any phase. */
  connectionCount(): number;
  close(): Promise<void>;
}

/** Starts a console host with one demo desktop per server, for the demo cloud. */
export async function startDemoConsoleHost(opts: DemoConsoleHostOptions): Promise<DemoConsoleHost> {
  const credentials = opts.credentials ?? { username: 'console', password: randomBytes(9).toString('base64url') };
  const desktops = new Map<string, DemoDesktop>();
  const vms = new Map<string, ConsoleBackend>();
  for (const s of opts.servers) {
    const relay = opts.backends?.get(s.id);
    if (relay) {
      vms.set(s.id, { kind: 'relay', ...relay });
      continue;
    }
    const desktop = new DemoDesktop({ id: s.id, name: s.name, status: s.status, fps: opts.fps, animation: opts.animation });
    desktops.set(s.id, desktop);
    vms.set(s.id, { kind: 'demo', desktop });
  }
  const host = await startConsoleHost({
    port: opts.port,
    vms,
    requireNla: opts.requireNla,
    credentials,
    dataDir: opts.dataDir,
    log: opts.log,
  });
  return {
    host: host.host,
    port: host.port,
    credentials,
    desktops,
    sessions: host.sessions,
    connectionCount: () => host.connectionCount(),
    close: async () => {
      await host.close();
      for (const d of desktops.values()) d.close();
    },
  };
}
