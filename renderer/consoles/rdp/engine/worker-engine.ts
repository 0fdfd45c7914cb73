import type { Region } from './frame-shipper.ts';
import { applyCursor } from './ironrdp.ts';
import { SessionBase } from './session-base.ts';
import { EngineError, type CloseReason, type ConnectOptions, type LockKeys, type RdpEngine, type RdpEngineSession } from './types.ts';
import type { FromWorker, SessionCall, SessionRequest, ToWorker, WireError } from './worker-protocol.ts';

/**
 * RdpEngine whose sessions run in a worker (ironrdp-worker.ts): the worker decodes; the page keeps the tab's canvas,
 * puts the regions that changed on it, and keeps the input listeners and the session's events. One
 * worker for the page, started by the first init() or connect(); if it dies, every session it ran ends with that
 * reason and the next connect starts a new one.
 */

/** Whether this page can run the engine in a worker (Chromium and Electron can; the engine in the page is the fallback). */
export const canRunInWorker = (): boolean => typeof Worker !== 'undefined';

const fromWire = (e: WireError) => new EngineError(e.kind, e.message);

export function createWorkerRdpEngine(opts: { workerUrl: URL | string; logLevel?: string }): RdpEngine {
  let worker: Worker | undefined;
  let ready: Promise<void> | undefined;
  let nextId = 1;
  let nextRequest = 1;
  const pendingConnects = new Map<number, { resolve: (m: { width: number; height: number }) => void; reject: (e: EngineError) => void }>();
  const live = new Map<number, WorkerRdpSession>();
  const replies = new Map<number, { resolve: () => void; reject: (e: EngineError) => void }>();

  const send = (m: ToWorker, transfer: Transferable[] = []) => worker?.postMessage(m, transfer);

  /** The worker failed as a whole (its script did not load, or it crashed): everything waiting on it ends. */
  const lost = (reason: string) => {
    worker?.terminate();
    worker = undefined;
    ready = undefined;
    const err = new EngineError('internal', reason);
    for (const p of pendingConnects.values()) p.reject(err);
    for (const r of replies.values()) r.reject(err);
    for (const s of live.values()) s.end({ byUser: false, reason });
    pendingConnects.clear();
    replies.clear();
    live.clear();
  };

  const start = (): Promise<void> => {
    ready ??= new Promise<void>((resolve, reject) => {
      const w = new Worker(opts.workerUrl, { type: 'module', name: 'rdp' });
      worker = w;
      w.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        switch (m.op) {
          case 'ready':
            return resolve();
          case 'init-failed':
            reject(fromWire(m.error));
            return lost(m.error.message);
          case 'connected':
            pendingConnects.get(m.id)?.resolve(m);
            return void pendingConnects.delete(m.id);
          case 'connect-failed':
            pendingConnects.get(m.id)?.reject(fromWire(m.error));
            return void pendingConnects.delete(m.id);
          case 'reply': {
            const r = replies.get(m.request);
            replies.delete(m.request);
            if (m.ok) r?.resolve();
            else r?.reject(fromWire(m.error));
            return;
          }
          case 'event':
            return live.get(m.id)?.deliver(m);
          case 'frame': {
            live.get(m.id)?.draw(m);
            return;
          }
        }
      };
      w.onerror = (ev) => {
        ev.preventDefault();
        const reason = `the RDP engine stopped (${ev.message || 'its worker failed to start'})`;
        reject(new EngineError('internal', reason));
        lost(reason);
      };
      send({ op: 'init', logLevel: opts.logLevel ?? 'warn' });
    });
    return ready;
  };

  const port: SessionPort = {
    call: (id, c) => send({ op: 'call', id, ...c }),
    request: (id, r) =>
      new Promise<void>((resolve, reject) => {
        if (!worker) return reject(new EngineError('internal', 'the session has ended'));
        const request = nextRequest++;
        replies.set(request, { resolve, reject });
        send({ op: 'request', id, request, ...r });
      }),
    forget: (id) => live.delete(id),
  };

  return {
    init: start,
    async connect(o: ConnectOptions): Promise<RdpEngineSession> {
      await start();
      const id = nextId++;
      // The session must exist before the worker can report events for it (its first frame may come at once).
      const session = new WorkerRdpSession(id, o.grant.sessionId, o.canvas, port);
      live.set(id, session);
      try {
        const size = await new Promise<{ width: number; height: number }>((resolve, reject) => {
          pendingConnects.set(id, { resolve, reject });
          send({ op: 'connect', id, grant: o.grant, width: o.width, height: o.height, credentials: o.credentials, dynamicResize: o.dynamicResize, credssp: o.credssp });
        });
        // The desktop's size at once (the first picture may take a moment): the tab lays the display out for it.
        o.canvas.width = size.width;
        o.canvas.height = size.height;
        return session;
      } catch (err) {
        live.delete(id);
        throw err;
      }
    },
  };
}

