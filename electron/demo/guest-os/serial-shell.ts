// What answers on a demo Linux guest's ttyS0 once it has booted: agetty's login prompt, login, and a small shell with
// the commands an administrator tries first on a serial console. Input goes through a line discipline like a tty's
// in canonical mode with echo: UTF-8 decoding (invalid bytes become U+FFFD, never an error), echo, erase (DEL and ^H,
// one character, two columns for wide ones), Enter as CR or LF, ^C, ^U, ^D on an empty line, and escape sequences
// (arrow keys and the like) swallowed. Output lines end in CRLF, as a tty with onlcr writes them.
import type { DistroProfile } from './distros.ts';
import type { GuestMachine } from './boot-log.ts';

/** Anyone may log in with this password: the hint above the login prompt says so. */
export const DEMO_PASSWORD = 'demo';
export const LOGIN_HINT = `Demo image: log in as root (or any user name) with the password "${DEMO_PASSWORD}".`;

/** What the shell asks the guest it runs in. */
export interface ShellHost {
  profile: DistroProfile;
  machine: GuestMachine;
  now(): Date;
  uptimeSeconds(): number;
  /** The kernel ring buffer of this boot, as `dmesg` prints it. */
  dmesg(): string[];
  /** This boot's journal, as `journalctl -b` prints it. */
  journal(): string[];
}

type State = 'off' | 'login' | 'password' | 'shell';

const HELP = [
  'Commands: hostname, uname [-a|-r|-n|-s|-m|-v], uptime, ip addr, dmesg, journalctl -b, echo ARGS, whoami, date,',
  '          clear, help, exit (or logout, or Ctrl+D on an empty line).',
];

/** Columns a character takes in a terminal: 2 for East Asian wide characters and emoji, else 1. */
export function columns(ch: string): number {
  const c = ch.codePointAt(0) ?? 0;
  const wide =
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) ||
    (c >= 0x20000 && c <= 0x3fffd);
  return wide ? 2 : 1;
}

/** Splits a command line into words: whitespace separates, single and double quotes group. */
function words(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(current);
  return out;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** uptime's "up …" part: minutes below an hour, H:MM below a day, then days. */
function upText(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hm = minutes % 1440;
  const clock = hm < 60 ? `${hm} min` : `${Math.floor(hm / 60)}:${pad2(hm % 60)}`;
  return days > 0 ? `${days} day${days > 1 ? 's' : ''}, ${clock}` : clock;
}

function ipv4Network(addr: string): { prefix: number; broadcast: string } {
  const prefix = addr.startsWith('10.0.') ? 16 : 24;
  const parts = addr.split('.');
  const broadcast = prefix === 16 ? `${parts[0]}.${parts[1]}.255.255` : `${parts[0]}.${parts[1]}.${parts[2]}.255`;
  return { prefix, broadcast };
}

/** The link-local address the kernel derives from the MAC (EUI-64). */
function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 0x02;
  const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return `fe80::${hex(b[0], b[1])}:${hex(b[2], 0xff)}:${hex(0xfe, b[3])}:${hex(b[4], b[5])}`;
}

export class SerialTerminal {
  private state: State = 'off';
  private line: string[] = [];
  private user = '';
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  /** 0 outside an escape sequence, 1 after ESC, 2 inside CSI or SS3 parameters. */
  private escape = 0;
  private lastWasCr = false;

  constructor(
    private readonly host: ShellHost,
    private readonly write: (text: string) => void,
  ) {}

  get loggedInAs(): string | null {
    return this.state === 'shell' ? this.user : null;
  }

  /** systemd started serial-getty@ttyS0: /etc/issue, the demo hint, the login prompt. */
  startGetty(): void {
    this.reset('login');
    const issue = this.host.profile.issue(this.host.machine.hostname);
    this.write(['', ...issue, LOGIN_HINT, '', ''].join('\r\n') + this.loginPrompt());
  }

  /** The guest went down: nothing answers on the line any more. */
  stop(): void {
    this.reset('off');
  }

  input(bytes: Buffer): void {
    if (this.state === 'off') return;
    const text = this.decoder.decode(bytes, { stream: true });
    for (const ch of text) this.key(ch);
  }

  private reset(state: State): void {
    this.state = state;
    this.line = [];
    this.escape = 0;
    this.lastWasCr = false;
    if (state !== 'shell' && state !== 'password') this.user = '';
  }

  private loginPrompt(): string {
    return `${this.host.machine.hostname} login: `;
  }

  private prompt(): string {
    const root = this.user === 'root';
    const sign = root ? '#' : '$';
    const host = this.host.machine.hostname;
    return this.host.profile.promptStyle === 'redhat' ? `[${this.user}@${host} ~]${sign} ` : `${this.user}@${host}:~${sign} `;
  }

  private key(ch: string): void {
    if (this.state === 'off') return;
    const code = ch.codePointAt(0)!;
    if (this.escape === 1) {
      this.escape = ch === '[' || ch === 'O' ? 2 : 0;
      return;
    }
    if (this.escape === 2) {
      if (code >= 0x40 && code <= 0x7e) this.escape = 0;
      return;
    }
    const afterCr = this.lastWasCr;
    this.lastWasCr = ch === '\r';
    switch (ch) {
      case '\x1b':
        this.escape = 1;
        return;
      case '\r':
        return this.enter();
      case '\n':
        // CR LF from a terminal that sends both is one Enter.
        if (!afterCr) this.enter();
        return;
      case '\x7f':
      case '\b':
        return this.erase();
      case '\x03':
        return this.interrupt();
      case '\x15':
        while (this.line.length > 0) this.erase();
        return;
      case '\x04':
        if (this.line.length === 0 && this.state === 'shell') this.logout(true);
        return;
    }
    if (code < 0x20) return;
    this.line.push(ch);
    if (this.state !== 'password') this.write(ch);
  }

