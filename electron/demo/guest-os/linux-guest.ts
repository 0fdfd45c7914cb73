// A demo Linux VM on a libvirt host: it boots (kernel, systemd, cloud-init, then the serial getty), logs now and
// then while it runs, shuts down cleanly when Nova presses its power button, and answers on ttyS0 with a login
// prompt and a small shell (serial-shell.ts). Everything it writes to ttyS0 lands in its console log, as virtlogd
// records a libvirt guest's serial port, the interactive session's echo included.
import { Guest } from './guest.ts';
import { bootMessages, idleKernelMessage, kernelStamp, shutdownMessages, type BootMessage, type GuestMachine } from './boot-log.ts';
import type { DistroProfile } from './distros.ts';
import { SerialTerminal } from './serial-shell.ts';

export interface LinuxGuestOptions {
  profile: DistroProfile;
  machine: GuestMachine;
  /** The power state it is found in when the demo starts. */
  initial: 'running' | 'paused' | 'suspended' | 'off';
  /** When its current (or, if off, its last) boot began: the boot log before that moment is already in the log. */
  bootedAt: number;
  now?: () => number;
  /** Multiplies every delay (boot steps, idle kernel messages); default 1. */
  timeScale?: number;
}

/** The getty starts this long after the kernel (the boot script's last step is a little before). */
const GETTY_AT_SECONDS = 8;
/** A running guest's kernel says something every so often. */
const IDLE_MESSAGE_EVERY_MS = 45_000;
/** Never more often than this, whatever the time scale (a scale of 0 must not spin). */
const IDLE_MESSAGE_MIN_MS = 1_000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function journalStamp(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

export class LinuxGuest extends Guest {
  readonly terminal: SerialTerminal;
  private bootedAt: number;
  /** This boot's kernel ring buffer (dmesg) and journal. */
  private ring: string[] = [];
  private journalLines: string[] = [];
  private idleCount = 0;
  /** Bytes typed while paused: the UART's queue, read once the guest runs again. */
  private typedWhilePaused: Buffer[] = [];

  constructor(private readonly opts: LinuxGuestOptions) {
    super(opts.now ?? Date.now, opts.timeScale ?? 1);
    this.bootedAt = opts.bootedAt;
    this.terminal = new SerialTerminal(
      {
        profile: opts.profile,
        machine: opts.machine,
        now: () => new Date(this.now()),
        uptimeSeconds: () => Math.max(0, (this.now() - this.bootedAt) / 1000),
        dmesg: () => [...this.ring],
        journal: () => [...this.journalLines],
      },
      (text) => this.write(text),
    );
    // The boot that brought it to its initial state has long finished: its messages are in the log already.
    for (const m of bootMessages(opts.profile, opts.machine, new Date(this.bootedAt))) this.record(m, this.bootedAt + m.at * 1000, m.at);
    this.power = 'running';
    if (opts.initial === 'off') {
      const uptime = Math.max(GETTY_AT_SECONDS, (this.now() - this.bootedAt) / 1000 - 60);
      this.terminal.startGetty();
      this.terminal.stop();
      for (const m of shutdownMessages(opts.profile, uptime, false)) if (m.console) this.write(m.console + '\r\n');
      this.power = 'off';
      return;
    }
    this.terminal.startGetty();
    this.scheduleIdleMessage();
    if (opts.initial === 'paused') this.pause();
    if (opts.initial === 'suspended') this.suspend();
  }

  get uptimeSeconds(): number {
    return (this.now() - this.bootedAt) / 1000;
  }

  input(bytes: Buffer): void {
    if (this.power === 'paused') this.typedWhilePaused.push(bytes);
    else if (this.power === 'running') this.terminal.input(bytes);
  }

  override unpause(): void {
    super.unpause();
    const typed = Buffer.concat(this.typedWhilePaused);
    this.typedWhilePaused = [];
    if (typed.length > 0) this.terminal.input(typed);
  }

  boot(): void {
    this.bootedAt = this.now();
    this.ring = [];
    this.journalLines = [];
    this.idleCount = 0;
    for (const m of bootMessages(this.opts.profile, this.opts.machine, new Date(this.bootedAt))) {
      this.later(m.at * 1000, () => this.record(m, this.bootedAt + m.at * 1000, m.at));
    }
    this.later(GETTY_AT_SECONDS * 1000, () => {
      this.terminal.startGetty();
      this.scheduleIdleMessage();
    });
  }

  beginShutdown(restart: boolean, durationMs: number): void {
    this.cancelWork();
    this.terminal.stop();
    // A logged-in shell is killed by the shutdown; the prompt line it leaves is ended first.
    this.write('\r\n');
    const messages = shutdownMessages(this.opts.profile, this.uptimeSeconds, restart);
    const last = messages[messages.length - 1].at;
    for (const m of messages) {
      // Spread over most of the (real) time the hypervisor gives it.
      this.afterRealMs((m.at / last) * durationMs * 0.9, () => this.record(m, this.now(), this.uptimeSeconds));
    }
  }

  protected halted(): void {
    this.terminal.stop();
    this.typedWhilePaused = [];
  }

  /** Writes a message to the console (if it shows there) and keeps it for dmesg and the journal. */
  private record(m: BootMessage, wallMs: number, uptime: number): void {
    if (m.source === 'kernel') this.ring.push(`${kernelStamp(uptime)} ${m.text}`);
    this.journalLines.push(`${journalStamp(wallMs)} ${this.opts.machine.hostname} ${m.source}: ${m.text}`);
    if (m.console !== null) this.write(m.console + '\r\n');
  }

  private scheduleIdleMessage(): void {
    const every = Math.max(IDLE_MESSAGE_MIN_MS, IDLE_MESSAGE_EVERY_MS * this.timeScale);
    this.afterRealMs(every, () => {
      const text = idleKernelMessage(this.opts.profile, this.idleCount++, new Date(this.now()));
      const at = this.uptimeSeconds;
      this.ring.push(`${kernelStamp(at)} ${text}`);
      this.journalLines.push(`${journalStamp(this.now())} ${this.opts.machine.hostname} kernel: ${text}`);
      // The kernel prints over whatever is on the line, as a real console does.
      this.write(`${kernelStamp(at)} ${text}\r\n`);
      this.scheduleIdleMessage();
    });
  }
}
