import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ansiRuns, colourClass, nearestColour, stripAnsi } from '../../../renderer/logic/ansi.ts';

const ESC = '\x1b';

test('SGR colours and bold become runs; the text is exactly the stripped log', () => {
  const log = `[  ${ESC}[0;32m OK ${ESC}[0m] Started ${ESC}[0;1;39mJournal Service${ESC}[0m.\n${ESC}[1;31mFAILED${ESC}[0m ${ESC}[92mbright${ESC}[39m`;
  const runs = ansiRuns(log);
  assert.deepEqual(runs, [
    { text: '[  ' },
    { text: ' OK ', fg: 2 },
    { text: '] Started ' },
    { text: 'Journal Service', bold: true },
    { text: '.\n' },
    { text: 'FAILED', fg: 1, bold: true },
    { text: ' ' },
    { text: 'bright', fg: 10 },
  ]);
  assert.equal(runs.map((r) => r.text).join(''), stripAnsi(log));
  assert.equal(stripAnsi(log), '[   OK ] Started Journal Service.\nFAILED bright');
  assert.equal(colourClass(2), 'ansi-green');
  assert.equal(colourClass(10), 'ansi-bright-green');
});

test('256-colour and true-colour requests map to the nearest of the 16 colours', () => {
  // 9 is bright red as it is, 196 (#ff0000) is the nearest to it: one run. 21 is #0000ff, 231 #ffffff, 244 a grey.
  assert.deepEqual(ansiRuns(`${ESC}[38;5;9mA${ESC}[38;5;196mB${ESC}[38;5;21mC${ESC}[38;5;231mD${ESC}[38;5;244mE`), [
    { text: 'AB', fg: 9 },
    { text: 'C', fg: 4 },
    { text: 'D', fg: 15 },
    { text: 'E', fg: 8 },
  ]);
  assert.deepEqual(ansiRuns(`${ESC}[38;2;0;200;0mgreen${ESC}[0m`), [{ text: 'green', fg: 2 }]);
  assert.equal(nearestColour(250, 250, 250), 15);
  assert.equal(nearestColour(10, 10, 10), 0);
});

test('every other escape sequence is dropped: cursor moves, erase, private modes, window titles, charsets', () => {
  const log = `a${ESC}[2Jb${ESC}[?25lc${ESC}]0;root@vm: ~${'\x07'}d${ESC}(Be${ESC}[Kf${ESC}[10;20Hg${ESC}]8;;http://x${ESC}\\h${ESC}7i${ESC}Pq#0${ESC}\\j`;
  assert.equal(stripAnsi(log), 'abcdefghij');
  assert.deepEqual(ansiRuns(log), [{ text: 'abcdefghij' }]);
});

test('malformed and cut-off escapes neither leak into the text nor swallow it', () => {
  // Cut off at the end (a log asked for its last lines can end anywhere).
  assert.equal(stripAnsi(`tail ${ESC}[31`), 'tail ');
  assert.equal(stripAnsi(`tail ${ESC}`), 'tail ');
  assert.equal(stripAnsi(`tail ${ESC}]0;never ended`), 'tail ');
  // Interrupted by a line break: the next line survives.
  assert.equal(stripAnsi(`one ${ESC}[31\ntwo`), 'one \ntwo');
  assert.equal(stripAnsi(`one ${ESC}]0;title\ntwo`), 'one \ntwo');
  // Parameters anser does not know, and an SGR with intermediates (not an SGR): no stray characters.
  assert.equal(stripAnsi(`${ESC}[999;31mX${ESC}[m`), 'X');
  assert.deepEqual(ansiRuns(`${ESC}[999;31mX${ESC}[m`), [{ text: 'X', fg: 1 }]);
  assert.equal(stripAnsi(`${ESC}[1 mX`), 'X');
  // 8-bit CSI and other control characters.
  assert.equal(stripAnsi('a\x9b31mb\x07c\x00d\x08e'), 'abcde');
});

test('carriage returns: CRLF is a line break; a line rewritten after a CR shows its last text, colours kept', () => {
  assert.equal(stripAnsi('one\r\ntwo\r\n'), 'one\ntwo\n');
  assert.equal(stripAnsi(`[  *** ] A start job is running\r${ESC}[K[  OK  ] Started job\nnext`), '[  OK  ] Started job\nnext');
  assert.deepEqual(ansiRuns(`${ESC}[32mprogress 10%\rprogress 100%${ESC}[0m`), [{ text: 'progress 100%', fg: 2 }]);
});

test('plain text and an empty log pass through', () => {
  assert.equal(stripAnsi('just text\twith a tab'), 'just text\twith a tab');
  assert.deepEqual(ansiRuns(''), []);
  assert.equal(stripAnsi('<b>&amp;</b>'), '<b>&amp;</b>', 'markup is text (the view renders text nodes, never HTML)');
});

test("a real cloud's log: Nova removed the ESC, the bare SGR brackets still colour and never show", () => {
  const novaLog = '[[0;32m  OK  [0m] Started [0;1;39msshd.service[0m.\n[manager] took [5 s]\n';
  assert.equal(stripAnsi(novaLog), '[  OK  ] Started sshd.service.\n[manager] took [5 s]\n');
  const runs = ansiRuns(novaLog);
  assert.deepEqual(runs.find((r) => r.text === '  OK  '), { text: '  OK  ', fg: 2 });
  assert.deepEqual(runs.find((r) => r.text === 'sshd.service'), { text: 'sshd.service', bold: true });
});
