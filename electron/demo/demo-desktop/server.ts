import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadOrCreateCertificate } from './certificate.ts';
import { DemoDesktop } from './desktop.ts';
import { handleRdpConnection, type DesktopSession, type TileEncoding } from './session.ts';

export interface DemoDesktopServerOptions {
  port?: number;
  host?: string;
  /** Folder for the TLS certificate and key (cert.pem, key.pem), created when missing. */
  dataDir: string;
  /** The VM this server shows. */
  vm?: { id: string; name: string; status?: string };
  fps?: number;
  animation?: 'box' | 'fullscreen';
  /** How tiles are sent (see DesktopSessionOptions.encoding); planar by default. */
  encoding?: TileEncoding;
  log?: (line: string) => void;
}

export interface DemoDesktopServer {
  host: string;
  port: number;
  desktop: DemoDesktop;
  sessions: Set<DesktopSession>;
  close(): Promise<void>;
}

/** A standalone RDP server (ordinary order: X.224, then TLS) showing one demo desktop. */
export async function startDemoDesktop(opts: DemoDesktopServerOptions): Promise<DemoDesktopServer> {
  const tls = await loadOrCreateCertificate(opts.dataDir);
  const vm = opts.vm ?? { id: '00000000-0000-4000-8000-000000000001', name: 'demo-desktop' };
  const desktop = new DemoDesktop({ ...vm, fps: opts.fps, animation: opts.animation });
  const log = opts.log ?? ((line: string) => console.error(line));
  const sessions = new Set<DesktopSession>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const label = `${socket.remoteAddress}:${socket.remotePort}`;
    const session = handleRdpConnection(socket, desktop, { tls, log, label, encoding: opts.encoding });
    sessions.add(session);
    socket.once('close', () => {
      sockets.delete(socket);
      sessions.delete(session);
    });
  });
  server.on('error', (err) => log(`demo desktop server error: ${err.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    desktop,
    sessions,
    close: async () => {
      for (const s of sessions) s.end(null);
      for (const s of sockets) s.destroy();
      desktop.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
