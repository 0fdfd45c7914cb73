import { IPC_EVENT_CHANNEL, REQUEST_NAMES, ipcChannel, type ConsoleEvents, type EventName } from '../common/contract.ts';
import { dispatch, type EventSink, type HandlerTable } from './handlers.ts';

/**
 * The Electron transport, written against the few members of ipcMain/WebContents it uses so that it runs (and is
 * tested) under plain Node; main.ts passes Electron's real objects.
 */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { sender: SenderLike }, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}
export interface SenderLike {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed?(): boolean;
}

export interface IpcTransport {
  emit: EventSink;
  dispose(): void;
}

/**
 * Registers one ipcMain handler per request. `isTrustedSender` must answer true only for windows the app created
 * (their WebContents id), so a stray frame or a future webview cannot call the services.
 */
export function registerIpcApi(
  ipcMain: IpcMainLike,
  table: HandlerTable,
  isTrustedSender: (sender: SenderLike) => boolean,
  receivers: () => SenderLike[],
): IpcTransport {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event, args) => {
      if (!isTrustedSender(event.sender)) {
        return { ok: false, error: { code: 'forbidden', message: 'Request from a window the app did not create' } };
      }
      return dispatch(table, name, args);
    });
  }
  const emit: EventSink = <E extends EventName>(event: E, payload: ConsoleEvents[E]) => {
    for (const r of receivers()) if (!r.isDestroyed?.()) r.send(IPC_EVENT_CHANNEL, { event, payload });
  };
  return {
    emit,
    dispose: () => {
      for (const name of REQUEST_NAMES) ipcMain.removeHandler(ipcChannel(name));
    },
  };
}
