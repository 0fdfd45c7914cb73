// Keyboard input of a demo VNC desktop. Two kinds arrive:
//  - KeyEvent carries an X keysym, the character the client's own layout produced: taken as that character.
//  - QEMU's Extended Key Event adds the physical key (an XT scancode); a QEMU guest sees only the key and applies
//    its own layout, so those go through the demo desktop's set-1 scancode keyboard (US layout), as on a VM.
// Both answer with the demo desktop's KeyAction, so typed text, Backspace, Ctrl+C and Ctrl+Alt+Del behave as in the
// RDP demo desktop.
import { KeyboardState, type KeyAction } from '../demo-desktop/keyboard.ts';

const XK = {
  BackSpace: 0xff08,
  Return: 0xff0d,
  KP_Enter: 0xff8d,
  Delete: 0xffff,
  KP_Delete: 0xff9f,
  Control_L: 0xffe3,
  Control_R: 0xffe4,
  Alt_L: 0xffe9,
  Alt_R: 0xffea,
  Meta_L: 0xffe7,
  Meta_R: 0xffe8,
} as const;

/** The character of a keysym: Latin-1 keysyms are their code point, Unicode keysyms 0x01000000 + code point. */
function keysymText(keysym: number): string | null {
  if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff)) return String.fromCharCode(keysym);
  if (keysym >= 0x01000100 && keysym <= 0x0110ffff) return String.fromCodePoint(keysym - 0x01000000);
  return null;
}

export class KeysymKeyboard {
  private readonly held = new Set<number>();
  private readonly scancodes = new KeyboardState();

  /** A KeyEvent (keysym only). */
  keysym(keysym: number, down: boolean): KeyAction {
    if (keysym === XK.Control_L || keysym === XK.Control_R || keysym === XK.Alt_L || keysym === XK.Alt_R || keysym === XK.Meta_L || keysym === XK.Meta_R) {
      if (down) this.held.add(keysym);
      else this.held.delete(keysym);
      return null;
    }
    if (!down) return null;
    const ctrl = this.held.has(XK.Control_L) || this.held.has(XK.Control_R);
    const alt = this.held.has(XK.Alt_L) || this.held.has(XK.Alt_R) || this.held.has(XK.Meta_L) || this.held.has(XK.Meta_R);
    if ((keysym === XK.Delete || keysym === XK.KP_Delete) && ctrl && alt) return { type: 'secure-attention' };
    if (keysym === XK.BackSpace) return { type: 'backspace' };
    // Enter shows as a space on the one typed line, as on the RDP demo desktop.
    if (keysym === XK.Return || keysym === XK.KP_Enter) return { type: 'char', text: ' ' };
    const text = keysymText(keysym);
    if (text === null) return null;
    if (ctrl && !alt) return text.toLowerCase() === 'c' ? { type: 'copy' } : null;
    if (ctrl || alt) return null;
    return { type: 'char', text };
  }

  /**
   * A QEMU Extended Key Event: the scancode decides, as a guest's keyboard driver would. QEMU numbers extended keys
   * 0x80 + scancode (right Ctrl 0x9d, Delete 0xd3); a keycode of 0 means the client knew none, so the keysym serves.
   */
  qemuKey(keycode: number, keysym: number, down: boolean): KeyAction {
    if (keycode === 0 || keycode > 0xff) return this.keysym(keysym, down);
    return this.scancodes.key(keycode & 0x7f, !down, (keycode & 0x80) !== 0);
  }
}
