import type { StateCreator } from 'zustand/vanilla';
import { grantEndpoint, type AppState, type DialogsSlice } from './types.ts';
import { errorMessage } from '../api/console-api.ts';

export const dialogsSlice: StateCreator<AppState, [], [], DialogsSlice> = (set, get) => ({
  trustPrompts: [],
  dialog: undefined,
  dialogError: undefined,
  openDialog: (dialog) => set({ dialog, dialogError: undefined }),
  closeDialog: () => set({ dialog: undefined, dialogError: undefined }),
  pushTrustPrompt: (prompt) => set((s) => ({ trustPrompts: [...s.trustPrompts.filter((p) => p.promptId !== prompt.promptId), prompt] })),
  async decideTrust(promptId, decision) {
    // Drop the prompt first: the gateway answers the waiting session whatever happens to this request.
    set((s) => ({ trustPrompts: s.trustPrompts.filter((p) => p.promptId !== promptId) }));
    try {
      await get().api.invoke('trust.decide', { promptId, decision });
    } catch (err) {
      set({ dialogError: errorMessage(err) });
    }
  },
  async submitCredentials(tabId, credentials, remember) {
    const tab = get().tabs.find((t) => t.id === tabId);
    if (!tab) return get().closeDialog();
    if (remember && tab.grant) {
      try {
        await get().api.invoke('credentials.save', { endpoint: grantEndpoint(tab.grant), credentials });
      } catch (err) {
        set({ dialogError: errorMessage(err) });
        return;
      }
    }
    get().setTabCredentials(tabId, credentials);
    get().closeDialog();
    await get().reconnect(tabId);
  },
});
