import type * as Iron from '@devolutions/iron-remote-desktop-rdp';
import {
  EngineError,
  type CloseReason,
  type ConnectOptions,
  type LockKeys,
  type RdpEngine,
  type RdpEngineSession,
} from './types.ts';
import { Scancode } from './scancodes.ts';
import { SessionBase } from './session-base.ts';
import { describeIronError } from './iron-errors.ts';

/**
 * RdpEngine over IronRDP's WASM build (@devolutions/iron-remote-desktop-rdp). The module (≈6 MB, wasm inlined as a
 * data: URL) is loaded and initialised once per JavaScript realm and shared by every tab; each session draws straight
 * into its tab's canvas.
 *
 * Two ways to run it: in the page (`createIronRdpEngine`, used where a page has no workers, and by test pages that
 * look inside the engine), or in a worker (`worker-engine.ts`, what the app uses), where IronRdpSession draws on the
 * frame shipper's stand-in and the page puts what it drew on the tab's canvas.
 */

type IronModule = typeof Iron;
type IronSession = Awaited<ReturnType<InstanceType<IronModule['Backend']['SessionBuilder']>['connect']>>;
type ClipboardData = InstanceType<IronModule['Backend']['ClipboardData']>;
type DeviceEvent = ReturnType<IronModule['Backend']['DeviceEvent']['keyPressed']>;

let modulePromise: Promise<IronModule> | undefined;

/** Loads and initialises the WASM module once; later calls share the same promise. */
export function loadIronRdp(logLevel = 'warn'): Promise<IronModule> {
  modulePromise ??= (async () => {
    const mod = await import('@devolutions/iron-remote-desktop-rdp');
    await mod.init(logLevel);
    return mod;
  })();
  // A failed load may be retried (e.g. after a CSP fix in development). The caller of this load sees its rejection;
  // this branch only forgets the failed promise.
  modulePromise.catch(() => (modulePromise = undefined));
  return modulePromise;
}

export function createIronRdpEngine(opts: { logLevel?: string } = {}): RdpEngine {
  return {
    init: async () => {
      await loadIronRdp(opts.logLevel);
    },
    connect: async (options) => {
      const mod = await loadIronRdp(opts.logLevel);
      const canvas = options.canvas;
      return IronRdpSession.connect(mod, { ...options, onCursor: (c) => applyCursor(canvas, c) });
    },
  };
}

/** The pointer shape the server asked for: the system's, none, or an image (a data: URL) with its hot spot. */
export type CursorStyle = { style: string; data?: string; hotspotX?: number; hotspotY?: number };

/**
 * What IronRDP draws on: a canvas, or anything with a size and a 2D context it accepts (the RDP worker's stand-in,
 * frame-shipper.ts). IronRDP only sets the size and calls putImageData.
 */
export type DrawingSurface = HTMLCanvasElement | { width: number; height: number; getContext(kind: string): unknown };

/** What a session needs where it runs: a surface to draw on (the tab's canvas in the page, or the worker's stand-in). */
export type SurfaceConnectOptions = Omit<ConnectOptions, 'canvas'> & {
  canvas: DrawingSurface;
  /** The server changed the pointer; the page shows it on the tab's canvas. */
  onCursor: (cursor: CursorStyle) => void;
};

/** Connects one session with a loaded module (the worker's entry point uses this directly). */
export function openIronRdpSession(mod: IronModule, options: SurfaceConnectOptions): Promise<IronRdpSession> {
  return IronRdpSession.connect(mod, options);
}

/** RDP's "normal end" text when shutdown() was called. */
const USER_REQUESTED = /UserRequested/i;

export class IronRdpSession extends SessionBase implements RdpEngineSession {
  private userShutdown = false;
  private resolveClosed!: (r: CloseReason) => void;
  readonly closed: Promise<CloseReason> = new Promise((r) => (this.resolveClosed = r));

  private constructor(
    private readonly mod: IronModule,
    private readonly session: IronSession,
    private readonly canvas: DrawingSurface,
    readonly sessionId: string,
  ) {
    super();
  }

