import { app, BrowserWindow, ipcMain, Menu, protocol, safeStorage, session } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHandlers } from '../api/handlers.ts';
import { registerIpcApi, type IpcTransport } from '../api/ipc-transport.ts';
import { composeApp, type ComposedApp } from '../app/compose.ts';
import { CHROMIUM_SWITCHES } from '../app/chromium-switches.ts';
import { cspHeader, socketOrigin } from '../app/csp.ts';
import { resolveDataDir } from '../app/data-dir.ts';
import { createLaunchRouter, DEEP_LINK_SCHEME } from '../app/launch-input.ts';
import { APP_ORIGIN, APP_SCHEME } from '../app/permissions.ts';
import type { SecretBox } from '../app/secret-box.ts';
import { staticFile } from '../app/static-files.ts';
import { createMainWindow, hardenContents, hardenSession } from './window.ts';

/**
 * The Electron main process: lifecycle, the one window, deep links and .rdp files. Everything else is plain Node in
 * electron/app (composition), electron/openstack, electron/rdp and electron/demo, shared with browser mode.
 */
const log = (line: string) => process.stderr.write(`[nova-console] ${line}\n`);

// Must happen before `ready`: the page is served from a standard, secure scheme so 'self' and module scripts work.
// codeCache lets Chromium keep the page's compiled scripts between launches, as it does by default for http(s) only
// (in browser mode, a page whose caches were warm reached DOMContentLoaded in about half the time of a first load).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);

// Also before `ready`: Chromium reads its switches as it starts.
for (const [name, value] of Object.entries(CHROMIUM_SWITCHES)) app.commandLine.appendSwitch(name, value);

const windows = new Set<BrowserWindow>();
const trusted = new Set<number>();
let transport: IpcTransport | undefined;
let composed: ComposedApp | undefined;
// Links and .rdp files: opened in the page, or refused there with the reason (held until the page has loaded).
const launches = createLaunchRouter({
  emit: (e) => transport?.emit(e.event, e.payload),
  readFile: (path) => readFile(path),
  log: (line) => log(`Ignored: ${line}`),
});

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the window; it receives our argv through 'second-instance'.
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    void launches.handleArgs(argv.slice(1));
    const win = [...windows][0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  // macOS delivers links and files as events rather than argv.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    launches.handleLink(url);
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    void launches.handleRdpFile(path);
  });
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    transport?.dispose();
    void composed?.close();
  });
  void start();
}

async function start() {
  if (process.defaultApp) {
    // Running unpackaged (`electron .`): register the scheme for this interpreter and script.
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [app.getAppPath()]);
  } else {
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  }
  await app.whenReady();
  const rendererDir = join(app.getAppPath(), 'dist', 'renderer');
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === 'app' ? await staticFile(rendererDir, url.pathname) : undefined;
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: { 'Content-Type': file.type, 'Content-Security-Policy': pageCsp(), 'X-Content-Type-Options': 'nosniff' },
    });
  });
  hardenSession(session.defaultSession, pageCsp);
  // No menu accelerators on Linux and Windows: Ctrl+W, F11, Ctrl+0… belong to the tabs or the remote machine. macOS
  // needs its app and edit menus (Cmd+Q, Cmd+C/V in text fields).
  Menu.setApplicationMenu(process.platform === 'darwin' ? Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }]) : null);

  const box: SecretBox | undefined = safeStorage.isEncryptionAvailable()
    ? {
        encrypt: (plain) => safeStorage.encryptString(plain).toString('base64'),
        decrypt: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
      }
    : undefined;
  if (!box) log('The OS keychain is not available: remembered passwords are kept for this run only');

  composed = await composeApp({
    mode: 'electron',
    dataDir: resolveDataDir(process.env, app.getPath('userData')),
    allowedOrigins: [APP_ORIGIN],
    version: app.getVersion(),
    log,
    secretBox: box,
  });
  transport = registerIpcApi(
    ipcMain,
    createHandlers(composed.services),
    // Only windows this process created may call the services (not a stray frame, devtools extension or webview).
    (sender) => trusted.has(sender.id),
    () => [...windows].filter((w) => !w.isDestroyed()).map((w) => w.webContents),
  );
  composed.bindEvents(transport.emit);

  const win = createMainWindow({ preload: join(app.getAppPath(), 'dist', 'electron', 'preload.cjs'), title: 'Nova Console Viewer' });
  windows.add(win);
  trusted.add(win.webContents.id);
  const id = win.webContents.id;
  win.on('closed', () => {
    windows.delete(win);
    trusted.delete(id);
  });
  win.webContents.on('did-finish-load', () => launches.pageReady());
  await launches.handleArgs(process.argv.slice(1));
}

/** The page may open WebSockets only to this run's gateway (IPC carries the contract). */
function pageCsp(): string {
  return cspHeader(composed ? [socketOrigin(composed.gatewayUrl)] : []);
}
