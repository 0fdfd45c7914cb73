// Test page: the display adapter (renderer/consoles/rdp/rdp-backend.ts) over an engine double that records every call
// the adapter makes on its session, so tests can check what a real engine would have been told.
import { rdpBackend } from '../../../../../renderer/consoles/rdp/rdp-backend.ts';
import type { RdpEngine, RdpEngineSession, SessionEvents } from '../../../../../renderer/consoles/rdp/engine/types.ts';
import type { RdpGrant } from '../../../../../electron/common/contract.ts';

const calls: unknown[][] = [];
let release: (() => void) | undefined;

function recordingSession(): RdpEngineSession {
  const rec =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  return {
    sessionId: 's1',
    on: <E extends keyof SessionEvents>(_e: E, _l: (p: SessionEvents[E]) => void) => () => undefined,
    closed: new Promise(() => undefined),
    key: rec('key'),
    keyEvent: (e: KeyboardEvent) => {
      calls.push(['keyEvent', e.type, e.code]);
      return true;
    },
    unicode: rec('unicode'),
    desktopSize: () => ({ width: 1024, height: 768 }),
    mouseMove: () => undefined,
    mouseButton: rec('mouseButton'),
    wheel: rec('wheel'),
    releaseAllKeys: rec('releaseAllKeys'),
    syncLockKeys: rec('syncLockKeys'),
    resize: rec('resize'),
    setClipboardText: async () => undefined,
    typeText: rec('typeText'),
    ctrlAltDel: rec('ctrlAltDel'),
    screenshot: async () => new Blob(),
    shutdown: rec('shutdown'),
  };
}

const engine: RdpEngine = {
  init: async () => undefined,
  // Connect completes when the test says so, to check what happens on connect.
  connect: () => new Promise((resolve) => (release = () => resolve(recordingSession()))),
};

const backend = rdpBackend(engine);
const grant: RdpGrant = { protocol: 'rdp', sessionId: 's1', title: 't', gatewayUrl: 'ws://127.0.0.1:1/', token: 'x', destination: 'h:1', vmconnect: false };
let connected = 0;
backend.connect({ container: document.getElementById('area')!, label: 'display' }, grant, undefined, {
  onConnected: () => connected++,
  onDisconnected: () => undefined,
  onProblem: () => undefined,
});
document.querySelector('canvas')!.id = 'c';

window.displayTest = {
  finishConnect: async () => {
    release?.();
    for (let i = 0; i < 50 && connected === 0; i++) await new Promise((r) => setTimeout(r, 10));
    return connected;
  },
  calls: () => calls.splice(0),
};