  static async connect(mod: IronModule, o: SurfaceConnectOptions): Promise<IronRdpSession> {
    const { Backend } = mod;
    const creds = o.credentials ?? o.grant.credentials;
    let self: IronRdpSession | undefined;
    const pendingEvents: Array<() => void> = [];
    const later = (fn: (s: IronRdpSession) => void) => (self ? fn(self) : pendingEvents.push(() => fn(self!)));

    const builder = new Backend.SessionBuilder()
      .username(creds?.username ?? '')
      .password(creds?.password ?? '')
      .serverDomain(creds?.domain ?? '')
      .destination(o.grant.destination)
      .proxyAddress(o.grant.gatewayUrl)
      .authToken(o.grant.token)
      .desktopSize(new Backend.DesktopSize(Math.round(o.width), Math.round(o.height)))
      // The typings name HTMLCanvasElement; the module only sizes the canvas and asks it for a 2D context (in the
      // worker, a stand-in it accepts through the aliases in ironrdp-worker.ts).
      .renderCanvas(o.canvas as HTMLCanvasElement)
      .setCursorStyleCallback((style: string, data?: string, hotspotX?: number, hotspotY?: number) => o.onCursor({ style, data, hotspotX, hotspotY }))
      .setCursorStyleCallbackContext(undefined)
      .remoteClipboardChangedCallback((data: ClipboardData) => {
        const text = clipboardText(data);
        if (text !== undefined) later((s) => s.emit('clipboard', text));
      })
      // No forceClipboardUpdateCallback: without one, IronRDP answers the server's Monitor Ready with an empty Format
      // List itself, which completes the clipboard channel's initialisation (an empty callback left it unfinished,
      // and the server's clipboard never arrived). The page's text follows when the display gains focus.
      .canvasResizedCallback(() => later((s) => s.emit('resized', { width: o.canvas.width, height: o.canvas.height })));
    if (o.grant.preConnectionBlob) builder.extension(mod.preConnectionBlob(o.grant.preConnectionBlob));
    if (o.dynamicResize) builder.extension(mod.displayControl(true));
    if (o.credssp === false) builder.extension(mod.enableCredssp(false));

    let session: IronSession;
    try {
      session = await builder.connect();
    } catch (err) {
      throw describeIronError(err);
    }
    self = new IronRdpSession(mod, session, o.canvas, o.grant.sessionId);
    for (const fn of pendingEvents) fn();
    self.watch();
    // connect() resolving means the handshake is done; listeners added later still hear about it (see on()).
    setTimeout(() => {
      self.connected = true;
      if (!self.ended) self.emit('connected', undefined);
    }, 0);
    return self;
  }

  private watch(): void {
    this.session.run().then(
      (info) => {
        const text = safe(() => info.reason()) ?? '';
        this.end({ byUser: this.userShutdown || USER_REQUESTED.test(text), reason: this.userShutdown ? 'the session was closed' : describeTermination(text) });
      },
      (err) => {
        if (this.userShutdown) this.end({ byUser: true, reason: 'the session was closed' });
        else this.end({ byUser: false, reason: describeIronError(err).message });
      },
    );
  }

