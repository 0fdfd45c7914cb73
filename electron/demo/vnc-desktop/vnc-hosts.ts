// The VNC side of the demo's libvirt compute hosts: a demo desktop per libvirt VM from the start (so a stop action
// reaches it), and that VM's VNC server started the first time a console of it is asked for. Starting on demand
// keeps `--servers 10000` on libvirt hosts from opening ten thousand listening sockets; a real host's QEMU listens
// from the moment the guest starts, which no client can tell apart from this.
import { DemoDesktop } from '../demo-desktop/desktop.ts';
import { startVncDesktop, type VncDesktopServer } from './server.ts';

export interface VncVm {
  /** The Nova server id (libvirt's domain UUID is the instance UUID). */
  id: string;
  name: string;
  status: string;
  /** The libvirt domain name (Nova's instance name, e.g. instance-0000000e), shown as QEMU's desktop name. */
  domainName: string;
}

export interface VncHostsOptions {
  vms: VncVm[];
  /** Frame rate of the demo desktops' animated band; 0 keeps them still. */
  fps?: number;
  animation?: 'box' | 'fullscreen';
  log?: (line: string) => void;
}

export interface VncHosts {
  /** Demo desktops by server id. */
  desktops: Map<string, DemoDesktop>;
  /** The VNC servers started so far, by server id. */
  servers: Map<string, VncDesktopServer>;
  /** Where the VM's VNC server listens (started now if it was not yet). */
  endpoint(vmId: string): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

export function startVncHosts(opts: VncHostsOptions): VncHosts {
  const desktops = new Map<string, DemoDesktop>();
  const names = new Map<string, string>();
  for (const vm of opts.vms) {
    desktops.set(vm.id, new DemoDesktop({ id: vm.id, name: vm.name, status: vm.status, fps: opts.fps, animation: opts.animation }));
    names.set(vm.id, `QEMU (${vm.domainName})`);
  }
  const servers = new Map<string, VncDesktopServer>();
  // Concurrent first requests for one VM share one start.
  const starting = new Map<string, Promise<VncDesktopServer>>();
  let closed = false;

  function start(vmId: string): Promise<VncDesktopServer> {
    let pending = starting.get(vmId);
    if (pending) return pending;
    const desktop = desktops.get(vmId);
    if (!desktop) return Promise.reject(new Error(`no libvirt VM ${vmId}`));
    pending = startVncDesktop({ desktop, desktopName: names.get(vmId), log: opts.log }).then(async (server) => {
      if (closed) {
        await server.close();
        throw new Error('the VNC hosts are closed');
      }
      servers.set(vmId, server);
      return server;
    });
    starting.set(vmId, pending);
    pending.catch(() => starting.delete(vmId));
    return pending;
  }

  let closing: Promise<void> | undefined;
  return {
    desktops,
    servers,
    async endpoint(vmId) {
      const server = await start(vmId);
      return { host: server.host, port: server.port };
    },
    close() {
      closed = true;
      closing ??= Promise.allSettled([...starting.values()])
        .then(() => Promise.all([...servers.values()].map((s) => s.close())))
        .then(() => {
          for (const d of desktops.values()) d.close();
        });
      return closing;
    },
  };
}
