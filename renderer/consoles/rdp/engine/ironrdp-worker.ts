import { FrameShipper, RegionContext } from './frame-shipper.ts';
import { describeIronError } from './iron-errors.ts';
import { loadIronRdp, openIronRdpSession, type IronRdpSession } from './ironrdp.ts';
import { installSocketHandover, openAhead, sessionSocketUrl } from './socket-ahead.ts';
import { installOutgoingBytes, OutgoingBytes } from './outgoing-bytes.ts';
import type { DirectBitmapPath, DirectPathStats } from './direct-bitmaps/direct-bitmap-path.ts';
import { tapServerMessages } from './direct-bitmaps/socket-tap.ts';
import { EngineError } from './types.ts';
import type { FromWorker, SessionEventMessage, ToWorker, WireError } from './worker-protocol.ts';

/**
 * The RDP worker: IronRDP's WASM client for every RDP tab of the page, off its main thread. Decoding a full-screen
 * stream keeps a core busy; here it no longer delays the page's input handling, layout and painting, and the page
 * stays responsive however many tabs stream. What each session draws goes to the page as regions of pixels, which
 * the page puts on the tab's canvas (frame-shipper.ts).
 *
 * Built as its own entry (scripts/build-renderer.mjs) and started by worker-engine.ts.
 */

// IronRDP's web build was written for a window: it checks that its canvas context is a CanvasRenderingContext2D and
// reads the user agent through `window`. Here its context is the frame shipper's RegionContext, and the worker's
// global scope (with its own navigator) stands for the window: these aliases let the unchanged module accept both.
const scope = globalThis as unknown as Record<string, unknown> & { postMessage(message: FromWorker, transfer?: Transferable[]): void };
scope.CanvasRenderingContext2D = RegionContext;
scope.Window ??= (globalThis as { constructor: unknown }).constructor;

// IronRDP hands its WebSocket every message it sends (each key, each pointer move) as a Blob. Here those are
// OutgoingBytes (outgoing-bytes.ts), sent as they are. A real Blob, should one come, would be read before sending,
// which Chromium does asynchronously, in a later task behind whatever decoding is queued (about 3 ms per key when
// idle): FileReaderSync (workers only) reads it in place instead, so the order of messages holds.
// (The page's type library has no worker-only classes; this is the one method used.)
installOutgoingBytes(scope as unknown as { Blob: typeof Blob });
const ReaderSync = (globalThis as { FileReaderSync?: new () => { readAsArrayBuffer(blob: Blob): ArrayBuffer } }).FileReaderSync;
const blobReader = ReaderSync ? new ReaderSync() : undefined;
const NativeWebSocket = WebSocket;
installSocketHandover(scope as unknown as { WebSocket: typeof WebSocket });
const nativeSend = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'send')!.value as WebSocket['send'];
/** Every live session's shipper: what they have drawn goes to the page before IronRDP sends anything. */
const shippers = new Set<FrameShipper>();
/** Each session's direct bitmap path (direct-bitmaps/), by its socket: it reads the ids it needs from what IronRDP sends. */
const directPaths = new WeakMap<WebSocket, DirectBitmapPath>();
WebSocket.prototype.send = function send(this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
  for (const shipper of shippers) shipper.shipNow();
  const bytes = data instanceof OutgoingBytes ? data.payload : blobReader && data instanceof Blob ? blobReader.readAsArrayBuffer(data) : data;
  const path = directPaths.get(this);
  if (path && bytes instanceof ArrayBuffer) path.fromClient(new Uint8Array(bytes));
  nativeSend.call(this, bytes);
};
/** The direct paths' figures by session id, for tests and benchmarks that look into the worker. */
const directStats = new Map<number, DirectPathStats>();
scope.directBitmapStats = () => Object.fromEntries(directStats);

