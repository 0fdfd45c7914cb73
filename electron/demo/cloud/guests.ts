// The demo cloud's VMs as their hypervisors run them (../guest-os): a Linux guest per libvirt server, a Windows
// guest per Hyper-V server, each with its console log and, for Linux, a login on its serial port. Made the first
// time something needs one (a console log, a serial console, a power action), so `--servers 10000` costs nothing
// until used; a server without a host has no VM.
import { Guest } from '../guest-os/guest.ts';
import { LinuxGuest } from '../guest-os/linux-guest.ts';
import { WindowsGuest } from '../guest-os/windows-guest.ts';
import { distroOf, distroProfile } from '../guest-os/distros.ts';
import type { GuestMachine } from '../guest-os/boot-log.ts';
import { FLAVORS, IMAGE_LIST, type DemoServer } from './demo-data.ts';

export interface GuestsOptions {
  now: () => number;
  /** Multiplies the guests' delays (boot steps, idle messages): 1 real time, smaller is faster. */
  timeScale: number;
}

/** The hostname cloud-init sets from the server name, as the API's OS-EXT-SRV-ATTR:hostname shows it. */
export function guestHostname(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'server';
}

function initialPower(s: DemoServer): 'running' | 'paused' | 'suspended' | 'off' {
  if (s.vmState === 'suspended') return 'suspended';
  if (s.powerState === 1) return 'running';
  if (s.powerState === 3) return 'paused';
  return 'off';
}

function machine(s: DemoServer): GuestMachine {
  const flavor = FLAVORS.find((f) => f.id === s.flavorId)!;
  // The first network's fixed addresses are on the first NIC; floating addresses are NAT and never on the guest.
  const fixed = (Object.values(s.addresses)[0] ?? []).filter((a) => a.type === 'fixed');
  return {
    hostname: guestHostname(s.name),
    vcpus: flavor.vcpus,
    ramMb: flavor.ram,
    diskGb: flavor.disk,
    nic: {
      mac: fixed[0]?.mac ?? 'fa:16:3e:00:00:00',
      ipv4: fixed.filter((a) => a.version === 4).map((a) => a.addr),
      ipv6: fixed.filter((a) => a.version === 6).map((a) => a.addr),
    },
  };
}

export class Guests {
  private readonly guests = new Map<string, Guest>();

  constructor(private readonly opts: GuestsOptions) {}

  /** The server's VM, made now if it was not yet; undefined for a server without a host. */
  get(s: DemoServer): Guest | undefined {
    if (s.host === null) return undefined;
    let guest = this.guests.get(s.id);
    if (!guest) {
      const initial = initialPower(s);
      // Hosts get patched and guests rebooted: each VM found running has been up a few hours, not since its launch.
      const spread = [...s.id].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 600;
      const bootedAt = this.opts.now() - (3 * 3600 + 17 * 60 + spread) * 1000;
      if (s.hypervisorType === 'hyperv') {
        guest = new WindowsGuest({ initial, now: this.opts.now, timeScale: this.opts.timeScale });
      } else {
        const image = IMAGE_LIST.find((i) => i.id === s.imageId);
        guest = new LinuxGuest({
          profile: distroProfile(distroOf(image?.osDistro)),
          machine: machine(s),
          initial,
          bootedAt,
          now: this.opts.now,
          timeScale: this.opts.timeScale,
        });
      }
      this.guests.set(s.id, guest);
    }
    return guest;
  }

  close(): void {
    for (const g of this.guests.values()) g.close();
    this.guests.clear();
  }
}
