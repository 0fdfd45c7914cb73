// Test page for serial consoles: the app's own serial backend (xterm.js) in Chromium, opening a relay URL as a
// serial tab does. Driven from Playwright through window.serialTest; it reports what the backend told the tab
// (connected, disconnected with a reason, problems) and what the terminal shows.
import { serialBackend } from '../../../../renderer/consoles/serial/serial-backend.ts';
import type { ConsoleSession } from '../../../../renderer/consoles/console-view.ts';

export type SerialEvent = { kind: 'connected' } | { kind: 'disconnected'; reason: string } | { kind: 'problem'; message: string };

const screen = document.getElementById('screen')!;
const backend = serialBackend();
let session: ConsoleSession | undefined;
const events: SerialEvent[] = [];

const api = {
  open(relayUrl: string): void {
    session?.close();
    events.length = 0;
    const grant = { protocol: 'serial' as const, sessionId: 'test', title: 'serial test', relayUrl, endpoint: 'test' };
    session = backend.connect({ container: screen, label: 'Serial console test' }, grant, undefined, {
      onConnected: () => events.push({ kind: 'connected' }),
      onDisconnected: (reason) => events.push({ kind: 'disconnected', reason }),
      onProblem: (message) => events.push({ kind: 'problem', message }),
    });
  },
  events: (): SerialEvent[] => events,
  /** The terminal's visible rows, as text (the DOM renderer draws spaces as no-break spaces). */
  rows: (): string[] => [...document.querySelectorAll('.xterm-rows > div')].map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()),
  focus: () => session?.focus(),
  typeText: (text: string) => session?.typeText(text),
  openSearch: () => session?.openSearch?.(),
  close(): void {
    session?.close();
    session = undefined;
  },
};

(window as unknown as { serialTest: typeof api }).serialTest = api;
