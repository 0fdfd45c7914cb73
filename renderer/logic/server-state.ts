import type { ServerAction, ServerDetails } from '../../electron/common/contract.ts';

/** OS-EXT-STS:power_state in words, as Horizon shows it. */
const POWER_STATES: Record<number, string> = {
  0: 'No state',
  1: 'Running',
  3: 'Paused',
  4: 'Shut down',
  6: 'Crashed',
  7: 'Suspended',
};

export function powerStateText(powerState: number | null | undefined): string {
  if (powerState === null || powerState === undefined) return 'Unknown';
  return POWER_STATES[powerState] ?? `Unknown (${powerState})`;
}

/** One button of the panel: which action it sends now, labelled for the state the server is in. */
export interface ActionButton {
  action: ServerAction;
  label: string;
  enabled: boolean;
  /** Actions that interrupt the server's users ask first; the text says what happens. */
  confirm?: string;
}

/**
 * The power actions offered for a server, enabled by its status the way Horizon's instance table does it (Start for
 * SHUTOFF; Stop, soft reboot, Pause, Suspend for ACTIVE; hard reboot for ACTIVE or SHUTOFF; Unpause for PAUSED;
 * Resume for SUSPENDED), and none while a task runs (Nova answers 409 to any of them then) or one is being sent.
 * Pause/Unpause and Suspend/Resume are one button each that names what it will do, as in Horizon.
 */
export function actionButtons(server: Pick<ServerDetails, 'status' | 'taskState' | 'name'>, busy?: ServerAction): ActionButton[] {
  const status = server.status.toUpperCase();
  const idle = !server.taskState && !busy;
  const active = status === 'ACTIVE';
  const paused = status === 'PAUSED';
  const suspended = status === 'SUSPENDED';
  const n = server.name;
  return [
    { action: 'start', label: 'Start', enabled: idle && ['SHUTOFF', 'SHUTDOWN', 'CRASHED'].includes(status) },
    { action: 'stop', label: 'Stop', enabled: idle && active, confirm: `Stop ${n}? Its guest is shut down and everyone using it is cut off.` },
    { action: 'reboot-soft', label: 'Reboot', enabled: idle && active, confirm: `Reboot ${n}? The guest restarts: sessions on it end.` },
    {
      action: 'reboot-hard',
      label: 'Hard reboot',
      enabled: idle && (active || status === 'SHUTOFF'),
      confirm: `Hard reboot ${n}? It is powered off and on at once, without a clean shutdown: unsaved work is lost.`,
    },
    paused
      ? { action: 'unpause', label: 'Unpause', enabled: idle }
      : { action: 'pause', label: 'Pause', enabled: idle && active, confirm: `Pause ${n}? It stops running (kept in memory) until unpaused.` },
    suspended
      ? { action: 'resume', label: 'Resume', enabled: idle }
      : { action: 'suspend', label: 'Suspend', enabled: idle && active, confirm: `Suspend ${n}? It is saved to disk and stops until resumed.` },
  ];
}

/** What a button says while its action is on its way. */
export const ACTION_PROGRESS: Record<ServerAction, string> = {
  start: 'Starting…',
  stop: 'Stopping…',
  'reboot-soft': 'Rebooting…',
  'reboot-hard': 'Rebooting…',
  pause: 'Pausing…',
  unpause: 'Unpausing…',
  suspend: 'Suspending…',
  resume: 'Resuming…',
};
