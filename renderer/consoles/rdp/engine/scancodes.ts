/**
 * DOM `KeyboardEvent.code` (the physical key, independent of layout) → PC/XT set-1 scancode as RDP sends it.
 * Extended keys (those a PC keyboard prefixes with 0xE0) carry 0xE000 on top of the base code.
 */

const E = 0xe000;

export const SCANCODES: Readonly<Record<string, number>> = {
  Escape: 0x01,
  Digit1: 0x02, Digit2: 0x03, Digit3: 0x04, Digit4: 0x05, Digit5: 0x06,
  Digit6: 0x07, Digit7: 0x08, Digit8: 0x09, Digit9: 0x0a, Digit0: 0x0b,
  Minus: 0x0c, Equal: 0x0d, Backspace: 0x0e, Tab: 0x0f,
  KeyQ: 0x10, KeyW: 0x11, KeyE: 0x12, KeyR: 0x13, KeyT: 0x14, KeyY: 0x15, KeyU: 0x16, KeyI: 0x17, KeyO: 0x18, KeyP: 0x19,
  BracketLeft: 0x1a, BracketRight: 0x1b, Enter: 0x1c, ControlLeft: 0x1d,
  KeyA: 0x1e, KeyS: 0x1f, KeyD: 0x20, KeyF: 0x21, KeyG: 0x22, KeyH: 0x23, KeyJ: 0x24, KeyK: 0x25, KeyL: 0x26,
  Semicolon: 0x27, Quote: 0x28, Backquote: 0x29, ShiftLeft: 0x2a, Backslash: 0x2b,
  KeyZ: 0x2c, KeyX: 0x2d, KeyC: 0x2e, KeyV: 0x2f, KeyB: 0x30, KeyN: 0x31, KeyM: 0x32,
  Comma: 0x33, Period: 0x34, Slash: 0x35, ShiftRight: 0x36, NumpadMultiply: 0x37, AltLeft: 0x38, Space: 0x39, CapsLock: 0x3a,
  F1: 0x3b, F2: 0x3c, F3: 0x3d, F4: 0x3e, F5: 0x3f, F6: 0x40, F7: 0x41, F8: 0x42, F9: 0x43, F10: 0x44,
  NumLock: 0x45, ScrollLock: 0x46,
  Numpad7: 0x47, Numpad8: 0x48, Numpad9: 0x49, NumpadSubtract: 0x4a, Numpad4: 0x4b, Numpad5: 0x4c, Numpad6: 0x4d,
  NumpadAdd: 0x4e, Numpad1: 0x4f, Numpad2: 0x50, Numpad3: 0x51, Numpad0: 0x52, NumpadDecimal: 0x53,
  IntlBackslash: 0x56, F11: 0x57, F12: 0x58,
  IntlRo: 0x73, Convert: 0x79, NonConvert: 0x7b, IntlYen: 0x7d, NumpadComma: 0x7e,
  F13: 0x64, F14: 0x65, F15: 0x66, F16: 0x67, F17: 0x68, F18: 0x69, F19: 0x6a, F20: 0x6b, F21: 0x6c, F22: 0x6d, F23: 0x6e, F24: 0x76,
  NumpadEnter: E | 0x1c, ControlRight: E | 0x1d, NumpadDivide: E | 0x35, PrintScreen: E | 0x37, AltRight: E | 0x38,
  Home: E | 0x47, ArrowUp: E | 0x48, PageUp: E | 0x49, ArrowLeft: E | 0x4b, ArrowRight: E | 0x4d, End: E | 0x4f,
  ArrowDown: E | 0x50, PageDown: E | 0x51, Insert: E | 0x52, Delete: E | 0x53,
  MetaLeft: E | 0x5b, MetaRight: E | 0x5c, ContextMenu: E | 0x5d,
  AudioVolumeMute: E | 0x20, AudioVolumeDown: E | 0x2e, AudioVolumeUp: E | 0x30,
};

export const Scancode = {
  control: SCANCODES.ControlLeft,
  alt: SCANCODES.AltLeft,
  shift: SCANCODES.ShiftLeft,
  delete: SCANCODES.Delete,
  enter: SCANCODES.Enter,
  tab: SCANCODES.Tab,
} as const;

export function scancodeForCode(code: string): number | undefined {
  return SCANCODES[code];
}

/** What a DOM key event becomes on the wire: a physical key, a character, or nothing. */
export type KeyInput = { kind: 'key'; scancode: number; pressed: boolean } | { kind: 'unicode'; text: string } | undefined;

/**
 * A key event as RDP input: its scancode when the key's position is known; otherwise, on key down, the character it
 * produced (some layouts' extra keys). Worked out in the page, where the event is, whichever thread runs the session.
 */
export function keyEventInput(e: Pick<KeyboardEvent, 'type' | 'code' | 'key'>): KeyInput {
  const pressed = e.type === 'keydown';
  if (!pressed && e.type !== 'keyup') return undefined;
  const scancode = scancodeForCode(e.code);
  if (scancode !== undefined) return { kind: 'key', scancode, pressed };
  if (pressed && [...e.key].length === 1) return { kind: 'unicode', text: e.key };
  return undefined;
}
