import { placeholderEngine, type DisplayEngine } from './engine-adapter.ts';

/** The engine this build uses. */
export function createDisplayEngine(): DisplayEngine {
  return placeholderEngine();
}
