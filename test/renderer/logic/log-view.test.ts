import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findMatches, markMatches } from '../../../renderer/logic/log-find.ts';
import { isAtBottom, logFileName } from '../../../renderer/logic/log-follow.ts';
import { startPolling, type Timers } from '../../../renderer/logic/poll.ts';

test('find: every match ignoring case, regular-expression characters taken literally', () => {
  assert.deepEqual(findMatches('Error: error (eRRor)', 'error'), [
    { start: 0, end: 5 },
    { start: 7, end: 12 },
    { start: 14, end: 19 },
  ]);
  assert.deepEqual(findMatches('a.b axb', 'a.b'), [{ start: 0, end: 3 }]);
  assert.deepEqual(findMatches('(x)', '(x)'), [{ start: 0, end: 3 }]);
  assert.deepEqual(findMatches('anything', ''), []);
  assert.equal(findMatches('a'.repeat(100), 'a', 10).length, 10);
});

test('matches cut the styled runs, keeping each piece\'s style; the text is unchanged', () => {
  const runs = [{ text: 'boot ' }, { text: 'FAILED', fg: 1, bold: true }, { text: ' ok failed' }];
  const text = runs.map((r) => r.text).join('');
  const pieces = markMatches(runs, findMatches(text, 'failed'));
  assert.equal(pieces.map((p) => p.text).join(''), text);
  assert.deepEqual(pieces, [
    { text: 'boot ' },
    { text: 'FAILED', fg: 1, bold: true, match: 0 },
    { text: ' ok ' },
    { text: 'failed', match: 1 },
  ]);
  // A match across two runs is two pieces of the same match.
  const across = markMatches([{ text: 'ab', fg: 2 }, { text: 'cd' }], findMatches('abcd', 'bc'));
  assert.deepEqual(across, [{ text: 'a', fg: 2 }, { text: 'b', fg: 2, match: 0 }, { text: 'c', match: 0 }, { text: 'd' }]);
});

test('following: at the bottom within a line keeps following; scrolled up does not', () => {
  assert.equal(isAtBottom({ scrollTop: 900, clientHeight: 100, scrollHeight: 1000 }), true);
  assert.equal(isAtBottom({ scrollTop: 890, clientHeight: 100, scrollHeight: 1000 }), true);
  assert.equal(isAtBottom({ scrollTop: 500, clientHeight: 100, scrollHeight: 1000 }), false);
  assert.equal(isAtBottom({ scrollTop: 0, clientHeight: 100, scrollHeight: 50 }), true, 'a short log');
});

test('a saved log is named after its server, with characters file systems refuse replaced', () => {
  assert.equal(logFileName('debian-12-db'), 'debian-12-db-console.log');
  assert.equal(logFileName('web/01: prod'), 'web_01_prod-console.log');
  assert.equal(logFileName('..'), '_-console.log');
});

test('polling runs at once, then again after each run settles, never two at once, until stopped', async () => {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  const timers: Timers = { setTimeout: (fn, ms) => pending.push({ fn, ms }), clearTimeout: () => pending.splice(0) };
  let runs = 0;
  let finish: () => void = () => undefined;
  const stop = startPolling(
    () => {
      runs++;
      return new Promise<void>((r) => (finish = r));
    },
    () => 2000,
    timers,
  );
  assert.equal(runs, 1);
  assert.equal(pending.length, 0, 'nothing scheduled while a run is in flight');
  finish();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(pending.map((p) => p.ms), [2000]);
  pending.shift()!.fn();
  assert.equal(runs, 2);
  finish();
  await new Promise((r) => setImmediate(r));
  stop();
  assert.equal(pending.length, 0, 'stopping cancels the next run');
  // A run that fails does not stop the polling.
  let failing = 0;
  const stop2 = startPolling(() => (failing++, Promise.reject(new Error('x'))), () => 5, timers);
  await new Promise((r) => setImmediate(r));
  assert.equal(pending.length, 1);
  stop2();
  assert.equal(failing, 1);
});
