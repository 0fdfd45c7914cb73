/**
 * X11 keysyms for text the app types itself (Characters mode, Type clipboard): Latin-1 characters are their own
 * keysym, every other Unicode character is 0x01000000 plus its code point (the X11 convention RFB uses), and line
 * breaks and tabs are the Return and Tab keys.
 */
const RETURN = 0xff0d;
const TAB = 0xff09;

export function keysymOf(char: string): number | undefined {
  if (char === '\n' || char === '\r') return RETURN;
  if (char === '\t') return TAB;
  const cp = char.codePointAt(0);
  if (cp === undefined || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return undefined;
  return cp < 0x100 ? cp : 0x01000000 + cp;
}
