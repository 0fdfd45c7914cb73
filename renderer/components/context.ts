import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from '../store/index.ts';
import type { AppState } from '../store/types.ts';
import type { DisplayEngine } from '../display/display-engine.ts';

export const StoreContext = createContext<AppStore | null>(null);
export const EngineContext = createContext<DisplayEngine | null>(null);

export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext missing');
  return store;
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), selector);
}

export function useEngine(): DisplayEngine {
  const engine = useContext(EngineContext);
  if (!engine) throw new Error('EngineContext missing');
  return engine;
}
