import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from '../app/preload-api.ts';

/**
 * Exposes exactly the contract's ApiTransport to the page as `window.novaConsole`, nothing else: no ipcRenderer, no channel
 * names, no Electron objects. Bundled to CommonJS, as sandboxed preloads must be.
 */
contextBridge.exposeInMainWorld('novaConsole', createPreloadApi(ipcRenderer));
