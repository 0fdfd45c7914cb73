// Test page for the console relay: noVNC (the app's VNC client) in Chromium opens a relay URL the way a VNC tab does,
// over the browser's own WebSocket so the page can also report the close code and reason the relay sent.
// Driven from Playwright through window.relayTest.
import RFB from '@novnc/novnc';

export type RelayTestResult =
  | { ok: true; name: string; protocol: string }
  | { ok: false; clean: boolean; code?: number; reason?: string; error?: string };

const screen = document.getElementById('screen')!;
let rfb: RFB | undefined;
let ended: Promise<RelayTestResult> | undefined;

const api = {
  /** Connects noVNC through the relay; resolves once RFB is connected, or with how it ended. */
  connect(relayUrl: string, protocols: string[]): Promise<RelayTestResult> {
    rfb?.disconnect();
    let ws: WebSocket;
    try {
      ws = new WebSocket(relayUrl, protocols);
    } catch (err) {
      return Promise.resolve({ ok: false, clean: false, error: String(err) });
    }
    ws.binaryType = 'arraybuffer';
    let close: CloseEvent | undefined;
    const closed = new Promise<void>((r) => ws.addEventListener('close', (e) => ((close = e), r())));
    const session = new RFB(screen, ws, { shared: true });
    rfb = session;
    let name = '';
    session.addEventListener('desktopname', (e) => (name = (e as CustomEvent<{ name: string }>).detail.name));
    ended = new Promise<RelayTestResult>((resolve) =>
      session.addEventListener('disconnect', (e) => {
        const clean = (e as CustomEvent<{ clean: boolean }>).detail.clean;
        // noVNC reports the disconnect first; the socket's close event carries the relay's code and reason.
        void Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]).then(() =>
          resolve({ ok: false, clean, code: close?.code, reason: close?.reason }),
        );
      }),
    );
    return Promise.race([
      new Promise<RelayTestResult>((resolve) => session.addEventListener('connect', () => resolve({ ok: true, name, protocol: ws.protocol }))),
      ended,
    ]);
  },
  /** How the current session ended (waits for it). */
  ended(): Promise<RelayTestResult> | undefined {
    return ended;
  },
  disconnect(): void {
    rfb?.disconnect();
  },
};

(window as unknown as { relayTest: typeof api }).relayTest = api;
