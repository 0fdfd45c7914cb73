// Chromium driven over the DevTools protocol directly, with only what a measurement needs: no Playwright. Playwright
// enables the Runtime domain on every page it drives, and with Runtime enabled the renderer keeps far more native
// memory once an RDP session runs (about +160 MB on this machine's Chromium, never given back): the memory benchmark
// would measure the harness, not the app. Here the page is reached with Runtime.evaluate, which needs no domain
// enabled, and input goes through Input.dispatch*, as a user's would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { chromiumSwitchArgs } from '../../electron/app/chromium-switches.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../../test/e2e/app/harness.ts';
import { killQuietly, removeQuietly } from './app.ts';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string };

/**
 * One DevTools connection over --remote-debugging-pipe: JSON messages, each ended by a NUL byte, written to the
 * browser's fd 3 and read from its fd 4. Commands to a page go with the flat-mode session id of its target.
 */
export class CdpConnection {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private buffered = '';
  private closedWith: Error | undefined;

  constructor(
    private readonly out: Writable,
    input: Readable,
  ) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.receive(chunk));
    input.on('close', () => this.fail(new Error('the DevTools pipe closed')));
    // A broken pipe shows up as a failed command (and the close above), not as an unhandled error.
    input.on('error', () => undefined);
    out.on('error', () => undefined);
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      this.out.write(message + '\0');
    });
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    for (let end = this.buffered.indexOf('\0'); end >= 0; end = this.buffered.indexOf('\0')) {
      const text = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      let msg: { id?: number; result?: unknown; error?: { message: string } };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        continue;
      }
      // Events (no id) are not needed: every wait here polls the page.
      if (msg.id === undefined) continue;
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    }
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** A page target, attached in flat mode. */
export class CdpPage {
  constructor(
    readonly cdp: CdpConnection,
    readonly sessionId: string,
  ) {}

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  /** The value of a JavaScript expression in the page (promises awaited); page exceptions become errors here. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls an expression until it is truthy; returns its value. */
  async waitFor<T>(expression: string, what: string, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate<T>(expression);
      if (v) return v;
      if (performance.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
      await delay(intervalMs);
    }
  }

  /** A click at page coordinates (CSS pixels), through the input pipeline as a mouse would. */
  async click(x: number, y: number, button: 'left' | 'right' = 'left'): Promise<void> {
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
    for (const type of ['mousePressed', 'mouseReleased']) await this.send('Input.dispatchMouseEvent', { type, x, y, button, clickCount: 1 });
  }

  /** Text typed into the focused element (one input event, as an IME or a paste-free typing would give). */
  async insertText(text: string): Promise<void> {
    await this.send('Input.insertText', { text });
  }

  async pressEnter(): Promise<void> {
    const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
    await this.send('Input.dispatchKeyEvent', { type: 'keyDown', ...key, text: '\r' });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key });
  }
}

export interface BareChromium {
  pid: number;
  cdp: CdpConnection;
  page: CdpPage;
  stop(): Promise<void>;
}

/**
 * Launches headless Chromium (the tests' switches, a private profile, the given window size) with one blank page
 * and attaches to it. Nothing is enabled on the page's session.
 */
export async function launchBareChromium(opts: { width: number; height: number; args?: string[] }): Promise<BareChromium> {
  if (chromiumMissing) throw new Error(chromiumMissing);
  const profile = mkdtempSync(join(tmpdir(), 'nova-bench-chromium-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, delay(5000)]);
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) killQuietly(child.pid);
    }
    removeQuietly(profile);
  };
  try {
    child = spawn(
      CHROMIUM,
      [
        ...CHROMIUM_ARGS.filter((a) => !a.startsWith('--disable-features=')),
        // A browser with no work of its own besides the page (Playwright's launches ask for the same): no extensions
        // or default apps, no phishing model, translation or hint downloads, no throttling of a page the headless
        // window might count as hidden. Its memory is then the page's to explain.
        '--disable-extensions',
        '--disable-default-apps',
        '--disable-component-extensions-with-background-pages',
        '--disable-client-side-phishing-detection',
        ...chromiumSwitchArgs(['Translate', 'OptimizationHints', 'MediaRouter', 'DialMediaRouteProvider']),
        '--disable-background-timer-throttling',
        '--disable-backgrounding-occluded-windows',
        '--disable-renderer-backgrounding',
        '--disable-breakpad',
        '--metrics-recording-only',
        '--password-store=basic',
        '--use-mock-keychain',
        '--mute-audio',
        '--hide-scrollbars',
        ...(opts.args ?? []),
        '--headless',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        `--window-size=${opts.width},${opts.height}`,
        'about:blank',
      ],
      // fd 3: commands to Chromium, fd 4: its answers.
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const spawned = child;
    await new Promise<void>((resolve, reject) => {
      spawned.once('spawn', () => resolve());
      spawned.once('error', reject);
    });
    const cdp = new CdpConnection(spawned.stdio[3] as Writable, spawned.stdio[4] as Readable);
    const targets = await cdp.send<{ targetInfos: Array<{ targetId: string; type: string }> }>('Target.getTargets');
    const target = targets.targetInfos.find((t) => t.type === 'page') ?? (await cdp.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' }));
    const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId: target.targetId, flatten: true });
    const page = new CdpPage(cdp, sessionId);
    // The viewport exactly this size, as Playwright sets its pages' (a headless window keeps room for browser controls
    // it does not draw, so its own size leaves a smaller viewport).
    await page.send('Emulation.setDeviceMetricsOverride', { width: opts.width, height: opts.height, deviceScaleFactor: 1, mobile: false });
    return { pid: spawned.pid!, cdp, page, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