  private erase(): void {
    const ch = this.line.pop();
    if (ch === undefined || this.state === 'password') return;
    const n = columns(ch);
    this.write('\b'.repeat(n) + ' '.repeat(n) + '\b'.repeat(n));
  }

  private interrupt(): void {
    this.write('^C\r\n');
    this.line = [];
    if (this.state === 'shell') this.write(this.prompt());
    else {
      this.state = 'login';
      this.user = '';
      this.write(this.loginPrompt());
    }
  }

  private enter(): void {
    const text = this.line.join('');
    this.line = [];
    this.write('\r\n');
    switch (this.state) {
      case 'login':
        if (text.trim() === '') return this.write(this.loginPrompt());
        this.user = text.trim();
        this.state = 'password';
        return this.write('Password: ');
      case 'password':
        if (text === DEMO_PASSWORD && /^[a-z_][a-z0-9_-]{0,31}$/.test(this.user)) {
          this.state = 'shell';
          return this.write(this.prompt());
        }
        this.state = 'login';
        this.user = '';
        return this.write(`\r\nLogin incorrect\r\n${this.loginPrompt()}`);
      case 'shell':
        this.run(text);
        if (this.state === 'shell') this.write(this.prompt());
        return;
      case 'off':
        return; // a powered-off guest reads nothing
    }
  }

  private logout(byCtrlD: boolean): void {
    if (byCtrlD) this.write('logout\r\n');
    this.startGetty();
  }

  private print(lines: string[]): void {
    if (lines.length > 0) this.write(lines.join('\r\n') + '\r\n');
  }

  private run(commandLine: string): void {
    const [command, ...args] = words(commandLine);
    if (command === undefined) return;
    const h = this.host;
    switch (command) {
      case 'help':
        return this.print(HELP);
      case 'hostname':
        return this.print([h.machine.hostname]);
      case 'uname':
        return this.print([this.uname(args)]);
      case 'uptime': {
        const now = h.now();
        const clock = `${pad2(now.getUTCHours())}:${pad2(now.getUTCMinutes())}:${pad2(now.getUTCSeconds())}`;
        return this.print([` ${clock} up ${upText(h.uptimeSeconds())},  1 user,  load average: 0.08, 0.03, 0.01`]);
      }
      case 'ip':
        return this.print(this.ip(args));
      case 'dmesg':
        return this.print(h.dmesg());
      case 'journalctl':
        return this.print(h.journal());
      case 'echo':
        return this.print([args.join(' ')]);
      case 'whoami':
        return this.print([this.user]);
      case 'date':
        return this.print([h.now().toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1 $3 $2 $5 UTC $4')]);
      case 'clear':
        return this.write('\x1b[H\x1b[2J\x1b[3J');
      case 'exit':
      case 'logout':
        return this.logout(false);
      default:
        return this.print([`bash: ${command}: command not found`]);
    }
  }

  private uname(args: string[]): string {
    const p = this.host.profile;
    const all = ['Linux', this.host.machine.hostname, p.kernelRelease, p.kernelVersion, 'x86_64', 'x86_64', 'x86_64', 'GNU/Linux'];
    if (args.includes('-a') || args.includes('--all')) return all.join(' ');
    const pick: Record<string, string> = { '-s': all[0], '-n': all[1], '-r': all[2], '-v': all[3], '-m': all[4], '-o': all[7] };
    const chosen = args.filter((a) => a in pick).map((a) => pick[a]);
    const unknown = args.find((a) => !(a in pick));
    if (unknown) return `uname: invalid option -- '${unknown.replace(/^-+/, '')}'\r\nTry 'uname --help' for more information.`;
    return chosen.length > 0 ? chosen.join(' ') : 'Linux';
  }

  private ip(args: string[]): string[] {
    const object = args[0];
    if (object === undefined) return ['Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }'];
    if (!['a', 'addr', 'address'].includes(object)) return [`Object "${object}" is unknown, try "ip help".`];
    const m = this.host.machine;
    const nic = this.host.profile.nic;
    const out = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
      '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '    inet 127.0.0.1/8 scope host lo',
      '       valid_lft forever preferred_lft forever',
      '    inet6 ::1/128 scope host noprefixroute ',
      '       valid_lft forever preferred_lft forever',
      `2: ${nic}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc fq_codel state UP group default qlen 1000`,
      `    link/ether ${m.nic.mac} brd ff:ff:ff:ff:ff:ff`,
    ];
    if (nic !== 'eth0') out.push('    altname enp0s3');
    for (const a of m.nic.ipv4) {
      const { prefix, broadcast } = ipv4Network(a);
      out.push(`    inet ${a}/${prefix} metric 100 brd ${broadcast} scope global dynamic ${nic}`, '       valid_lft 85987sec preferred_lft 85987sec');
    }
    for (const a of m.nic.ipv6) out.push(`    inet6 ${a}/64 scope global dynamic mngtmpaddr noprefixroute `, '       valid_lft 86391sec preferred_lft 14391sec');
    out.push(`    inet6 ${linkLocal(m.nic.mac)}/64 scope link `, '       valid_lft forever preferred_lft forever');
    return out;
  }
}
