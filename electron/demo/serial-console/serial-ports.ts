// The libvirt compute hosts' serial ports: Nova's libvirt driver gives each guest a TCP serial port in "bind" mode
// (a port of [serial_console] port_range on the compute host), which nova-serialproxy connects to. Here each demo
// VM's port is a TCP listener of its own, started the first time a serial console of it is asked for (as the VNC
// servers are), relaying raw bytes to and from the VM's ttyS0. Several connections at once all see the output and
// may all type (QEMU would take one at a time). A VM that is not running (stopped, suspended) has no QEMU process
// listening behind its port: a connection is dropped at once, and those open are cut when it stops.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Guest } from '../guest-os/guest.ts';

export interface SerialPortsOptions {
  /** The VM behind a server id (undefined: none). */
  guest: (serverId: string) => Guest | undefined;
  host?: string;
  log?: (line: string) => void;
}

export interface SerialPorts {
  /** Where the VM's serial port listens (started now if it was not yet). */
  endpoint(serverId: string): Promise<{ host: string; port: number }>;
  /** Connections open now, over all ports. */
  connectionCount(): number;
  close(): Promise<void>;
}

export function startSerialPorts(opts: SerialPortsOptions): SerialPorts {
  const log = opts.log ?? ((line: string) => console.error(line));
  const listeners = new Map<string, Promise<Server>>();
  const sockets = new Set<Socket>();
  let closed = false;

  function serve(serverId: string, socket: Socket): void {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const guest = opts.guest(serverId);
    if (!guest || guest.power === 'off' || guest.power === 'suspended') {
      log(`serial port of ${serverId}: the VM is not running, connection dropped`);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const onOutput = (bytes: Buffer) => socket.write(bytes);
    const onDetach = () => socket.destroy();
    guest.on('output', onOutput);
    guest.once('detach', onDetach);
    socket.on('data', (bytes: Buffer) => guest.input(bytes));
    socket.once('close', () => {
      guest.off('output', onOutput);
      guest.off('detach', onDetach);
    });
  }

  function start(serverId: string): Promise<Server> {
    let pending = listeners.get(serverId);
    if (pending) return pending;
    if (!opts.guest(serverId)) return Promise.reject(new Error(`no VM ${serverId}`));
    pending = new Promise<Server>((resolve, reject) => {
      const server = createServer((socket) => serve(serverId, socket));
      server.once('error', reject);
      server.listen(0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        server.on('error', (err) => log(`serial port of ${serverId}: ${err.message}`));
        if (closed) {
          server.close();
          reject(new Error('the serial ports are closed'));
        } else resolve(server);
      });
    });
    listeners.set(serverId, pending);
    pending.catch(() => listeners.delete(serverId));
    return pending;
  }

  let closing: Promise<void> | undefined;
  return {
    async endpoint(serverId) {
      const addr = (await start(serverId)).address() as AddressInfo;
      return { host: addr.address, port: addr.port };
    },
    connectionCount: () => sockets.size,
    close() {
      closed = true;
      closing ??= Promise.allSettled([...listeners.values()]).then(async (results) => {
        for (const s of sockets) s.destroy();
        const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      });
      return closing;
    },
  };
}
