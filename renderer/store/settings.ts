import type { StateCreator } from 'zustand/vanilla';
import type { AppState, SettingsSlice } from './types.ts';

export const settingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set, get) => ({
  settings: undefined,
  certificates: [],
  async loadSettings() {
    set({ settings: await get().api.invoke('settings.get') });
  },
  async setHideDemoCloud(hide) {
    // Shown at once; the answer (or a reload on failure) settles it.
    const before = get().settings;
    if (before) set({ settings: { ...before, hideDemoCloud: hide } });
    try {
      set({ settings: await get().api.invoke('settings.update', { hideDemoCloud: hide }) });
    } catch (err) {
      set({ settings: before });
      throw err;
    }
  },
  async setConsoleCredentials(cloud, credentials) {
    set({ settings: await get().api.invoke('settings.update', { consoleCredentials: { cloud, credentials } }) });
  },
  async loadCertificates() {
    set({ certificates: await get().api.invoke('trust.list') });
  },
  async revokeCertificate(endpoint) {
    await get().api.invoke('trust.revoke', { endpoint });
    await get().loadCertificates();
  },
});
