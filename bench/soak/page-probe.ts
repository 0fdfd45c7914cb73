// Counters installed in the page before its own scripts run, and the function that reads them. Both run inside
// Chromium (Playwright sends their source), so they use nothing from this module's scope. tsx wraps named inner
// functions and arrow functions bound to names with a `__name(...)` helper that exists only in Node; object methods
// and anonymous callbacks are left alone, so the helpers below are written as methods of one object.

/** One WebSocket of the page: what it received since the last read. */
export interface SocketCounts {
  url: string;
  bytes: number;
  messages: number;
  /** Line feeds among the bytes received (a serial console's lines). */
  lines: number;
  open: boolean;
}

/** One console tab's panel as the page shows it now, with what its display painted since the last read. */
export interface PanelRead {
  id: string;
  /** The tab's status line ('Connected', 'Connecting…', 'Disconnected: …'), or null when the panel is gone. */
  status: string | null;
  /** Animation frames (requestAnimationFrame ticks) in which the display's canvas was drawn to at least once. */
  frames: number;
  /** putImageData/drawImage calls on that canvas (several per frame: tiles, rectangles, regions from the RDP worker). */
  draws: number;
}

export interface ProbeRead {
  /** requestAnimationFrame ticks since the last read: the most frames any canvas could have shown. */
  ticks: number;
  panels: PanelRead[];
  /** Every socket that was open at the last read or opened since; closed ones are reported once, then dropped. */
  sockets: SocketCounts[];
  /** Whether the probe was found (it is missing if the page was reloaded without it). */
  installed: boolean;
}

/**
 * Installed with addInitScript, so it wraps the canvas and WebSocket APIs before the app (IronRDP's WASM client,
 * noVNC, xterm.js) first uses them.
 *
 * Frames: every graphical tab's visible canvas is drawn by the page through CanvasRenderingContext2D. RDP: the app
 * runs IronRDP in its RDP worker (renderer/consoles/rdp/engine/ironrdp-worker.ts), which sends the page the regions
 * it drew (frame-shipper.ts: once per task that drew); the page puts each with putImageData on the tab's ordinary
 * <canvas> (worker-engine.ts), so a shipped region is one draw here. Where the engine runs in the page instead
 * (no workers), IronRDP draws on that canvas itself, with putImageData per updated region. noVNC draws with one
 * drawImage from its back buffer per flip. A draw call marks the canvas painted in the current animation frame; a
 * frame is counted once however many calls it took. So the count is the number of distinct pictures the canvas
 * showed, capped by the page's frame rate. Hashing pixels per frame instead would read every canvas back each frame
 * (getImageData), adding the very load a soak must not add.
 *
 * Bytes: the WebSocket constructor is wrapped (a Proxy, so `WebSocket.OPEN` and `instanceof` still work) to count
 * what every socket receives; the main process's grants tell which socket is which kind of console. The RDP
 * sessions' sockets are not the page's but the RDP worker's: the worker probe (worker-probe.ts) counts them there,
 * and sample.ts adds them to what this probe counts.
 */