const sessions = new Map<number, IronRdpSession>();
const post = (m: FromWorker) => scope.postMessage(m);
const wire = (err: unknown): WireError => {
  const e = describeIronError(err);
  return { kind: e.kind, message: e.message };
};
const emit = (id: number, m: SessionEventMessage) => post({ op: 'event', id, ...m });

let logLevel = 'warn';

async function connect(m: Extract<ToWorker, { op: 'connect' }>): Promise<void> {
  const shipper = new FrameShipper(m.width, m.height, (frame, transfer) => scope.postMessage({ op: 'frame', id: m.id, ...frame }, transfer));
  shippers.add(shipper);
  let dropSocket = () => {};
  try {
    // The socket opens while the module loads (if it still does); IronRDP then takes it already open.
    const tap = (ws: WebSocket) => {
      const path = tapServerMessages(ws, {
        draw: (regions) => shipper.drawRegions(regions),
        desktop: () => ({ width: shipper.canvas.width, height: shipper.canvas.height }),
        send: (bytes) => nativeSend.call(ws, bytes),
      });
      shipper.ironRdpIgnored = () => path.ownsPicture;
      directPaths.set(ws, path);
      directStats.set(m.id, path.stats);
    };
    const grant = { ...m.grant, gatewayUrl: sessionSocketUrl(m.grant.gatewayUrl, m.id) };
    const [mod, drop] = await Promise.all([loadIronRdp(logLevel), openAhead(NativeWebSocket, grant.gatewayUrl, tap)]);
    dropSocket = drop;
    const session = await openIronRdpSession(mod, {
      grant,
      canvas: shipper.canvas,
      width: m.width,
      height: m.height,
      credentials: m.credentials,
      dynamicResize: m.dynamicResize,
      credssp: m.credssp,
      onCursor: (cursor) => emit(m.id, { event: 'cursor', payload: cursor }),
    });
    sessions.set(m.id, session);
    session.on('connected', () => emit(m.id, { event: 'connected' }));
    session.on('resized', (size) => emit(m.id, { event: 'resized', payload: size }));
    session.on('clipboard', (text) => emit(m.id, { event: 'clipboard', payload: text }));
    session.on('error', (err) => emit(m.id, { event: 'error', payload: { kind: err.kind, message: err.message } }));
    session.on('closed', (reason) => {
      sessions.delete(m.id);
      directStats.delete(m.id);
      shipper.close();
      shippers.delete(shipper);
      emit(m.id, { event: 'closed', payload: reason });
    });
    post({ op: 'connected', id: m.id, ...session.desktopSize() });
  } catch (err) {
    directStats.delete(m.id);
    shipper.close();
    shippers.delete(shipper);
    post({ op: 'connect-failed', id: m.id, error: wire(err) });
  } finally {
    // Taken by IronRDP by now, unless it failed before asking for it.
    dropSocket();
  }
}

async function answer(m: Extract<ToWorker, { op: 'request' }>): Promise<void> {
  const session = sessions.get(m.id);
  try {
    if (!session) throw new EngineError('internal', 'the session has ended');
    await session.setClipboardText(...m.args);
    post({ op: 'reply', request: m.request, ok: true });
  } catch (err) {
    post({ op: 'reply', request: m.request, ok: false, error: wire(err) });
  }
}

function call(m: Extract<ToWorker, { op: 'call' }>): void {
  const s = sessions.get(m.id);
  if (!s) return; // ended meanwhile: input for a closed session goes nowhere, as it would in the page
  // The union keeps each method with its own argument list; TypeScript cannot follow that through one call.
  (s[m.method] as (...args: unknown[]) => void).apply(s, m.args);
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.op) {
    case 'init':
      logLevel = m.logLevel;
      loadIronRdp(logLevel).then(
        () => post({ op: 'ready' }),
        (err: unknown) => post({ op: 'init-failed', error: wire(err) }),
      );
      break;
    case 'connect':
      void connect(m);
      break;
    case 'request':
      void answer(m);
      break;
    case 'call':
      call(m);
      break;
  }
};
