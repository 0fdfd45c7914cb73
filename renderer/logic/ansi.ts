import Anser from 'anser';

/**
 * Console logs as Nova returns them: what the guest wrote to its serial port, ANSI escapes included (systemd's
 * coloured [  OK  ], a login prompt's bold, cursor moves, window titles). The view renders the SGR colours and bold
 * as classes (the page's CSP allows no inline styles from markup, and a class keeps to the 16 colours the theme
 * defines), or shows plain text; every other escape sequence is dropped either way.
 */

/** One run of text in one style. Concatenated, the runs of a log are exactly stripAnsi(log). */
export interface AnsiRun {
  text: string;
  /** 0-7 the normal colours, 8-15 the bright ones (ANSI order: black, red, green, yellow, blue, magenta, cyan, white). */
  fg?: number;
  bold?: boolean;
}

export const ANSI_COLOUR_NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;

/** The class of a run's colour: `ansi-red`, `ansi-bright-red`… */
export function colourClass(fg: number): string {
  return fg < 8 ? `ansi-${ANSI_COLOUR_NAMES[fg]}` : `ansi-bright-${ANSI_COLOUR_NAMES[fg - 8]}`;
}

// Escape sequences (ECMA-48), in the order they are tried: CSI (ESC [ or the 8-bit CSI) with its parameter,
// intermediate and final bytes; a CSI cut off before its final byte; OSC up to BEL or ST, or to the end of the line
// when never terminated; DCS, SOS, PM and APC strings up to ST; any other ESC with its intermediates and final byte;
// a lone ESC.
const ESCAPE =
  // eslint-disable-next-line no-control-regex -- matching escape sequences is the point
  /(?:\x1b\[|\x9b)([0-?]*)([ -/]*)([@-~])|(?:\x1b\[|\x9b)[0-?]*[ -/]*|(?:\x1b\]|\x9d)[^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]|\x1b/g;
// C0 and C1 controls other than tab and line feed (carriage returns are handled before, per line).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// eslint-disable-next-line no-control-regex -- SGR sequences, kept by clean()
const SGR = /\x1b\[[0-9;:]*m/g;

// Nova's API removes the control characters [\x00-\x08\x0b-\x1f] from console output, ESC included, so a real
// cloud's log carries systemd's colours as bare `[0;32m`. A bracket of SGR parameters ending in `m` is read as the
// sequence it was (kernel timestamps `[    1.23]` and other bracketed text never end in a bare `m` after digits).
// eslint-disable-next-line no-control-regex -- a bracket not already preceded by ESC
const BARE_SGR = /(?<!\x1b)\[([0-9][0-9;]{0,31})m/g;

function restoreNovaSgr(text: string): string {
  return text.replace(BARE_SGR, '\x1b[$1m');
}

/**
 * The log with every escape sequence dropped except well-formed SGR (ESC [ params m), carriage returns applied
 * (a line rewritten after a CR shows what was written last, as on a terminal: systemd's progress lines) and other
 * control characters removed.
 */
function clean(text: string): string {
  const kept = restoreNovaSgr(text).replace(ESCAPE, (seq: string, params?: string, inter?: string, final?: string) =>
    final === 'm' && seq.startsWith('\x1b') && inter === '' && /^[0-9;:]*$/.test(params ?? '') ? seq : '',
  );
  const lines = kept.split('\n').map((line) => {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    const cr = l.lastIndexOf('\r');
    if (cr < 0) return l;
    // The colours set in the overwritten part still apply to what follows.
    const before = l.slice(0, cr).match(SGR)?.join('') ?? '';
    return before + l.slice(cr + 1);
  });
  return lines.join('\n').replace(CONTROL, (c) => (c === '\x1b' ? c : ''));
}

/** The log as plain text: what is copied, saved when stripped, and searched. */
export function stripAnsi(text: string): string {
  return clean(text).replace(SGR, '');
}

// The 16 colours as xterm draws them, to map 256-colour and true-colour requests onto the nearest of them.
const PALETTE16: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238], [205, 0, 205], [0, 205, 205], [229, 229, 229],
  [127, 127, 127], [255, 0, 0], [0, 255, 0], [255, 255, 0], [92, 92, 255], [255, 0, 255], [0, 255, 255], [255, 255, 255],
];

/** The nearest of the 16 colours to an RGB colour (squared distance). */
export function nearestColour(r: number, g: number, b: number): number {
  let best = 0;
  let bestDist = Infinity;
  PALETTE16.forEach(([pr, pg, pb], i) => {
    const d = (pr - r) ** 2 + (pg - g) ** 2 + (pb - b) ** 2;
    if (d < bestDist) [best, bestDist] = [i, d];
  });
  return best;
}

/** xterm's 256-colour palette entry as RGB (16-231: a 6×6×6 cube; 232-255: greys). */
function palette256(n: number): [number, number, number] {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return [v, v, v];
  }
  const i = n - 16;
  const step = (c: number) => (c === 0 ? 0 : 55 + c * 40);
  return [step(Math.floor(i / 36)), step(Math.floor(i / 6) % 6), step(i % 6)];
}

/** Anser's colour (a class name with use_classes) as one of the 16, or undefined for the default colour. */
function toColour(fg: string | null, truecolour: string | null): number | undefined {
  if (!fg) return undefined;
  const bright = /^ansi-bright-(\w+)$/.exec(fg);
  if (bright) return 8 + ANSI_COLOUR_NAMES.indexOf(bright[1] as (typeof ANSI_COLOUR_NAMES)[number]);
  const named = /^ansi-(black|red|green|yellow|blue|magenta|cyan|white)$/.exec(fg);
  if (named) return ANSI_COLOUR_NAMES.indexOf(named[1] as (typeof ANSI_COLOUR_NAMES)[number]);
  const indexed = /^ansi-palette-(\d+)$/.exec(fg);
  if (indexed) {
    const n = Number(indexed[1]);
    return n < 16 ? n : nearestColour(...palette256(n));
  }
  if (fg === 'ansi-truecolor' && truecolour) {
    const [r, g, b] = truecolour.split(',').map((x) => Number(x.trim()));
    if ([r, g, b].every((x) => Number.isFinite(x))) return nearestColour(r, g, b);
  }
  return undefined;
}

/** The log as styled runs: SGR colours (to the nearest of 16) and bold; everything else dropped. */
export function ansiRuns(text: string): AnsiRun[] {
  const runs: AnsiRun[] = [];
  for (const entry of Anser.ansiToJson(clean(text), { use_classes: true, remove_empty: true })) {
    if (!entry.content) continue;
    const fg = toColour(entry.fg, entry.fg_truecolor);
    const bold = entry.decorations.includes('bold');
    const last = runs.at(-1);
    // Neighbours in the same style are one run (anser splits at every sequence, even one that changes nothing).
    if (last && last.fg === fg && !!last.bold === bold) last.text += entry.content;
    else runs.push({ text: entry.content, ...(fg === undefined ? {} : { fg }), ...(bold ? { bold } : {}) });
  }
  return runs;
}
