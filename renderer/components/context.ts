import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from '../store/index.ts';
import type { AppState } from '../store/types.ts';
import type { ConsoleBackends } from '../consoles/registry.ts';

export const StoreContext = createContext<AppStore | null>(null);
export const ConsolesContext = createContext<ConsoleBackends | null>(null);

export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext missing');
  return store;
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), selector);
}

export function useConsoleBackends(): ConsoleBackends {
  const backends = useContext(ConsolesContext);
  if (!backends) throw new Error('ConsolesContext missing');
  return backends;
}
