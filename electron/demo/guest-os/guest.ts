// A demo VM as its hypervisor sees it: powered on, paused, saved (suspended) or off, a console log file that its
// serial port's output is appended to, and that serial port's bytes both ways. The Linux guests (linux-guest.ts)
// boot, log in and run a shell; the Windows guests (windows-guest.ts) only answer with the EMS/SAC banner.
import { EventEmitter } from 'node:events';

/** 'running' covers booting too; 'suspended' is libvirt's managed save and Hyper-V's saved state. */
export type GuestPower = 'running' | 'paused' | 'suspended' | 'off';

export interface GuestEvents {
  /** Bytes the guest wrote to its serial port (already appended to the console log). */
  output: [Buffer];
  /** The VM's process went away (stop, suspend): whatever is connected to its consoles is cut. */
  detach: [];
}

/** The console log keeps at most this much, dropping the oldest bytes (virtlogd rotates at 2 MiB). */
const LOG_LIMIT = 2 * 1024 * 1024;

export abstract class Guest extends EventEmitter<GuestEvents> {
  power: GuestPower = 'off';
  private log: Buffer[] = [];
  private logSize = 0;
  /** Work the guest had scheduled, held while it is paused or saved. */
  private pending = new Map<NodeJS.Timeout, { due: number; run: () => void }>();
  private frozen: Array<{ remaining: number; run: () => void }> = [];

  constructor(
    protected readonly now: () => number,
    /** Multiplies every guest delay: 1 is real time, 0.01 a hundred times faster. */
    protected readonly timeScale: number,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** The whole console log file as the hypervisor keeps it. */
  consoleLog(): Buffer {
    return Buffer.concat(this.log);
  }

  /**
   * A clean shutdown begins (ACPI power button); `durationMs` (real time) is how long until the
   * hypervisor powers off or restarts it.
   */
  abstract beginShutdown(restart: boolean, durationMs: number): void;
  /** A cold boot, right after power-on. */
  abstract boot(): void;
  /** Bytes typed on the serial port. */
  abstract input(bytes: Buffer): void;

  /** Power is cut (after a clean shutdown, or at once): the VM's process ends. */
  powerOff(): void {
    this.cancelWork();
    this.power = 'off';
    this.halted();
    this.emit('detach');
  }

  /** Restarts without leaving the process (a reboot): the guest stops what it was doing and boots again. */
  restart(): void {
    this.cancelWork();
    this.halted();
    this.power = 'running';
    this.boot();
  }

  /** Power on: the process starts and the guest boots. */
  powerOn(): void {
    this.power = 'running';
    this.boot();
  }

  pause(): void {
    this.freeze();
    this.power = 'paused';
  }

  unpause(): void {
    this.power = 'running';
    this.thaw();
  }

  /** Saved to disk: the process ends, the guest's state (timers, a logged-in shell) waits for resume. */
  suspend(): void {
    this.freeze();
    this.power = 'suspended';
    this.emit('detach');
  }

  resume(): void {
    this.power = 'running';
    this.thaw();
  }

  close(): void {
    this.cancelWork();
    this.removeAllListeners();
  }

  /** The guest stopped running (its terminal, if any, stops answering). */
  protected abstract halted(): void;

  protected write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.log.push(bytes);
    this.logSize += bytes.length;
    while (this.logSize > LOG_LIMIT && this.log.length > 1) this.logSize -= this.log.shift()!.length;
    this.emit('output', bytes);
  }

  /** Runs `run` after `ms` of guest time (scaled by the time scale), unless the guest is reset first. */
  protected later(ms: number, run: () => void): void {
    this.afterRealMs(ms * this.timeScale, run);
  }

  /** Runs `run` after `ms` real milliseconds, unless the guest is reset first; the wait is held while paused. */
  protected afterRealMs(ms: number, run: () => void): void {
    const delay = Math.max(0, ms);
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      run();
    }, delay);
    timer.unref();
    this.pending.set(timer, { due: this.now() + delay, run });
  }

  protected cancelWork(): void {
    for (const timer of this.pending.keys()) clearTimeout(timer);
    this.pending.clear();
    this.frozen = [];
  }

  private freeze(): void {
    const t = this.now();
    for (const [timer, work] of this.pending) {
      clearTimeout(timer);
      this.frozen.push({ remaining: Math.max(0, work.due - t), run: work.run });
    }
    this.pending.clear();
  }

  private thaw(): void {
    const work = this.frozen;
    this.frozen = [];
    for (const w of work) this.afterRealMs(w.remaining, w.run);
  }
}
