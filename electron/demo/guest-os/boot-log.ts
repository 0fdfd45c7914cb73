// The messages a demo Linux guest writes while it boots and shuts down, as its serial console (ttyS0, where cloud
// images send the kernel console) shows them: kernel lines with their [seconds.micros] stamps, systemd's coloured
// status lines ("[  OK  ] Started …", green OK and the unit name in bold), cloud-init's output and its ci-info
// tables. Each message also has its plain form, for `dmesg` and `journalctl -b` in the serial shell.
import type { DistroProfile } from './distros.ts';

/** What a guest's virtual hardware and network look like from inside. */
export interface GuestMachine {
  hostname: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  nic: { mac: string; ipv4: string[]; ipv6: string[] };
}

export interface BootMessage {
  /** Seconds since the kernel started (or, for shutdown messages, since the shutdown began). */
  at: number;
  /** Who logs it in the journal: `kernel`, `systemd[1]`, `cloud-init[612]`. */
  source: string;
  /** The message as dmesg and the journal hold it. */
  text: string;
  /** The line on the serial console (ANSI colours included), or null when the console does not show it. */
  console: string | null;
}

const ESC = '\x1b';
/** systemd's status column: a green OK between brackets. */
const OK = `[${ESC}[0;32m  OK  ${ESC}[0m]`;
/** systemd highlights unit names on the console. */
const unit = (name: string): string => `${ESC}[0;1;39m${name}${ESC}[0m`;

/** The kernel's printk stamp: [%5lu.%06lu]. */
export function kernelStamp(seconds: number): string {
  const whole = Math.floor(seconds);
  const micros = Math.floor((seconds - whole) * 1e6);
  return `[${String(whole).padStart(5, ' ')}.${String(micros).padStart(6, '0')}]`;
}

class Script {
  readonly messages: BootMessage[] = [];
  kernel(at: number, text: string): void {
    this.messages.push({ at, source: 'kernel', text, console: `${kernelStamp(at)} ${text}` });
  }
  /** A kernel message that stays in the ring buffer (a lower log level than the console shows). */
  quietKernel(at: number, text: string): void {
    this.messages.push({ at, source: 'kernel', text, console: null });
  }
  /** systemd's own early messages go to the kernel log, which is how the console shows them. */
  systemdKmsg(at: number, text: string): void {
    this.messages.push({ at, source: 'systemd[1]', text, console: `${kernelStamp(at)} systemd[1]: ${text}` });
  }
  status(at: number, verb: 'Started' | 'Finished' | 'Reached target' | 'Mounted' | 'Listening on' | 'Stopped' | 'Removed slice' | 'Unmounted', name: string, description: string): void {
    this.messages.push({ at, source: 'systemd[1]', text: `${verb} ${name} - ${description}.`, console: `${OK} ${verb} ${unit(name)} - ${description}.` });
  }
  starting(at: number, verb: 'Starting' | 'Stopping' | 'Mounting' | 'Unmounting', name: string, description: string): void {
    this.messages.push({ at, source: 'systemd[1]', text: `${verb} ${name} - ${description}...`, console: `         ${verb} ${unit(name)} - ${description}...` });
  }
  program(at: number, source: string, text: string): void {
    this.messages.push({ at, source, text, console: `${kernelStamp(at)} ${source}: ${text}` });
  }
}

function ipv4Prefix(addr: string): string {
  // The demo's networks: 10.0.0.0/16 (private), the rest /24.
  return addr.startsWith('10.0.') ? '255.255.0.0' : '255.255.255.0';
}

