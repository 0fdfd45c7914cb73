import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionButtons, powerStateText } from '../../../renderer/logic/server-state.ts';

const enabled = (status: string, taskState: string | null = null, busy?: Parameters<typeof actionButtons>[1]) =>
  actionButtons({ status, taskState, name: 'vm' }, busy)
    .filter((b) => b.enabled)
    .map((b) => b.action);

test('actions are enabled by status as Horizon does it', () => {
  assert.deepEqual(enabled('ACTIVE'), ['stop', 'reboot-soft', 'reboot-hard', 'pause', 'suspend']);
  assert.deepEqual(enabled('SHUTOFF'), ['start', 'reboot-hard']);
  assert.deepEqual(enabled('PAUSED'), ['unpause']);
  assert.deepEqual(enabled('SUSPENDED'), ['resume']);
  assert.deepEqual(enabled('ERROR'), []);
  assert.deepEqual(enabled('BUILD'), []);
});

test('nothing is enabled while a task runs or an action is on its way', () => {
  assert.deepEqual(enabled('ACTIVE', 'powering-off'), []);
  assert.deepEqual(enabled('SHUTOFF', 'powering-on'), []);
  assert.deepEqual(enabled('ACTIVE', null, 'stop'), []);
});

test('Pause/Unpause and Suspend/Resume are one button each, named for what it does now', () => {
  const labels = (status: string) => actionButtons({ status, taskState: null, name: 'vm' }).map((b) => b.label);
  assert.deepEqual(labels('ACTIVE'), ['Start', 'Stop', 'Reboot', 'Hard reboot', 'Pause', 'Suspend']);
  assert.deepEqual(labels('PAUSED'), ['Start', 'Stop', 'Reboot', 'Hard reboot', 'Unpause', 'Suspend']);
  assert.deepEqual(labels('SUSPENDED'), ['Start', 'Stop', 'Reboot', 'Hard reboot', 'Pause', 'Resume']);
});

test('Stop, both reboots, Pause and Suspend ask first; Start, Unpause and Resume do not', () => {
  const asks = (status: string) =>
    actionButtons({ status, taskState: null, name: 'vm' })
      .filter((b) => b.confirm)
      .map((b) => b.action);
  assert.deepEqual(asks('ACTIVE'), ['stop', 'reboot-soft', 'reboot-hard', 'pause', 'suspend']);
  assert.deepEqual(asks('PAUSED').includes('unpause'), false);
  assert.deepEqual(asks('SUSPENDED').includes('resume'), false);
});

test('power states in words', () => {
  assert.deepEqual([0, 1, 3, 4, 6, 7].map(powerStateText), ['No state', 'Running', 'Paused', 'Shut down', 'Crashed', 'Suspended']);
  assert.equal(powerStateText(null), 'Unknown');
  assert.equal(powerStateText(9), 'Unknown (9)');
});