  private end(reason: CloseReason): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveClosed(reason);
    this.emit('closed', reason);
  }

  private apply(events: DeviceEvent[]): void {
    if (this.ended || events.length === 0) return;
    const tx = new this.mod.Backend.InputTransaction();
    for (const e of events) tx.addEvent(e);
    try {
      this.session.applyInputs(tx);
    } catch (err) {
      this.emit('error', new EngineError('internal', 'an input could not be sent: ' + describeIronError(err).message));
    }
  }

  key(scancode: number, pressed: boolean): void {
    const D = this.mod.Backend.DeviceEvent;
    this.apply([pressed ? D.keyPressed(scancode) : D.keyReleased(scancode)]);
  }

  desktopSize(): { width: number; height: number } {
    return { width: this.canvas.width, height: this.canvas.height };
  }

  unicode(text: string): void {
    const D = this.mod.Backend.DeviceEvent;
    const events = [];
    for (const ch of text) events.push(D.unicodePressed(ch), D.unicodeReleased(ch));
    this.apply(events);
  }

  mouseMove(x: number, y: number): void {
    this.apply([this.mod.Backend.DeviceEvent.mouseMove(clampCoord(x), clampCoord(y))]);
  }

  mouseButton(button: number, pressed: boolean): void {
    const D = this.mod.Backend.DeviceEvent;
    this.apply([pressed ? D.mouseButtonPressed(button) : D.mouseButtonReleased(button)]);
  }

  wheel(amount: number, opts: { horizontal?: boolean; lines?: boolean } = {}): void {
    // RotationUnit: 0 pixel, 1 line, 2 page (a const enum in the package's typings, plain numbers at run time).
    const unit = (opts.lines ? 1 : 0) as unknown as Parameters<IronModule['Backend']['DeviceEvent']['wheelRotations']>[2];
    this.apply([this.mod.Backend.DeviceEvent.wheelRotations(!opts.horizontal, Math.round(amount), unit)]);
  }

  releaseAllKeys(): void {
    if (this.ended) return;
    safe(() => this.session.releaseAllInputs());
  }

  syncLockKeys(s: LockKeys): void {
    if (this.ended) return;
    safe(() => this.session.synchronizeLockKeys(s.scrollLock, s.numLock, s.capsLock, s.kanaLock ?? false));
  }

  resize(width: number, height: number, scale?: number): void {
    if (this.ended) return;
    safe(() => this.session.resize(Math.round(width), Math.round(height), scale ?? null, null, null));
  }

  async setClipboardText(text: string): Promise<void> {
    if (this.ended) return;
    const data = new this.mod.Backend.ClipboardData();
    data.addText('text/plain', text);
    try {
      await this.session.onClipboardPaste(data);
    } catch (err) {
      throw new EngineError('protocol', 'the server did not take the clipboard text: ' + describeIronError(err).message);
    }
  }

  typeText(text: string): void {
    const D = this.mod.Backend.DeviceEvent;
    const events = [];
    for (const ch of text.replace(/\r\n?/g, '\n')) {
      if (ch === '\n') events.push(D.keyPressed(Scancode.enter), D.keyReleased(Scancode.enter));
      else if (ch === '\t') events.push(D.keyPressed(Scancode.tab), D.keyReleased(Scancode.tab));
      else events.push(D.unicodePressed(ch), D.unicodeReleased(ch));
    }
    this.apply(events);
  }

  ctrlAltDel(): void {
    const D = this.mod.Backend.DeviceEvent;
    this.apply([
      D.keyPressed(Scancode.control),
      D.keyPressed(Scancode.alt),
      D.keyPressed(Scancode.delete),
      D.keyReleased(Scancode.delete),
      D.keyReleased(Scancode.alt),
      D.keyReleased(Scancode.control),
    ]);
  }

  screenshot(): Promise<Blob> {
    const failed = () => new EngineError('internal', 'the screen could not be captured');
    const canvas = this.canvas;
    if ('toBlob' in canvas) return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(failed())), 'image/png'));
    // The worker's stand-in keeps no picture: the page's canvas holds it (worker-engine.ts takes it from there).
    return Promise.reject(failed());
  }

  shutdown(): void {
    if (this.ended) return;
    this.userShutdown = true;
    safe(() => this.session.shutdown());
  }
}

function describeTermination(text: string): string {
  if (!text || USER_REQUESTED.test(text)) return 'the session ended';
  if (/ProviderInitiated|provider ultimatum/i.test(text)) return 'the server ended the session';
  return 'the session ended: ' + text;
}

function clipboardText(data: ClipboardData): string | undefined {
  for (const item of safe(() => data.items()) ?? []) {
    if (item.mimeType() === 'text/plain') {
      const v: unknown = item.value();
      if (typeof v === 'string') return v;
    }
  }
  return undefined;
}

/** Shows the server's pointer on the tab's canvas. */
export function applyCursor(canvas: HTMLCanvasElement, c: CursorStyle): void {
  if (c.style === 'hidden') canvas.style.cursor = 'none';
  else if (c.style === 'url' && c.data) canvas.style.cursor = `url(${c.data}) ${c.hotspotX ?? 0} ${c.hotspotY ?? 0}, default`;
  else canvas.style.cursor = 'default';
}

const clampCoord = (v: number) => Math.max(0, Math.min(0xffff, Math.round(v)));

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
