import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLogText } from '../../../electron/cli/log-follow.ts';

test('a log that grows: only the added part is new', () => {
  assert.deepEqual(newLogText('', 'a\nb\n'), { text: 'a\nb\n', restarted: false });
  assert.deepEqual(newLogText('a\nb\n', 'a\nb\nc\n'), { text: 'c\n', restarted: false });
  assert.deepEqual(newLogText('a\nb\n', 'a\nb\n'), { text: '', restarted: false });
});

test('a log whose start was dropped (the hypervisor keeps its end, or --lines N): what follows the old end is new', () => {
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `[${(from + i).toString().padStart(5)}] line ${from + i}\n`).join('');
  const before = lines(0, 100);
  const after = lines(40, 130); // 40 lines fell off the front, 30 were added
  assert.deepEqual(newLogText(before, after), { text: lines(100, 130), restarted: false });
  // The last 10 lines, asked twice while 3 lines were added.
  assert.deepEqual(newLogText(lines(90, 100), lines(93, 103)), { text: lines(100, 103), restarted: false });
});

test('a log that does not continue the old one starts over; a shorter tail of the same log adds nothing', () => {
  assert.deepEqual(newLogText('old boot\nlogin: ', 'fresh boot\n'), { text: 'fresh boot\n', restarted: true });
  assert.deepEqual(newLogText('a\nb\nc\n', 'c\n'), { text: '', restarted: false });
  assert.deepEqual(newLogText('a\nb\n', ''), { text: '', restarted: false });
});
