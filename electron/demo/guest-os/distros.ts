// What each demo image's Linux looks like from its serial console: kernel, systemd, cloud-init and getty as those
// distributions' cloud images ship them (the versions of spring 2024, when these images were built).

export type LinuxDistro = 'ubuntu' | 'debian' | 'fedora' | 'rocky';

export interface DistroProfile {
  distro: LinuxDistro;
  /** /etc/os-release PRETTY_NAME. */
  prettyName: string;
  /** `uname -r` */
  kernelRelease: string;
  /** `uname -v` */
  kernelVersion: string;
  /** The compiler line in the kernel's first message. */
  compiler: string;
  systemd: string;
  cloudInit: string;
  /** The first network interface's name (predictable naming on Debian's family, eth0 on Red Hat's cloud images). */
  nic: string;
  /** Root filesystem and how the kernel command line names it. */
  rootDevice: string;
  rootArg: string;
  /** The SSH server's unit. */
  sshUnit: string;
  /** Debian's family prompts `user@host:~$`, Red Hat's `[user@host ~]$`. */
  promptStyle: 'debian' | 'redhat';
  /** /etc/issue as agetty prints it for ttyS0, without the trailing blank line. */
  issue: (hostname: string) => string[];
}

const PROFILES: Record<LinuxDistro, DistroProfile> = {
  ubuntu: {
    distro: 'ubuntu',
    prettyName: 'Ubuntu 24.04 LTS',
    kernelRelease: '6.8.0-31-generic',
    kernelVersion: '#31-Ubuntu SMP PREEMPT_DYNAMIC Sat Apr 20 00:40:06 UTC 2024',
    compiler: 'x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42',
    systemd: '255.4-1ubuntu8',
    cloudInit: '24.1.3-0ubuntu3',
    nic: 'ens3',
    rootDevice: 'vda1',
    rootArg: 'root=LABEL=cloudimg-rootfs',
    sshUnit: 'ssh.service - OpenBSD Secure Shell server',
    promptStyle: 'debian',
    issue: (host) => [`Ubuntu 24.04 LTS ${host} ttyS0`],
  },
  debian: {
    distro: 'debian',
    prettyName: 'Debian GNU/Linux 12 (bookworm)',
    kernelRelease: '6.1.0-21-cloud-amd64',
    kernelVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)',
    compiler: 'gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40',
    systemd: '252.22-1~deb12u1',
    cloudInit: '22.4.2',
    nic: 'ens3',
    rootDevice: 'vda1',
    rootArg: 'root=PARTUUID=5c1c3a9e-01',
    sshUnit: 'ssh.service - OpenBSD Secure Shell server',
    promptStyle: 'debian',
    issue: (host) => [`Debian GNU/Linux 12 ${host} ttyS0`],
  },
  fedora: {
    distro: 'fedora',
    prettyName: 'Fedora Linux 40 (Cloud Edition)',
    kernelRelease: '6.8.5-301.fc40.x86_64',
    kernelVersion: '#1 SMP PREEMPT_DYNAMIC Thu Apr 11 20:00:10 UTC 2024',
    compiler: 'gcc (GCC) 14.0.1 20240411 (Red Hat 14.0.1-0), GNU ld version 2.41-34.fc40',
    systemd: '255.4-1.fc40',
    cloudInit: '23.4.4-5.fc40',
    nic: 'eth0',
    rootDevice: 'vda5',
    rootArg: 'root=UUID=3f0e5d1c-7a2b-4c8e-9d6f-1a2b3c4d5e6f',
    sshUnit: 'sshd.service - OpenSSH server daemon',
    promptStyle: 'redhat',
    issue: () => ['Fedora Linux 40 (Cloud Edition)', 'Kernel 6.8.5-301.fc40.x86_64 on an x86_64 (ttyS0)'],
  },
  rocky: {
    distro: 'rocky',
    prettyName: 'Rocky Linux 9.4 (Blue Onyx)',
    kernelRelease: '5.14.0-427.13.1.el9_4.x86_64',
    kernelVersion: '#1 SMP PREEMPT_DYNAMIC Wed May 1 19:11:28 UTC 2024',
    compiler: 'gcc (GCC) 11.4.1 20231218 (Red Hat 11.4.1-3), GNU ld version 2.35.2-43.el9',
    systemd: '252-32.el9_4',
    cloudInit: '23.4-7.el9_4',
    nic: 'eth0',
    rootDevice: 'vda4',
    rootArg: 'root=UUID=9a8b7c6d-5e4f-4321-8fed-cba987654321',
    sshUnit: 'sshd.service - OpenSSH server daemon',
    promptStyle: 'redhat',
    issue: () => ['Rocky Linux 9.4 (Blue Onyx)', 'Kernel 5.14.0-427.13.1.el9_4.x86_64 on an x86_64'],
  },
};

export function distroProfile(distro: LinuxDistro): DistroProfile {
  return PROFILES[distro];
}

/** The distribution of an image's os_distro property; unknown ones boot as Ubuntu. */
export function distroOf(osDistro: string | undefined): LinuxDistro {
  return osDistro && osDistro in PROFILES ? (osDistro as LinuxDistro) : 'ubuntu';
}
