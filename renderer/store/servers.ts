import type { StateCreator } from 'zustand/vanilla';
import type { AppState, CloudServers, ServersSlice } from './types.ts';
import { errorCode, errorMessage } from '../api/console-api.ts';

/** Servers per request: the first page paints at once, the rest stream in behind it. */
export const PAGE_SIZE = 500;
/** A bound on pages per refresh, so a cloud that keeps answering markers cannot loop forever. */
const MAX_PAGES = 200;

export const serversSlice: StateCreator<AppState, [], [], ServersSlice> = (set, get) => {
  const patch = (cloud: string, p: Partial<CloudServers>) =>
    set((s) => ({ servers: { ...s.servers, [cloud]: { ...emptyCloud(), ...s.servers[cloud], ...p } } }));

  return {
    servers: {},
    query: '',
    setQuery: (query) => set({ query }),
    async loadServers(cloud, opts = {}) {
      const prev = get().servers[cloud];
      const allProjects = opts.allProjects ?? prev?.allProjects ?? false;
      const generation = (prev?.generation ?? 0) + 1;
      patch(cloud, { state: 'loading', error: undefined, errorCode: undefined, allProjects, generation, more: false });
      const current = () => get().servers[cloud]?.generation === generation;
      let marker: string | undefined;
      try {
        for (let page = 0; page < MAX_PAGES; page++) {
          const res = await get().api.invoke('servers.list', {
            cloud,
            limit: PAGE_SIZE,
            ...(marker ? { marker } : {}),
            ...(allProjects ? { allProjects: true } : {}),
          });
          if (!current()) return;
          const servers = page === 0 ? res.servers : [...get().servers[cloud].servers, ...res.servers];
          marker = res.nextMarker && res.servers.length > 0 ? res.nextMarker : undefined;
          patch(cloud, { state: 'ready', servers, more: marker !== undefined });
          if (!marker) return;
        }
        patch(cloud, { more: false });
      } catch (err) {
        if (!current()) return;
        const loaded = get().servers[cloud].servers;
        // A failure after the first page keeps what arrived and says the list is incomplete.
        patch(cloud, { state: 'error', error: errorMessage(err), errorCode: errorCode(err), more: false, servers: marker ? loaded : [] });
      }
    },
  };
};

export function emptyCloud(): CloudServers {
  return { state: 'idle', servers: [], more: false, allProjects: false, generation: 0 };
}