/** A cold boot, from the first kernel line to the login prompt's getty. `wallClock` is when the kernel started. */
export function bootMessages(p: DistroProfile, m: GuestMachine, wallClock: Date): BootMessage[] {
  const s = new Script();
  const ramKb = m.ramMb * 1024;
  const sectors = m.diskGb * 1024 * 1024 * 2;
  s.kernel(0, `Linux version ${p.kernelRelease} (buildd@lcy02-amd64-080) (${p.compiler}) ${p.kernelVersion}`);
  s.kernel(0, `Command line: BOOT_IMAGE=/vmlinuz-${p.kernelRelease} ${p.rootArg} ro console=tty1 console=ttyS0`);
  s.kernel(0, 'BIOS-provided physical RAM map:');
  s.kernel(0, 'DMI: OpenStack Foundation OpenStack Nova, BIOS 1.16.3-debian-1.16.3-2 04/01/2014');
  s.kernel(0, 'Hypervisor detected: KVM');
  s.kernel(0, 'kvm-clock: Using msrs 4b564d01 and 4b564d00');
  s.quietKernel(0.004112, 'tsc: Detected 2394.454 MHz processor');
  s.kernel(0.021876, `smpboot: Allowing ${m.vcpus} CPUs, 0 hotplug CPUs`);
  s.kernel(0.083412, `Memory: ${ramKb - 180_224}K/${ramKb}K available (20480K kernel code, 4420K rwdata, 14272K rodata, 4800K init, 4864K bss, 180224K reserved, 0K cma-reserved)`);
  s.kernel(0.151203, `smp: Brought up 1 node, ${m.vcpus} CPU${m.vcpus > 1 ? 's' : ''}`);
  s.kernel(0.402331, 'Serial: 8250/16550 driver, 32 ports, IRQ sharing enabled');
  s.kernel(0.425874, '00:04: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A');
  s.kernel(0.602117, `virtio_blk virtio2: [vda] ${sectors} 512-byte logical blocks (${(sectors * 512 / 1e9).toFixed(1)} GB/${m.diskGb}.0 GiB)`);
  s.kernel(0.611420, ` vda: ${p.rootDevice} vda14 vda15`);
  if (p.nic !== 'eth0') s.kernel(0.720938, `virtio_net virtio0 ${p.nic}: renamed from eth0`);
  s.kernel(0.981457, `EXT4-fs (${p.rootDevice}): mounted filesystem with ordered data mode. Quota mode: none.`);
  s.kernel(1.102334, 'Run /sbin/init as init process');
  s.systemdKmsg(1.402761, `systemd ${p.systemd} running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)`);
  s.systemdKmsg(1.403011, 'Detected virtualization kvm.');
  s.systemdKmsg(1.403102, 'Detected architecture x86-64.');
  s.systemdKmsg(1.410998, `Hostname set to <${m.hostname}>.`);
  s.status(1.702113, 'Listening on', 'systemd-journald.socket', 'Journal Socket');
  s.starting(1.733254, 'Starting', 'systemd-journald.service', 'Journal Service');
  s.status(1.801457, 'Started', 'systemd-journald.service', 'Journal Service');
  s.status(1.855021, 'Finished', 'systemd-remount-fs.service', 'Remount Root and Kernel File Systems');
  s.status(2.012386, 'Reached target', 'local-fs.target', 'Local File Systems');
  s.starting(2.104455, 'Starting', 'systemd-networkd.service', 'Network Configuration');
  s.status(2.207913, 'Started', 'systemd-networkd.service', 'Network Configuration');
  s.starting(2.310087, 'Starting', 'cloud-init-local.service', 'Cloud-init: Local Stage (pre-network)');
  s.program(3.104512, 'cloud-init[412]', `Cloud-init v. ${p.cloudInit} running 'init-local' at ${wallText(wallClock, 3)}. Up 3.10 seconds.`);
  s.status(3.402118, 'Finished', 'cloud-init-local.service', 'Cloud-init: Local Stage (pre-network)');
  s.status(3.503376, 'Reached target', 'network-pre.target', 'Preparation for Network');
  s.status(3.904001, 'Reached target', 'network.target', 'Network');
  s.starting(4.002654, 'Starting', 'cloud-init.service', 'Cloud-init: Network Stage');
  s.program(4.903227, 'cloud-init[612]', `Cloud-init v. ${p.cloudInit} running 'init' at ${wallText(wallClock, 5)}. Up 4.90 seconds.`);
  const ci = (at: number, text: string) => s.program(at, 'cloud-init[612]', `ci-info: ${text}`);
  const rule = '+--------+------+---------------------------+---------------+--------+-------------------+';
  ci(4.91, `++++++++++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++++++++++`);
  ci(4.91, rule);
  ci(4.91, '| Device |  Up  |          Address          |      Mask     | Scope  |     Hw-Address    |');
  ci(4.91, rule);
  for (const a of m.nic.ipv4) ci(4.91, `| ${p.nic.padEnd(6)} | True | ${a.padEnd(25)} | ${ipv4Prefix(a).padEnd(13)} | global | ${m.nic.mac} |`);
  for (const a of m.nic.ipv6) ci(4.91, `| ${p.nic.padEnd(6)} | True | ${`${a}/64`.padEnd(25)} |       .       | global | ${m.nic.mac} |`);
  ci(4.91, `|   lo   | True | ${'127.0.0.1'.padEnd(25)} | ${'255.0.0.0'.padEnd(13)} |  host  |         .         |`);
  ci(4.91, rule);
  s.status(5.603119, 'Finished', 'cloud-init.service', 'Cloud-init: Network Stage');
  s.status(5.701442, 'Reached target', 'cloud-config.target', 'Cloud-config availability');
  s.starting(5.802773, 'Starting', p.sshUnit.split(' - ')[0], p.sshUnit.split(' - ')[1]);
  s.status(6.003114, 'Started', p.sshUnit.split(' - ')[0], p.sshUnit.split(' - ')[1]);
  s.status(6.104387, 'Started', 'serial-getty@ttyS0.service', 'Serial Getty on ttyS0');
  s.status(6.201554, 'Reached target', 'getty.target', 'Login Prompts');
  s.status(6.402872, 'Reached target', 'multi-user.target', 'Multi-User System');
  s.program(7.512006, 'cloud-init[905]', `Cloud-init v. ${p.cloudInit} running 'modules:final' at ${wallText(wallClock, 8)}. Up 7.51 seconds.`);
  s.program(7.802443, 'cloud-init[905]', `Cloud-init v. ${p.cloudInit} finished at ${wallText(wallClock, 8)}. Datasource DataSourceOpenStackLocal [net,ver=2].  Up 7.80 seconds`);
  return s.messages;
}

