// Drives the reference RDP client (FreeRDP 2's xfreerdp) under a private Xvfb display, takes screenshots with
// ImageMagick and reads them with Tesseract. Every process started here is stopped by the returned handles.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const XFREERDP = '/usr/bin/xfreerdp';
export const XVFB = '/usr/bin/Xvfb';
export const IMPORT = '/usr/bin/import';
export const CONVERT = '/usr/bin/convert';
export const TESSERACT = '/usr/bin/tesseract';
export const XDOTOOL = '/usr/bin/xdotool';

/** Why the xfreerdp end-to-end tests cannot run here, or null when everything is installed. */
export function missingTools(extra: string[] = []): string | null {
  const missing = [XFREERDP, XVFB, IMPORT, CONVERT, TESSERACT, ...extra].filter((p) => !existsSync(p));
  return missing.length ? `not installed: ${missing.join(', ')} (run scripts/install-test-deps.sh)` : null;
}

// One Xvfb starter for every suite (tracked PID, -displayfd, -noreset); `Xvfb` names what these tests use of it.
export { startXvfb, type XDisplay as Xvfb } from './xvfb.ts';

function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

export interface XfreerdpClient {
  proc: ChildProcess;
  /** Everything xfreerdp printed so far. */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts xfreerdp on `display` with the given arguments (add /v:, /cert:ignore, /size: … yourself). */
export function startXfreerdp(display: string, args: string[]): XfreerdpClient {
  const proc = spawn(XFREERDP, args, { env: { ...process.env, DISPLAY: display }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited, stop: () => stopProcess(proc) };
}

/** Screenshot of the whole display as PNG bytes written to `path`. */
export async function screenshot(display: string, path: string): Promise<void> {
  await run(IMPORT, ['-display', display, '-window', 'root', path]);
}

/**
 * OCR of a PNG: grey, enlarged three times, then Tesseract (small text); the same again at a quarter and a fifth of the size,
 * because very large block letters (a desktop's title) read better small. Returns all readings joined.
 */
export async function ocr(pngPath: string): Promise<string> {
  const texts: string[] = [];
  for (const scale of ['300%', '25%', '20%']) {
    const scaled = `${pngPath.replace(/\.png$/, '')}-${scale.replace('%', '')}.png`;
    await run(CONVERT, [pngPath, '-colorspace', 'Gray', '-resize', scale, scaled]);
    const { stdout } = await run(TESSERACT, [scaled, 'stdout'], { maxBuffer: 4 << 20 });
    texts.push(stdout);
  }
  return texts.join('\n');
}

/**
 * Takes screenshots until the OCR text satisfies `match` or `attempts` run out; returns the last text either way,
 * so the test asserts on what was actually read.
 */
export async function readScreenUntil(
  display: string,
  match: (text: string) => boolean,
  attempts = 20,
  pauseMs = 500,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'shot-'));
  try {
    let text = '';
    for (let i = 0; i < attempts; i++) {
      const png = join(dir, `s${i}.png`);
      try {
        await screenshot(display, png);
        text = await ocr(png);
        if (match(text)) return text;
      } catch {
        // the window may not exist yet
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    return text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Types text into the focused window of `display` with xdotool (X keyboard events, so xfreerdp sends scancodes). */
export async function typeText(display: string, text: string): Promise<void> {
  await run(XDOTOOL, ['type', '--delay', '40', text], { env: { ...process.env, DISPLAY: display } });
}

/** Resizes xfreerdp's window (no window manager under Xvfb, so xdotool resizes it directly). */
export async function resizeClientWindow(display: string, width: number, height: number): Promise<void> {
  const env = { ...process.env, DISPLAY: display };
  const { stdout } = await run(XDOTOOL, ['search', '--class', 'xfreerdp'], { env });
  const ids = stdout.split('\n').filter(Boolean);
  if (!ids.length) throw new Error('no xfreerdp window to resize');
  for (const id of ids) await run(XDOTOOL, ['windowsize', id, String(width), String(height)], { env });
}

/** The RGB colour of one pixel of a screenshot, as 0xRRGGBB. */
export async function pixelAt(pngPath: string, x: number, y: number): Promise<number> {
  const { PNG } = await import('pngjs');
  const { readFileSync } = await import('node:fs');
  const png = PNG.sync.read(readFileSync(pngPath));
  const i = (y * png.width + x) * 4;
  return (png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2];
}

/** Normalises OCR output for comparisons: upper case, letters and digits only. */
export function squash(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '');
}