interface SessionPort {
  call(id: number, c: SessionCall): void;
  request(id: number, r: SessionRequest): Promise<void>;
  forget(id: number): void;
}

/** The page's side of a session in the worker: same interface as a session in the page. */
class WorkerRdpSession extends SessionBase implements RdpEngineSession {
  private resolveClosed!: (r: CloseReason) => void;
  readonly closed: Promise<CloseReason> = new Promise((r) => (this.resolveClosed = r));
  private readonly ctx: CanvasRenderingContext2D | null;

  constructor(
    private readonly id: number,
    readonly sessionId: string,
    private readonly canvas: HTMLCanvasElement,
    private readonly port: SessionPort,
  ) {
    super();
    this.ctx = canvas.getContext('2d');
  }

  /** What changed on the desktop, from the worker: put where it belongs (a new desktop size first resizes the canvas). */
  draw(f: { width: number; height: number; regions: Region[] }): void {
    if (this.canvas.width !== f.width || this.canvas.height !== f.height) {
      this.canvas.width = f.width;
      this.canvas.height = f.height;
    }
    for (const r of f.regions) this.ctx?.putImageData(new ImageData(new Uint8ClampedArray(r.pixels), r.w, r.h), r.x, r.y);
  }

  /** An event from the worker for this session. */
  deliver(m: Extract<FromWorker, { op: 'event' }>): void {
    switch (m.event) {
      case 'connected':
        this.connected = true;
        return this.emit('connected', undefined);
      case 'resized':
        return this.emit('resized', m.payload);
      case 'clipboard':
        return this.emit('clipboard', m.payload);
      case 'error':
        return this.emit('error', fromWire(m.payload));
      case 'cursor':
        return applyCursor(this.canvas, m.payload);
      case 'closed':
        return this.end(m.payload);
    }
  }

  end(reason: CloseReason): void {
    if (this.ended) return;
    this.ended = true;
    this.port.forget(this.id);
    this.resolveClosed(reason);
    this.emit('closed', reason);
  }

  private call(c: SessionCall): void {
    if (!this.ended) this.port.call(this.id, c);
  }

  key(scancode: number, pressed: boolean): void {
    this.call({ method: 'key', args: [scancode, pressed] });
  }

  desktopSize(): { width: number; height: number } {
    return { width: this.canvas.width, height: this.canvas.height };
  }

  unicode(text: string): void {
    this.call({ method: 'unicode', args: [text] });
  }

  mouseMove(x: number, y: number): void {
    this.call({ method: 'mouseMove', args: [x, y] });
  }

  mouseButton(button: number, pressed: boolean): void {
    this.call({ method: 'mouseButton', args: [button, pressed] });
  }

  wheel(amount: number, opts: { horizontal?: boolean; lines?: boolean } = {}): void {
    this.call({ method: 'wheel', args: [amount, opts] });
  }

  releaseAllKeys(): void {
    this.call({ method: 'releaseAllKeys', args: [] });
  }

  syncLockKeys(state: LockKeys): void {
    this.call({ method: 'syncLockKeys', args: [state] });
  }

  resize(width: number, height: number, scale?: number): void {
    this.call({ method: 'resize', args: [width, height, scale] });
  }

  typeText(text: string): void {
    this.call({ method: 'typeText', args: [text] });
  }

  ctrlAltDel(): void {
    this.call({ method: 'ctrlAltDel', args: [] });
  }

  async setClipboardText(text: string): Promise<void> {
    if (this.ended) return;
    await this.port.request(this.id, { method: 'setClipboardText', args: [text] });
  }

  /** What the tab shows: the page's canvas holds every frame the worker sent. */
  screenshot(): Promise<Blob> {
    return new Promise((resolve, reject) =>
      this.canvas.toBlob((b) => (b ? resolve(b) : reject(new EngineError('internal', 'the screen could not be captured'))), 'image/png'),
    );
  }

  shutdown(): void {
    this.call({ method: 'shutdown', args: [] });
  }
}
