import type RFB from '@novnc/novnc';
import type { Credentials, RelayGrant } from '../../../electron/common/contract.ts';
import { INPUT_MODES, type ConsoleBackend, type ConsoleSession, type InputMode, type ScaleMode } from '../console-view.ts';
import { isHostKey } from '../host-key.ts';
import { keysymOf } from './keysyms.ts';

/**
 * VNC consoles through noVNC (`@novnc/novnc` 1.7). noVNC connects to the main process's relay (the grant's loopback
 * URL), never to the console proxy: the proxies refuse a page's Origin, and the page may open loopback sockets only.
 *
 * Keys: in "Physical keys" mode noVNC sends what it always sends (QEMU's extended key events carry the physical
 * key where the server supports them, so the remote layout decides the character); in "Characters" mode printable
 * keys are taken before noVNC sees them and sent as the keysym of the character typed here.
 */

/** noVNC is loaded on first use, as its own chunk: a window without VNC tabs never pays for it. */
let rfbModule: Promise<typeof RFB> | undefined;
const loadRfb = () => (rfbModule ??= import('@novnc/novnc').then((m) => m.default));

const isCharacter = (e: KeyboardEvent) => [...e.key].length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey;
const reason = (err: unknown) => (err instanceof Error && err.message ? err.message : String(err));

export function vncBackend(): ConsoleBackend<RelayGrant> {
  return {
    protocol: 'vnc',
    capabilities: {
      // "Resize remote" asks the server (ExtendedDesktopSize); one that cannot resize is scaled instead.
      scaleModes: ['fit', 'actual', 'dynamic'],
      inputModes: INPUT_MODES,
      ctrlAltDel: true,
      typeText: true,
      screenshot: true,
      credentials: false,
    },
    warmUp: () => loadRfb().then(() => undefined),
    connect({ container, label }, grant, credentials, callbacks): ConsoleSession {
      let rfb: RFB | undefined;
      let closed = false;
      let inputMode: InputMode = 'scancode';
      let scale: ScaleMode = 'fit';
      // The last text exchanged with the remote clipboard either way, so entering the display does not paste the
      // remote machine's own copy back into it.
      let clipboardInSync: string | undefined;
      const offs: Array<() => void> = [];
      const listen = <K extends keyof HTMLElementEventMap>(type: K, fn: (e: HTMLElementEventMap[K]) => void) => {
        container.addEventListener(type, fn, { capture: true });
        offs.push(() => container.removeEventListener(type, fn, { capture: true }));
      };

      const applyScale = () => {
        if (!rfb) return;
        rfb.scaleViewport = scale !== 'actual';
        rfb.resizeSession = scale === 'dynamic';
      };
      const typeChars = (text: string) => {
        for (const char of text) {
          const keysym = keysymOf(char);
          if (keysym !== undefined) rfb?.sendKey(keysym, null);
        }
      };

      // Keys are looked at before noVNC's own handler (capture phase on the display area).
      listen('keydown', (e) => {
        if (!rfb) return;
        if (isHostKey(e)) {
          e.preventDefault();
          e.stopPropagation();
          rfb.blur();
          (document.activeElement as HTMLElement | null)?.blur();
          return;
        }
        if (inputMode === 'unicode' && isCharacter(e)) {
          e.preventDefault();
          e.stopPropagation();
          typeChars(e.key);
        }
      });
      listen('keyup', (e) => {
        if (inputMode === 'unicode' && isCharacter(e)) {
          e.preventDefault();
          e.stopPropagation();
        }
      });
      // Entering the display hands this clipboard's text to the remote machine, where reading it is already granted
      // (Electron grants it to the app), so a click never raises a permission prompt.
      listen('focusin', () => {
        const handOver = async () => {
          const permission = await navigator.permissions?.query({ name: 'clipboard-read' as PermissionName });
          if (permission?.state !== 'granted') return;
          const text = await navigator.clipboard.readText();
          if (!text || !rfb || text === clipboardInSync) return;
          clipboardInSync = text;
          rfb.clipboardPasteFrom(text);
        };
        handOver().catch((err: unknown) => callbacks.onProblem(`This clipboard was not handed to the remote machine: ${reason(err)}`));
      });

      loadRfb()
        .then((Rfb) => {
          if (closed) return;
          const session = new Rfb(container, grant.relayUrl, { shared: true, ...(credentials ? { credentials: vncCredentials(credentials) } : {}) });
          rfb = session;
          session.background = 'transparent';
          applyScale();
          container.querySelector('canvas')?.setAttribute('aria-label', label);
          session.addEventListener('connect', () => callbacks.onConnected());
          session.addEventListener('disconnect', (e) => {
            rfb = undefined;
            if (closed) return;
            callbacks.onDisconnected(e.detail.clean ? 'the VNC session ended.' : 'the connection to the VNC server was lost.');
          });
          session.addEventListener('securityfailure', (e) => {
            callbacks.onDisconnected(`the VNC server refused the connection${e.detail.reason ? `: ${e.detail.reason}` : ''}.`);
          });
          session.addEventListener('credentialsrequired', () => {
            // Nova's proxies always offer "None"; a password is asked only by a vnc:// server that wants one.
            callbacks.onDisconnected('the VNC server asks for a password, which this app does not send yet.');
            session.disconnect();
          });
          session.addEventListener('clipboard', (e) => {
            clipboardInSync = e.detail.text;
            navigator.clipboard
              ?.writeText(e.detail.text)
              .catch((err: unknown) => callbacks.onProblem(`Text copied on the remote machine did not reach this clipboard: ${reason(err)}`));
          });
        })
        .catch((err: unknown) => {
          if (!closed) callbacks.onDisconnected(`the VNC client could not start: ${reason(err)}`);
        });

      return {
        ctrlAltDel: () => rfb?.sendCtrlAltDel(),
        typeText: typeChars,
        setScaleMode(mode) {
          scale = mode;
          applyScale();
        },
        setInputMode(mode) {
          inputMode = mode;
        },
        focus: () => rfb?.focus(),
        screenshot: () =>
          new Promise<Blob>((resolve, reject) => {
            if (!rfb) return reject(new Error('the VNC session is not connected'));
            rfb.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the display has nothing to save yet'))), 'image/png');
          }),
        close() {
          closed = true;
          offs.forEach((off) => off());
          rfb?.disconnect();
          rfb = undefined;
        },
      };
    },
  };
}

/** VNC authentication has a password only. */
function vncCredentials(c: Credentials): { password: string } {
  return { password: c.password };
}
