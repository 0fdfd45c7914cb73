// A page that shows one demo desktop with the product's IronRDP engine, with dynamic resolution on. Driven from
// Playwright through window.demoTest.
import type { RdpGrant } from '../../../../../electron/common/contract.ts';
import { createIronRdpEngine } from '../../../../../renderer/consoles/rdp/engine/ironrdp.ts';
import type { RdpEngineSession } from '../../../../../renderer/consoles/rdp/engine/types.ts';

const engine = createIronRdpEngine();
const canvas = document.getElementById('screen') as HTMLCanvasElement;
let session: RdpEngineSession | undefined;
const resized: Array<{ width: number; height: number }> = [];
const closed: string[] = [];

(window as unknown as { demoTest: unknown }).demoTest = {
  init: () => engine.init().then(() => true),
  async connect(grant: RdpGrant, credssp?: boolean, credentials?: { username: string; password: string }) {
    try {
      session = await engine.connect({
        grant,
        canvas,
        width: canvas.width,
        height: canvas.height,
        credentials: credentials ?? { username: 'demo', password: 'demo' },
        dynamicResize: true,
        credssp,
      });
      session.on('resized', (s) => resized.push(s));
      session.on('closed', (r) => closed.push(r.reason));
      return { ok: true };
    } catch (e) {
      return { ok: false, message: (e as Error).message ?? String(e) };
    }
  },
  typeText: (text: string) => session?.typeText(text),
  mouseMove: (x: number, y: number) => session?.mouseMove(x, y),
  resize: (w: number, h: number) => session?.resize(w, h),
  state: () => ({ resized, closed, width: canvas.width, height: canvas.height }),
  shutdown: () => session?.shutdown(),
};
