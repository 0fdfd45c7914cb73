import type { LockKeys, RdpEngine, RdpEngineSession } from './engine/types.ts';
import { isHostKey } from '../host-key.ts';
import { ClipboardSync, isCharacter, reason } from '../local-input.ts';
import { INPUT_MODES, type ConsoleBackend, type ConsoleSession, type InputMode, type ScaleMode } from '../console-view.ts';
import type { RdpGrant } from '../../../electron/common/contract.ts';

/**
 * The tab's display over an RdpEngine (renderer/consoles/rdp/engine): sizes the session to the tab, routes the canvas's keyboard
 * and mouse to the remote machine, and maps the engine's events to tab states.
 *
 * Host key: Ctrl+Alt+Home gives keyboard focus back to the app (then Ctrl+Tab, Ctrl+W, F11 … work again); every
 * other key goes to the remote machine while the display has focus.
 */

/** The lock keys themselves: their own press toggles the remote state, so their events are not a sync point. */
const LOCK_CODES = new Set(['CapsLock', 'NumLock', 'ScrollLock']);

/** This machine's lock-key state as the browser reports it with an input event. */
const lockState = (e: KeyboardEvent | MouseEvent): LockKeys => ({
  capsLock: e.getModifierState('CapsLock'),
  numLock: e.getModifierState('NumLock'),
  scrollLock: e.getModifierState('ScrollLock'),
});
const sameLocks = (a: LockKeys, b: LockKeys) => a.capsLock === b.capsLock && a.numLock === b.numLock && a.scrollLock === b.scrollLock;


/** Desktop sizes RDP servers accept: even, within sane bounds. */
function desktopSize(el: HTMLElement | null): { width: number; height: number } {
  const w = el?.clientWidth || 1280;
  const h = el?.clientHeight || 800;
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(v / 2) * 2));
  return { width: clamp(w, 640, 3840), height: clamp(h, 480, 2160) };
}

