import { BrowserWindow, type Session, type WebContents } from 'electron';
import { APP_ORIGIN, isAppUrl, permissionAllowed } from '../app/permissions.ts';

/**
 * Window hardening. The page runs sandboxed with context isolation and no Node; it may not navigate anywhere, open
 * windows, attach webviews, or get any permission beyond clipboard and fullscreen for its own origin.
 */
export function hardenSession(ses: Session, csp: () => string): void {
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => {
    callback(permissionAllowed(permission, details.requestingUrl));
  });
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));
  ses.setDevicePermissionHandler(() => false);
  // The CSP is also in the page's meta tag; the header covers anything served without it.
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    if (isAppUrl(details.url)) headers['Content-Security-Policy'] = [csp()];
    callback({ responseHeaders: headers });
  });
}

export function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export interface MainWindowOptions {
  preload: string;
  title: string;
  icon?: string;
}

export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: opts.title,
    show: false,
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  hardenContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}
