// Turns set-1 scancodes into typed characters for a US layout, tracking Shift; enough to show typed text.

const NORMAL: Record<number, string> = {};
const SHIFTED: Record<number, string> = {};

function row(start: number, normal: string, shifted: string): void {
  for (let i = 0; i < normal.length; i++) {
    NORMAL[start + i] = normal[i];
    SHIFTED[start + i] = shifted[i];
  }
}
row(0x02, '1234567890-=', '!@#$%^&*()_+');
row(0x10, 'qwertyuiop[]', 'QWERTYUIOP{}');
row(0x1e, "asdfghjkl;'`", 'ASDFGHJKL:"~');
row(0x2b, '\\zxcvbnm,./', '|ZXCVBNM<>?');
NORMAL[0x39] = ' ';
SHIFTED[0x39] = ' ';

export type KeyAction = { type: 'char'; text: string } | { type: 'backspace' } | { type: 'secure-attention' } | { type: 'copy' } | null;

// Left and right Ctrl/Alt share a code and differ by the extended flag; tracking the code is enough here.
const CTRL = 0x1d;
const ALT = 0x38;
const DELETE = 0x53;
const KEY_C = 0x2e;

export class KeyboardState {
  private shift = new Set<number>();
  private held = new Set<number>();
  private caps = false;

  key(code: number, release: boolean, extended: boolean): KeyAction {
    if (code === CTRL || code === ALT) {
      if (release) this.held.delete(code);
      else this.held.add(code);
      return null;
    }
    // Ctrl+Alt+Del (Delete is the extended 0x53; keypad Del with Num Lock off is not) is what a Windows console
    // answers with its secure attention screen.
    if (code === DELETE && extended && !release && this.held.has(CTRL) && this.held.has(ALT)) {
      return { type: 'secure-attention' };
    }
    if (code === 0x2a || code === 0x36) {
      if (release) this.shift.delete(code);
      else this.shift.add(code);
      return null;
    }
    if (release || extended) return null;
    if (code === 0x3a) {
      this.caps = !this.caps;
      return null;
    }
    if (code === 0x0e) return { type: 'backspace' };
    // Ctrl+C (without Alt, which some layouts use for characters) copies, as on a real desktop.
    if (code === KEY_C && this.held.has(CTRL) && !this.held.has(ALT)) return { type: 'copy' };
    if (code === 0x1c) return { type: 'char', text: ' ' };
    const shifted = this.shift.size > 0;
    let ch = (shifted ? SHIFTED : NORMAL)[code];
    if (ch === undefined) return null;
    if (this.caps && /[a-z]/i.test(ch)) ch = shifted ? ch.toLowerCase() : ch.toUpperCase();
    return { type: 'char', text: ch };
  }

  /** Keyboard sync events carry the lock-key state; only Caps Lock matters here. */
  sync(capsLock: boolean): void {
    this.caps = capsLock;
  }
}
