import type { StateCreator } from 'zustand/vanilla';
import type { AppState, CloudsSlice } from './types.ts';
import { errorMessage } from '../api/console-api.ts';

export const cloudsSlice: StateCreator<AppState, [], [], CloudsSlice> = (set, get) => ({
  clouds: [],
  cloudsState: 'loading',
  async loadClouds() {
    set({ cloudsState: 'loading', cloudsError: undefined });
    try {
      get().setClouds(await get().api.invoke('clouds.list'));
    } catch (err) {
      set({ cloudsState: 'error', cloudsError: errorMessage(err) });
    }
  },
  setClouds(clouds) {
    set({ clouds, cloudsState: 'ready' });
    // Fetch the servers of every cloud not fetched yet; clouds fail independently.
    // The demo signs in as its admin and its servers live in several projects: show them all from the start.
    for (const c of clouds) if (!get().servers[c.name]) void get().loadServers(c.name, { allProjects: c.isDemo });
  },
});
