import type { ApiTransport } from '../../electron/common/contract.ts';
import { consoleApiOver, type ConsoleApi } from './console-api.ts';
import { createWsClient } from './ws-client.ts';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in browser mode. */
    novaConsole?: ApiTransport;
  }
}

const SECRET_KEY = 'nova-console.secret';

/**
 * The page's one way to the services: the preload's object in Electron, else the browser-mode WebSocket. In browser
 * mode the per-run secret arrives once in the address (`/?secret=…`); it is moved to sessionStorage and taken out of
 * the address bar so it does not linger in history or get copied along with the URL.
 */
export function connectApi(onDisconnect: (reason: string) => void): ConsoleApi {
  if (window.novaConsole) return consoleApiOver(window.novaConsole);
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('secret');
  // The socket is opened first: a page's first use of sessionStorage waits on the browser process (8–10 ms in a fresh
  // page here, more while Chromium is still starting), and the connection can be under way meanwhile.
  const secret = fromUrl || (sessionStorage.getItem(SECRET_KEY) ?? '');
  const api = consoleApiOver(createWsClient(`ws://${location.host}/api?secret=${encodeURIComponent(secret)}`, { onDisconnect }));
  if (fromUrl) {
    sessionStorage.setItem(SECRET_KEY, fromUrl);
    params.delete('secret');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
  }
  return api;
}
