// A demo Windows VM on a Hyper-V host, as far as its serial port goes: Windows Server's Emergency Management
// Services write the Special Administration Console banner to COM1 at every boot, and Nova's Hyper-V driver logs
// that port to the instance's console log files (nova/virt/hyperv/serialconsoleops.py), which is what
// os-getConsoleOutput returns for it. The demo has no SAC to talk to: typed bytes are ignored.
import { Guest } from './guest.ts';

export interface WindowsGuestOptions {
  initial: 'running' | 'paused' | 'suspended' | 'off';
  now?: () => number;
  timeScale?: number;
}

/** EMS starts a few seconds into the boot. */
const SAC_AT_MS = 4_000;

const SAC_BANNER = [
  '',
  'Computer is booting, SAC started and initialized.',
  '',
  'Use the "ch -?" command for information about using channels.',
  'Use the "?" command for general help.',
  '',
  '',
  'SAC>',
  'EVENT: The CMD command is now available.',
  'SAC>',
].join('\r\n');

export class WindowsGuest extends Guest {
  constructor(opts: WindowsGuestOptions) {
    super(opts.now ?? Date.now, opts.timeScale ?? 1);
    this.write(SAC_BANNER);
    this.power = opts.initial;
  }

  boot(): void {
    this.later(SAC_AT_MS, () => this.write(SAC_BANNER));
  }

  beginShutdown(): void {
    // Windows says nothing on the EMS port while it shuts down.
  }

  input(): void {
    // No SAC behind the port in the demo.
  }

  protected halted(): void {
    // Nothing runs on the port to stop.
  }
}