export function rdpBackend(engine: RdpEngine): ConsoleBackend<RdpGrant> {
  return {
    protocol: 'rdp',
    capabilities: {
      scaleModes: ['fit', 'actual', 'dynamic'],
      inputModes: INPUT_MODES,
      ctrlAltDel: true,
      typeText: true,
      screenshot: true,
      credentials: true,
    },
    warmUp: () => engine.init(),
    connect({ container, label }, grant, credentials, callbacks) {
      // The engine draws into a canvas of its own in the tab's display area (removed again on close).
      const canvas = document.createElement('canvas');
      canvas.className = 'display';
      canvas.tabIndex = 0;
      canvas.setAttribute('aria-label', label);
      container.append(canvas);
      let session: RdpEngineSession | undefined;
      let closed = false;
      const clipboard = new ClipboardSync((message) => callbacks.onProblem(message));
      let scale: ScaleMode = 'fit';
      let inputMode: InputMode = 'scancode';
      const area = container;
      const offs: Array<() => void> = [];
      const listen = <K extends keyof HTMLElementEventMap>(type: K, fn: (e: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions) => {
        canvas.addEventListener(type, fn as EventListener, opts);
        offs.push(() => canvas.removeEventListener(type, fn as EventListener, opts));
      };

      // Client coordinates → remote desktop pixels, whatever the canvas is scaled to on screen. The size comes from
      // the session: a canvas handed to a worker no longer reports the size it is drawn at.
      const toRemote = (e: MouseEvent) => {
        const r = canvas.getBoundingClientRect();
        const size = session?.desktopSize() ?? { width: canvas.width, height: canvas.height };
        const x = ((e.clientX - r.left) * size.width) / Math.max(1, r.width);
        const y = ((e.clientY - r.top) * size.height) / Math.max(1, r.height);
        return { x: Math.max(0, Math.min(size.width - 1, Math.round(x))), y: Math.max(0, Math.min(size.height - 1, Math.round(y))) };
      };

      // Lock keys: the remote machine's CapsLock/NumLock/ScrollLock follow this machine's. A FocusEvent carries no
      // lock state, so the state comes from input events: the click that focuses the display, else the first key.
      // It is sent on connect and on focus (with the last state seen), and again whenever a key or click shows a
      // state other than the one last sent (a lock key toggled while another window had focus).
      let locals: LockKeys | undefined;
      let sent: LockKeys | undefined;
      const syncLocks = () => {
        if (!session || !locals || (sent && sameLocks(sent, locals))) return;
        sent = locals;
        session.syncLockKeys(locals);
      };
      const observeLocks = (e: KeyboardEvent | MouseEvent) => {
        if (e instanceof KeyboardEvent && LOCK_CODES.has(e.code)) {
          // The key's own press toggles the remote state; what was sent is no longer known to match.
          sent = undefined;
          return;
        }
        locals = lockState(e);
        if (document.activeElement === canvas) syncLocks();
      };

      // Input anywhere in the page (the click on a server in the list) tells the state before the display has focus.
      const learnLocks = (e: Event) => {
        if (e instanceof KeyboardEvent ? !LOCK_CODES.has(e.code) : e instanceof MouseEvent) locals = lockState(e as KeyboardEvent | MouseEvent);
      };
      for (const type of ['keydown', 'mousedown'] as const) {
        document.addEventListener(type, learnLocks, { capture: true, passive: true });
        offs.push(() => document.removeEventListener(type, learnLocks, { capture: true }));
      }

      listen('keydown', (e) => {
        if (!session) return;
        observeLocks(e);
        if (isHostKey(e)) {
          e.preventDefault();
          session.releaseAllKeys();
          canvas.blur();
          return;
        }
        if (inputMode === 'unicode' && isCharacter(e)) {
          e.preventDefault();
          session.unicode(e.key);
          return;
        }
        if (session.keyEvent(e)) e.preventDefault();
      });
      listen('keyup', (e) => {
        if (inputMode === 'unicode' && isCharacter(e)) return e.preventDefault();
        if (session?.keyEvent(e)) e.preventDefault();
      });
      listen('blur', () => session?.releaseAllKeys());
      listen('focus', () => {
        sent = undefined;
        syncLocks();
        // Entering the display hands this clipboard's text to the remote machine (where it has a clipboard channel).
        const live = session;
        clipboard.handOver(live && ((text) => live.setClipboardText(text)));
      });
      listen('mousemove', (e) => {
        if (!session) return;
        const p = toRemote(e);
        session.mouseMove(p.x, p.y);
      });
      listen('mousedown', (e) => {
        if (!session) return;
        // Read before focusing: the focus handler syncs with it.
        locals = lockState(e);
        canvas.focus();
        syncLocks();
        const p = toRemote(e);
        session.mouseMove(p.x, p.y);
        session.mouseButton(e.button, true);
        e.preventDefault();
      });
      listen('mouseup', (e) => {
        session?.mouseButton(e.button, false);
        e.preventDefault();
      });
      listen('contextmenu', (e) => e.preventDefault());
      listen(
        'wheel',
        (e) => {
          if (!session) return;
          e.preventDefault();
          const lines = e.deltaMode === WheelEvent.DOM_DELTA_LINE;
          if (e.deltaY) session.wheel(-e.deltaY, { lines });
          if (e.deltaX) session.wheel(-e.deltaX, { horizontal: true, lines });
        },
        { passive: false },
      );

      let resizeTimer: ReturnType<typeof setTimeout> | undefined;
      const ro = new ResizeObserver(() => {
        if (scale !== 'dynamic' || !session) return;
        clearTimeout(resizeTimer);
        resizeTimer = setTimeout(() => {
          const s = desktopSize(area);
          session?.resize(s.width, s.height);
        }, 200);
      });
      if (area) ro.observe(area);
      offs.push(() => {
        ro.disconnect();
        clearTimeout(resizeTimer);
      });

      const size = desktopSize(area);
      engine
        .connect({ grant, canvas, width: size.width, height: size.height, credentials, dynamicResize: true })
        .then((s) => {
          if (closed) {
            s.shutdown();
            return;
          }
          session = s;
          if (document.activeElement === canvas) syncLocks();
          s.on('connected', () => callbacks.onConnected());
          s.on('clipboard', (text) => clipboard.received(text));
          s.on('error', (err) => callbacks.onProblem(err.message));
          s.on('closed', ({ byUser, reason }) => {
            if (!byUser) callbacks.onDisconnected(reason);
          });
          // connect() resolves once the session is up and frames flow.
          callbacks.onConnected();
        })
        .catch((err: unknown) => {
          if (closed) return;
          const message = reason(err);
          if ((err as { kind?: string } | null)?.kind === 'credentials' && callbacks.onCredentialsNeeded) callbacks.onCredentialsNeeded(message);
          else callbacks.onDisconnected(message);
        });

      const display: ConsoleSession = {
        ctrlAltDel: () => session?.ctrlAltDel(),
        typeText: (text) => session?.typeText(text),
        setScaleMode(mode) {
          scale = mode;
          if (mode === 'dynamic' && session) {
            const s = desktopSize(area);
            session.resize(s.width, s.height);
          }
        },
        setInputMode: (id) => {
          session?.releaseAllKeys();
          inputMode = id;
        },
        focus: () => canvas.focus(),
        // The engine's own PNG where it can make one; if it fails, the canvas holds the same frame.
        screenshot: async () => {
          const own = await session?.screenshot().catch(() => undefined);
          if (own) return own;
          const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
          if (!blob) throw new Error('the display has nothing to save yet');
          return blob;
        },
        close() {
          closed = true;
          offs.forEach((off) => off());
          session?.shutdown();
          canvas.remove();
        },
      };
      return display;
    },
  };
}
