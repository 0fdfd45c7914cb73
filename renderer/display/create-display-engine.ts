import { createIronRdpEngine } from '../engine/ironrdp.ts';
import type { DisplayEngine } from './display-engine.ts';
import { rdpDisplayEngine } from './rdp-adapter.ts';

/** The engine this build uses: IronRDP's WASM client (renderer/engine). */
export function createDisplayEngine(): DisplayEngine {
  return rdpDisplayEngine(createIronRdpEngine());
}