/**
 * A clean shutdown (the ACPI power button, which Nova's stop and soft reboot press), ending in power-off or restart.
 * `at` counts from the shutdown's start; the kernel's last line is stamped with the uptime, as every printk is.
 */
export function shutdownMessages(p: DistroProfile, uptime: number, restart: boolean): BootMessage[] {
  const s = new Script();
  const [sshName, sshDescription] = p.sshUnit.split(' - ');
  s.starting(0.1, 'Stopping', 'serial-getty@ttyS0.service', 'Serial Getty on ttyS0');
  s.starting(0.1, 'Stopping', sshName, sshDescription);
  s.status(0.3, 'Stopped', 'serial-getty@ttyS0.service', 'Serial Getty on ttyS0');
  s.status(0.4, 'Stopped', sshName, sshDescription);
  s.status(0.5, 'Removed slice', 'system-serial\\x2dgetty.slice', 'Slice /system/serial-getty');
  s.status(0.6, 'Stopped', 'systemd-networkd.service', 'Network Configuration');
  s.status(0.7, 'Unmounted', 'run-user-0.mount', '/run/user/0');
  s.status(0.8, 'Reached target', 'shutdown.target', 'System Shutdown');
  s.status(0.9, 'Reached target', 'final.target', 'Late Shutdown Services');
  s.status(1.0, 'Finished', restart ? 'systemd-reboot.service' : 'systemd-poweroff.service', restart ? 'System Reboot' : 'System Power Off');
  s.status(1.0, 'Reached target', restart ? 'reboot.target' : 'poweroff.target', restart ? 'System Reboot' : 'System Power Off');
  const last = restart ? 'reboot: Restarting system' : 'reboot: Power down';
  s.messages.push({ at: 1.1, source: 'kernel', text: last, console: `${kernelStamp(uptime + 1.1)} ${last}` });
  return s.messages;
}

/** Kernel messages a long-running guest prints now and then, in turn. */
const IDLE_KERNEL_MESSAGES = [
  'audit: type=1400 audit(%t): apparmor="STATUS" operation="profile_replace" profile="unconfined" name="/usr/sbin/chronyd" pid=%p comm="apparmor_parser"',
  'workqueue: blk_mq_run_work_fn hogged CPU for >10000us 4 times, consider switching to WQ_UNBOUND',
  'TCP: request_sock_TCP: Possible SYN flooding on port 22. Sending cookies.  Check SNMP counters.',
  'hrtimer: interrupt took 1183742 ns',
  'EXT4-fs (%r): resizing filesystem from 5242619 to 5242619 blocks',
];

export function idleKernelMessage(p: DistroProfile, n: number, wallClock: Date): string {
  return IDLE_KERNEL_MESSAGES[n % IDLE_KERNEL_MESSAGES.length]
    .replace('%t', `${(wallClock.getTime() / 1000).toFixed(3)}:${100 + n}`)
    .replace('%p', String(1000 + ((n * 37) % 9000)))
    .replace('%r', p.rootDevice);
}

/** cloud-init's time format: "Fri, 10 May 2024 09:12:41 +0000". */
function wallText(start: Date, plusSeconds: number): string {
  const d = new Date(start.getTime() + plusSeconds * 1000);
  return d.toUTCString().replace('GMT', '+0000');
}
