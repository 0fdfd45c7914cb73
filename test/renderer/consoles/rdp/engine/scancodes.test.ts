import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCANCODES, scancodeForCode } from '../../../../../renderer/consoles/rdp/engine/scancodes.ts';
import { isHostKey } from '../../../../../renderer/consoles/host-key.ts';

test('every physical key has its own set-1 scancode; extended keys carry 0xE000', () => {
  const values = Object.values(SCANCODES);
  assert.equal(new Set(values).size, values.length, 'two keys share a scancode');
  for (const [code, sc] of Object.entries(SCANCODES)) {
    assert.ok((sc & 0xff) > 0 && (sc & 0xff) < 0x80, `${code}: base code out of range`);
    assert.ok((sc & ~0xe0ff) === 0, `${code}: stray bits`);
  }
  // Spot checks against the PC keyboard layout.
  assert.equal(scancodeForCode('KeyA'), 0x1e);
  assert.equal(scancodeForCode('Enter'), 0x1c);
  assert.equal(scancodeForCode('NumpadEnter'), 0xe01c);
  assert.equal(scancodeForCode('ControlRight'), 0xe01d);
  assert.equal(scancodeForCode('Delete'), 0xe053);
  assert.equal(scancodeForCode('ArrowUp'), 0xe048);
  assert.equal(scancodeForCode('Numpad8'), 0x48);
  assert.equal(scancodeForCode('MetaLeft'), 0xe05b);
  assert.equal(scancodeForCode('NoSuchKey'), undefined);
});

test('the host key is Ctrl+Alt+Home on key down only', () => {
  assert.equal(isHostKey({ type: 'keydown', ctrlKey: true, altKey: true, code: 'Home' }), true);
  assert.equal(isHostKey({ type: 'keyup', ctrlKey: true, altKey: true, code: 'Home' }), false);
  assert.equal(isHostKey({ type: 'keydown', ctrlKey: true, altKey: false, code: 'Home' }), false);
  assert.equal(isHostKey({ type: 'keydown', ctrlKey: true, altKey: true, code: 'Delete' }), false);
});
