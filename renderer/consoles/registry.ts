import type { SessionGrant } from '../../electron/common/contract.ts';
import type { ConsoleBackend } from './console-view.ts';
import { createIronRdpEngine } from './rdp/engine/ironrdp.ts';
import { canRunInWorker, createWorkerRdpEngine } from './rdp/engine/worker-engine.ts';
import { rdpBackend } from './rdp/rdp-backend.ts';
import { serialBackend } from './serial/serial-backend.ts';
import { vncBackend } from './vnc/vnc-backend.ts';

/** One backend per protocol a grant can name: the compiler rejects a registry that misses one. */
export type ConsoleBackends = { readonly [P in SessionGrant['protocol']]: ConsoleBackend<Extract<SessionGrant, { protocol: P }>> };

/**
 * The backends this build uses: IronRDP's WASM client for RDP (in a worker beside the page, built as rdp-worker.js
 * next to main.js; in the page where canvases cannot be handed to a worker), noVNC for VNC, xterm.js for serial
 * consoles.
 */
export function createConsoleBackends(): ConsoleBackends {
  const rdpEngine = canRunInWorker() ? createWorkerRdpEngine({ workerUrl: new URL('./rdp-worker.js', import.meta.url) }) : createIronRdpEngine();
  return { rdp: rdpBackend(rdpEngine), vnc: vncBackend(), serial: serialBackend() };
}

/** The backend that opens `grant`. */
export function backendFor(backends: ConsoleBackends, grant: SessionGrant): ConsoleBackend {
  return backends[grant.protocol];
}
