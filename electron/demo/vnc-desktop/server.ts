// One VM's VNC server: a TCP listener of its own, as libvirt gives every QEMU guest (port 5900 + display number on
// its compute host), serving that VM's demo desktop to any number of clients at once.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { DemoDesktop } from '../demo-desktop/desktop.ts';
import { VncSession } from './session.ts';
import { SharedScreen } from './shared-screen.ts';

export interface VncDesktopServerOptions {
  /** The VM this server shows; a new demo desktop is made for it unless `desktop` is given. */
  vm?: { id: string; name: string; status?: string };
  /** An existing demo desktop (the environment keeps one per VM, so a stop action reaches open consoles). */
  desktop?: DemoDesktop;
  /** ServerInit's desktop name; default "QEMU (<vm name>)", the form QEMU uses with the libvirt domain name. */
  desktopName?: string;
  port?: number;
  host?: string;
  /** Frame rate of the animated band (a new desktop only); 0 keeps it still. */
  fps?: number;
  /** The screen size before any client resizes it. */
  width?: number;
  height?: number;
  log?: (line: string) => void;
}

export interface VncDesktopServer {
  host: string;
  port: number;
  desktop: DemoDesktop;
  screen: SharedScreen;
  /** The sessions past their first byte (handshake included). */
  sessions: Set<VncSession>;
  close(): Promise<void>;
}

export async function startVncDesktop(opts: VncDesktopServerOptions): Promise<VncDesktopServer> {
  const ownDesktop = !opts.desktop;
  const vm = opts.vm ?? { id: '00000000-0000-4000-8000-000000005900', name: 'vnc-desktop' };
  const desktop = opts.desktop ?? new DemoDesktop({ ...vm, fps: opts.fps });
  const screen = new SharedScreen(opts.width, opts.height);
  const log = opts.log ?? ((line: string) => console.error(line));
  const desktopName = opts.desktopName ?? `QEMU (${desktop.name})`;
  const sessions = new Set<VncSession>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const session = new VncSession(socket, { desktop, screen, desktopName, label: `${socket.remoteAddress}:${socket.remotePort}`, log });
    sessions.add(session);
    socket.once('close', () => {
      sockets.delete(socket);
      sessions.delete(session);
    });
  });
  server.on('error', (err) => log(`vnc server error: ${err.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    desktop,
    screen,
    sessions,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sessions) s.end(null);
        for (const s of sockets) s.destroy();
        if (ownDesktop) desktop.close();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
