// TigerVNC's native viewer (Debian tigervnc-viewer) as a reference client for the demo VNC server: started on a
// private Xvfb display, tracked by PID, given keyboard focus with xdotool (Xvfb has no window manager to do it).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { spawnTracked, type Tracked } from '../../../support/xvfb.ts';
import { CONVERT, IMPORT, TESSERACT, XDOTOOL, XVFB } from '../../../support/xfreerdp.ts';

const run = promisify(execFile);

export const XTIGERVNCVIEWER = '/usr/bin/xtigervncviewer';
export const XCLIP = '/usr/bin/xclip';

/** Why the viewer tests cannot run here, or false when everything is installed. */
export function viewerToolsMissing(): string | false {
  const missing = [XTIGERVNCVIEWER, XVFB, IMPORT, CONVERT, TESSERACT, XDOTOOL].filter((p) => !existsSync(p));
  return missing.length ? `not installed: ${missing.join(', ')} (run scripts/install-test-deps.sh)` : false;
}

/** xtigervncviewer connected to host:port (TigerVNC's host::port form), sharing the desktop with other clients. */
export function startViewer(display: string, host: string, port: number): Tracked {
  return spawnTracked(XTIGERVNCVIEWER, [`${host}::${port}`, '-Shared', '-AcceptClipboard=1', '-SendClipboard=1'], { ...process.env, DISPLAY: display });
}

/** Gives the viewer's window the keyboard (and puts the pointer on it), waiting until the window exists. */
export async function focusViewer(display: string): Promise<void> {
  const env = { ...process.env, DISPLAY: display };
  for (let attempt = 0; ; attempt++) {
    try {
      const { stdout } = await run(XDOTOOL, ['search', '--name', 'TigerVNC'], { env });
      const id = stdout.split('\n').filter(Boolean).at(-1);
      if (id) {
        await run(XDOTOOL, ['windowfocus', '--sync', id], { env });
        await run(XDOTOOL, ['mousemove', '--window', id, '200', '150'], { env });
        return;
      }
    } catch {
      // no such window yet
    }
    if (attempt > 50) throw new Error('the viewer window did not appear');
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function xdotool(display: string, args: string[]): Promise<void> {
  await run(XDOTOOL, args, { env: { ...process.env, DISPLAY: display } });
}

/** The display's CLIPBOARD selection as xclip reads it ('' when empty). */
export async function readClipboard(display: string): Promise<string> {
  try {
    const { stdout } = await run(XCLIP, ['-o', '-selection', 'clipboard'], { env: { ...process.env, DISPLAY: display }, timeout: 5000 });
    return stdout;
  } catch {
    return '';
  }
}

/** Owns the display's CLIPBOARD selection with `text` (xclip stays in the background serving it until replaced). */
export async function writeClipboard(display: string, text: string): Promise<void> {
  const xclip = spawn(XCLIP, ['-i', '-selection', 'clipboard'], { env: { ...process.env, DISPLAY: display }, stdio: ['pipe', 'ignore', 'ignore'] });
  xclip.stdin.end(text);
  // xclip forks a child that keeps the selection and exits itself once it loses it; the parent ends at once.
  await new Promise((resolve) => xclip.once('exit', resolve));
}
