// The serial tab's bound on output waiting for the terminal: what is kept, what is dropped, and the notice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { droppedNotice, OutputQueue } from '../../../../renderer/consoles/serial/output-queue.ts';

test('below the bound everything comes out in order, in parts of at most the size asked for', () => {
  const q = new OutputQueue(100);
  q.push('hello ');
  q.push('');
  q.push('world');
  assert.equal(q.pending, 11);
  assert.equal(q.take(4), 'hell');
  assert.equal(q.take(100), 'o world');
  assert.equal(q.take(100), undefined);
});

test('past the bound the oldest output goes, and the next part starts with a notice saying how much', () => {
  const q = new OutputQueue(10);
  for (const part of ['aaaa', 'bbbb', 'cccc', 'dddd']) q.push(part);
  assert.equal(q.pending, 10);
  assert.equal(q.take(100), droppedNotice(6) + 'bbccccdddd');
  assert.equal(q.take(100), undefined, 'the notice is said once');
  assert.match(droppedNotice(5 << 20), /about 5\.0 MB of console output dropped/);
  assert.ok(droppedNotice(1).startsWith('\x18'), 'CAN first: an escape sequence cut open ends before the notice');
});

test('a burst of 200 MB held to 4 MiB: memory stays bounded, the newest output is kept', () => {
  const q = new OutputQueue(4 << 20);
  const line = 'y\r\n'.repeat(1 << 14);
  for (let i = 0; i < (200 << 20) / line.length; i++) q.push(line);
  q.push('the end');
  assert.ok(q.pending <= 4 << 20);
  let last = '';
  for (let part = q.take(1 << 18); part !== undefined; part = q.take(1 << 18)) last = part;
  assert.ok(last.endsWith('y\r\nthe end'));
});

test('a cut never splits a surrogate pair', () => {
  const q = new OutputQueue(100);
  q.push('a😀b');
  assert.equal(q.take(2), 'a');
  assert.equal(q.take(100), '😀b');
  const small = new OutputQueue(2);
  small.push('a😀');
  small.push('b');
  // eslint-disable-next-line no-control-regex -- the console's raw control bytes are what is checked
  assert.ok(!/^[\udc00-\udfff]/.test(small.take(100)!.replace(/^\x18[^\n]*\n[^\n]*\n/, '')), 'no lone low surrogate after a drop');
});
