// Test page for the RDP engine: connects a canvas through the gateway the way a console tab does and wires DOM
// input to the session. Driven from Playwright through window.rdpTest.
import type { Credentials, RdpGrant } from '../../../../electron/common/contract.ts';
import { createIronRdpEngine, loadIronRdp } from '../../../../renderer/consoles/rdp/engine/ironrdp.ts';
import type { CloseReason, RdpEngineSession } from '../../../../renderer/consoles/rdp/engine/types.ts';
import { isHostKey } from '../../../../renderer/consoles/host-key.ts';

const engine = createIronRdpEngine();
const canvas = document.getElementById('screen') as HTMLCanvasElement;
let session: RdpEngineSession | undefined;
const closed: CloseReason[] = [];
const hostKeyPresses: number[] = [];
const extra = new Map<string, RdpEngineSession>();

for (const type of ['keydown', 'keyup'] as const) {
  canvas.addEventListener(type, (e) => {
    if (!session) return;
    if (isHostKey(e)) {
      hostKeyPresses.push(Date.now());
      session.releaseAllKeys();
      canvas.blur();
      e.preventDefault();
      return;
    }
    if (session.keyEvent(e)) e.preventDefault();
  });
}
canvas.addEventListener('blur', () => session?.releaseAllKeys());
canvas.addEventListener('mousemove', (e) => session?.mouseMove(e.offsetX, e.offsetY));
canvas.addEventListener('mousedown', (e) => {
  canvas.focus();
  session?.mouseButton(e.button, true);
});
canvas.addEventListener('mouseup', (e) => session?.mouseButton(e.button, false));
canvas.addEventListener('contextmenu', (e) => e.preventDefault());
canvas.addEventListener('wheel', (e) => {
  e.preventDefault();
  session?.wheel(-e.deltaY, { lines: e.deltaMode === 1 });
});

window.rdpTest = {
  init: () => engine.init().then(() => true),
  async connect(grant: RdpGrant, credentials?: Credentials, credssp?: boolean) {
    try {
      session = await engine.connect({ grant, canvas, width: canvas.width, height: canvas.height, credentials, credssp });
      session.on('closed', (r) => closed.push(r));
      canvas.focus();
      return { ok: true };
    } catch (e) {
      const err = e as { kind?: string; message?: string };
      return { ok: false, kind: err.kind ?? 'unknown', message: err.message ?? String(e) };
    }
  },
  /** A further session in the same page (same WASM module) on its own canvas `#<name>`. */
  async connectExtra(name: string, grant: RdpGrant) {
    const c = document.createElement('canvas');
    c.id = name;
    c.width = 640;
    c.height = 480;
    document.body.append(c);
    try {
      extra.set(name, await engine.connect({ grant, canvas: c, width: c.width, height: c.height }));
      return { ok: true };
    } catch (e) {
      const err = e as { kind?: string; message?: string };
      return { ok: false, kind: err.kind ?? 'unknown', message: err.message ?? String(e) };
    }
  },
  shutdownExtra: (name: string) => extra.get(name)?.shutdown(),
  extraClosed: (name: string) => extra.get(name)?.closed.then((r) => r),
  /** Whether IronRDP's SessionBuilder takes an extension by this name (its message when it does not). */
  async probeExtension(name: string, value: unknown) {
    const mod = await loadIronRdp();
    // The package does not export the Extension class; every extension function returns one.
    const sample = mod.enableCredssp(true);
    const Ext = sample.constructor as new (n: string, v: unknown) => typeof sample;
    try {
      new mod.Backend.SessionBuilder().extension(new Ext(name, value));
      return { ok: true };
    } catch (e) {
      return { ok: false, message: String((e as { message?: string })?.message ?? e) };
    }
  },
  typeText: (text: string) => session?.typeText(text),
  ctrlAltDel: () => session?.ctrlAltDel(),
  shutdown: () => session?.shutdown(),
  closed: () => closed,
  hostKeyPresses: () => hostKeyPresses.length,
  async screenshotSize() {
    const blob = await session!.screenshot();
    return blob.size;
  },
};
