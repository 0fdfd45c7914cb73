// Nova's power actions on a server (POST /servers/{id}/action): os-stop, os-start, reboot SOFT|HARD, pause,
// unpause, suspend, resume. Each is checked as nova/compute/api.py checks it (check_instance_host, then
// check_instance_state: the vm_states and task_states it allows), answers 202 at once, and runs in the background:
// the task_state (powering-off, rebooting, …) shows for a short while, then vm_state and power_state change and the
// task_state clears, as the compute manager does it. A refusal is 409 with the sentence the API builds from
// InstanceInvalidState (nova/api/openstack/common.py raise_http_conflict_for_instance_invalid_state).
import { NovaError, msg } from './errors.ts';
import type { DemoServer, VmState } from './demo-data.ts';
import type { Guests } from './guests.ts';

export const POWER_ACTION_NAMES = ['os-stop', 'os-start', 'reboot', 'pause', 'unpause', 'suspend', 'resume'] as const;
export type PowerActionName = (typeof POWER_ACTION_NAMES)[number];

interface Rule {
  /** The action's name in Nova's conflict messages. */
  verb: string;
  /** nova/compute/api.py: @check_instance_host() before the state checks (stop, start). */
  needsHost: boolean;
  vmStates: VmState[];
  /** Allowed task_states; null means none. */
  taskStates: Array<string | null>;
  task: string;
  /** Milliseconds the task takes at time scale 1. */
  ms: number;
}

// task_states.ALLOW_REBOOT: a hard reboot may interrupt these.
const ALLOW_REBOOT = [null, 'rebooting', 'reboot_pending', 'reboot_started', 'resuming', 'rebooting_hard', 'unpausing', 'pausing', 'suspending'];

const RULES: Record<string, Rule> = {
  stop: { verb: 'stop', needsHost: true, vmStates: ['active', 'error'], taskStates: [null], task: 'powering-off', ms: 2000 },
  start: { verb: 'start', needsHost: true, vmStates: ['stopped'], taskStates: [null], task: 'powering-on', ms: 1500 },
  soft: { verb: 'reboot', needsHost: false, vmStates: ['active'], taskStates: [null], task: 'rebooting', ms: 3000 },
  hard: { verb: 'reboot', needsHost: false, vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'], taskStates: ALLOW_REBOOT, task: 'rebooting_hard', ms: 1500 },
  pause: { verb: 'pause', needsHost: false, vmStates: ['active'], taskStates: [null], task: 'pausing', ms: 1000 },
  unpause: { verb: 'unpause', needsHost: false, vmStates: ['paused'], taskStates: [null], task: 'unpausing', ms: 1000 },
  suspend: { verb: 'suspend', needsHost: false, vmStates: ['active'], taskStates: [null], task: 'suspending', ms: 2000 },
  resume: { verb: 'resume', needsHost: false, vmStates: ['suspended'], taskStates: [null], task: 'resuming', ms: 1500 },
};

export interface PowerActionsOptions {
  guests: Guests;
  now: () => number;
  /** Multiplies every task's duration: 1 is about real (1-3 s), 0 finishes them on the next turn of the event loop. */
  timeScale: number;
  /** The server's status, task or power state changed. */
  onChange?: (server: DemoServer) => void;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class PowerActions {
  private readonly running = new Map<string, NodeJS.Timeout>();

  constructor(private readonly opts: PowerActionsOptions) {}

  /** The rule an action body asks for; reboot's `type` has been validated (any case of HARD or SOFT). */
  static ruleName(action: PowerActionName, body: Record<string, unknown>): string {
    if (action === 'reboot') return String((body.reboot as { type: string }).type).toUpperCase() === 'HARD' ? 'hard' : 'soft';
    return action.replace(/^os-/, '');
  }

  /** Checks the action against the server's state and starts it; throws Nova's 409 when it may not run now. */
  perform(server: DemoServer, ruleName: string): void {
    const rule = RULES[ruleName];
    if (rule.needsHost && server.host === null) throw new NovaError(409, msg.instanceNotReady(server.id));
    if (!rule.vmStates.includes(server.vmState)) throw new NovaError(409, msg.invalidState(rule.verb, server.id, 'vm_state', server.vmState));
    if (!rule.taskStates.includes(server.taskState)) throw new NovaError(409, msg.invalidState(rule.verb, server.id, 'task_state', String(server.taskState)));
    if (!server.launchedAt) throw new NovaError(409, msg.invalidState(rule.verb, server.id, 'launched_at', 'None'));

    // A hard reboot takes over from whatever task it interrupted.
    const previous = this.running.get(server.id);
    if (previous) clearTimeout(previous);
    const guest = this.opts.guests.get(server);
    const duration = rule.ms * this.opts.timeScale;
    this.set(server, { taskState: rule.task });
    if (ruleName === 'stop') guest?.beginShutdown(false, duration);
    if (ruleName === 'soft') guest?.beginShutdown(true, duration);

    const timer = setTimeout(() => {
      this.running.delete(server.id);
      this.finish(server, ruleName);
    }, duration);
    timer.unref();
    this.running.set(server.id, timer);
  }

  close(): void {
    for (const t of this.running.values()) clearTimeout(t);
    this.running.clear();
  }

  private finish(server: DemoServer, ruleName: string): void {
    const guest = this.opts.guests.get(server);
    switch (ruleName) {
      case 'stop':
        guest?.powerOff();
        return this.set(server, { vmState: 'stopped', powerState: 4, taskState: null });
      case 'start':
        guest?.powerOn();
        return this.set(server, { vmState: 'active', powerState: 1, taskState: null });
      case 'soft':
      case 'hard':
        if (guest?.power === 'off') guest.powerOn();
        else guest?.restart();
        return this.set(server, { vmState: 'active', powerState: 1, taskState: null });
      case 'pause':
        guest?.pause();
        return this.set(server, { vmState: 'paused', powerState: 3, taskState: null });
      case 'unpause':
        guest?.unpause();
        return this.set(server, { vmState: 'active', powerState: 1, taskState: null });
      case 'suspend':
        guest?.suspend();
        // libvirt's managed save leaves the domain shut off (power_state 4); Hyper-V reports a saved VM as
        // suspended (7), as nova/virt/hyperv/constants.py maps it.
        return this.set(server, { vmState: 'suspended', powerState: server.hypervisorType === 'hyperv' ? 7 : 4, taskState: null });
      case 'resume':
        guest?.resume();
        return this.set(server, { vmState: 'active', powerState: 1, taskState: null });
    }
  }

  private set(server: DemoServer, change: Partial<Pick<DemoServer, 'vmState' | 'powerState' | 'taskState'>>): void {
    Object.assign(server, change, { updated: isoSeconds(this.opts.now()) });
    this.opts.onChange?.(server);
  }
}
