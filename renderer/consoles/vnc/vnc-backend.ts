import type RFB from '@novnc/novnc';
import type { Credentials, VncGrant } from '../../../electron/common/contract.ts';
import { INPUT_MODES, type ConsoleBackend, type ConsoleSession, type InputMode, type ScaleMode } from '../console-view.ts';
import { isHostKey } from '../host-key.ts';
import { keysymOf } from './keysyms.ts';
import { ClipboardSync, isCharacter, reason } from '../local-input.ts';

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


export function vncBackend(): ConsoleBackend<VncGrant> {
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
      let askedForPassword = false;
      let inputMode: InputMode = 'scancode';
      let scale: ScaleMode = 'fit';
      const clipboard = new ClipboardSync((message) => callbacks.onProblem(message));
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
      // Entering the display hands this clipboard's text to the remote machine.
      listen('focusin', () => {
        const live = rfb;
        clipboard.handOver(live && ((text) => live.clipboardPasteFrom(text)));
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
            // Asking for a password ended this attempt on purpose: that, not the disconnect, is the tab's news.
            if (closed || askedForPassword) return;
            callbacks.onDisconnected(e.detail.clean ? 'the VNC session ended.' : 'the connection to the VNC server was lost.');
          });
          session.addEventListener('securityfailure', (e) => {
            const why = e.detail.reason ? `: ${e.detail.reason}` : '';
            // A password was sent and refused (VNC authentication's failed SecurityResult): ask again.
            if (credentials && callbacks.onCredentialsNeeded) return askPassword(`the VNC server refused the password${why}.`);
            callbacks.onDisconnected(`the VNC server refused the connection${why}.`);
          });
          session.addEventListener('credentialsrequired', () => {
            // Nova's proxies always offer "None"; a password is asked only by a vnc:// server that wants one
            // (QEMU's password option, TigerVNC's VncAuth). This attempt ends; the next one sends what the user types.
            askPassword('the VNC server asks for a password.');
          });
          session.addEventListener('clipboard', (e) => clipboard.received(e.detail.text));
        })
        .catch((err: unknown) => {
          if (!closed) callbacks.onDisconnected(`the VNC client could not start: ${reason(err)}`);
        });

      function askPassword(why: string): void {
        askedForPassword = true;
        rfb?.disconnect();
        if (callbacks.onCredentialsNeeded) callbacks.onCredentialsNeeded(why);
        else callbacks.onDisconnected(why);
      }

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