export function installProbe(): void {
  const w = window as unknown as { __soakProbe?: unknown };
  if (w.__soakProbe) return;
  interface CanvasCounts {
    frames: number;
    draws: number;
    lastTick: number;
  }
  interface Tracked extends SocketCounts {
    ws: WebSocket;
  }
  type Draw = (this: CanvasRenderingContext2D, ...args: unknown[]) => unknown;
  const context2d = CanvasRenderingContext2D.prototype;
  const probe = {
    tick: 0,
    ticksSinceRead: 0,
    // Weak: a canvas a closed tab dropped is collected with its counts; the probe must not be what leaks.
    canvases: new WeakMap<object, CanvasCounts>(),
    sockets: new Set<Tracked>(),
    nextFrame() {
      probe.tick++;
      probe.ticksSinceRead++;
      requestAnimationFrame(() => probe.nextFrame());
    },
    painted(canvas: object) {
      let c = probe.canvases.get(canvas);
      if (!c) {
        c = { frames: 0, draws: 0, lastTick: -1 };
        probe.canvases.set(canvas, c);
      }
      c.draws++;
      if (c.lastTick !== probe.tick) {
        c.lastTick = probe.tick;
        c.frames++;
      }
    },
    track(ws: WebSocket, url: string) {
      const t: Tracked = { ws, url, bytes: 0, messages: 0, lines: 0, open: true };
      probe.sockets.add(t);
      ws.addEventListener('message', (e: MessageEvent) => {
        t.messages++;
        const data: unknown = e.data;
        if (data instanceof ArrayBuffer) {
          t.bytes += data.byteLength;
          const bytes = new Uint8Array(data);
          for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) t.lines++;
        } else if (typeof data === 'string') {
          t.bytes += data.length;
          for (let i = data.indexOf('\n'); i >= 0; i = data.indexOf('\n', i + 1)) t.lines++;
        } else if (data instanceof Blob) {
          t.bytes += data.size;
        }
      });
      ws.addEventListener('close', () => {
        t.open = false;
      });
    },
    /** A drawing method that marks its canvas painted, then draws. */
    counting(native: Draw): Draw {
      return function (this: CanvasRenderingContext2D, ...args: unknown[]) {
        probe.painted(this.canvas);
        return native.apply(this, args);
      };
    },
    /** The counts of a canvas since the last call, which starts them again. */
    take(canvas: object | null): { frames: number; draws: number } {
      const c = canvas ? probe.canvases.get(canvas) : undefined;
      if (!c) return { frames: 0, draws: 0 };
      const out = { frames: c.frames, draws: c.draws };
      c.frames = 0;
      c.draws = 0;
      return out;
    },
    takeSockets(): SocketCounts[] {
      const out: SocketCounts[] = [];
      for (const t of probe.sockets) {
        out.push({ url: t.url, bytes: t.bytes, messages: t.messages, lines: t.lines, open: t.open });
        t.bytes = 0;
        t.messages = 0;
        t.lines = 0;
        if (!t.open) probe.sockets.delete(t);
      }
      return out;
    },
    takeTicks(): number {
      const n = probe.ticksSinceRead;
      probe.ticksSinceRead = 0;
      return n;
    },
  };
  for (const name of ['putImageData', 'drawImage'] as const) {
    // Replaced through its property descriptor, so the wrapper keeps the native method's attributes.
    const descriptor = Object.getOwnPropertyDescriptor(context2d, name)!;
    Object.defineProperty(context2d, name, { ...descriptor, value: probe.counting(descriptor.value as Draw) });
  }
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = new Proxy(NativeWebSocket, {
    construct(target, args: ConstructorParameters<typeof WebSocket>, newTarget) {
      const ws = Reflect.construct(target, args, newTarget) as WebSocket;
      probe.track(ws, String(args[0]));
      return ws;
    },
  });
  Object.defineProperty(window, '__soakProbe', { value: probe, enumerable: false });
  requestAnimationFrame(() => probe.nextFrame());
}

/** Reads (and restarts) the counters, and the state of the named panels. Runs in the page. */
export function readProbe(panelIds: string[]): ProbeRead {
  const probe = (
    window as unknown as {
      __soakProbe?: { take(c: object | null): { frames: number; draws: number }; takeSockets(): SocketCounts[]; takeTicks(): number };
    }
  ).__soakProbe;
  const panels = panelIds.map((id): PanelRead => {
    const panel = document.getElementById(id);
    const status = panel ? (panel.querySelector('[role=status]')?.textContent ?? '') : null;
    const canvas = panel?.querySelector('canvas[aria-label^="Remote display"]') ?? null;
    const counts = probe ? probe.take(canvas) : { frames: 0, draws: 0 };
    return { id, status, ...counts };
  });
  return { ticks: probe ? probe.takeTicks() : 0, panels, sockets: probe ? probe.takeSockets() : [], installed: !!probe };
}
