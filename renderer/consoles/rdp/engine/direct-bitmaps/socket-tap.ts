/**
 * In the RDP worker: puts the direct bitmap path between a session's WebSocket and IronRDP. IronRDP listens for the
 * socket's messages with addEventListener('message'); on this one socket (handed over by socket-ahead.ts) that call
 * registers the path's listener instead, and IronRDP's listener gets what the path passes on, as messages of the
 * same kind (an ArrayBuffer each).
 */
import type { Region } from '../frame-shipper.ts';
import { DirectBitmapPath } from './direct-bitmap-path.ts';

export interface TapOptions {
  draw: (regions: Region[]) => void;
  desktop: () => { width: number; height: number };
  send: (bytes: Uint8Array) => void;
}

/**
 * Runs `fn` in a task after this one, sooner than setTimeout (which browsers clamp when nested). One channel serves
 * every session of the worker.
 */
let laterChannel: { port: MessagePort; queued: Array<() => void> } | undefined;
function later(fn: () => void): void {
  if (!laterChannel) {
    const channel = new MessageChannel();
    const queued: Array<() => void> = [];
    channel.port1.onmessage = () => queued.shift()?.();
    laterChannel = { port: channel.port2, queued };
  }
  laterChannel.queued.push(fn);
  laterChannel.port.postMessage(null);
}

const whole = (b: Uint8Array): ArrayBuffer =>
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : b.slice().buffer;

export function tapServerMessages(ws: WebSocket, o: TapOptions): DirectBitmapPath {
  const add = ws.addEventListener.bind(ws);
  const listeners: Array<(ev: MessageEvent) => void> = [];
  const path = new DirectBitmapPath({
    deliver: (bytes) => {
      const ev = new MessageEvent('message', { data: whole(bytes) });
      for (const l of listeners) l.call(ws, ev);
    },
    draw: o.draw,
    desktop: o.desktop,
    send: o.send,
    later,
  });
  ws.addEventListener = function addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
    if (!listener) return;
    if (type !== 'message' || typeof listener !== 'function') return add(type, listener, options);
    listeners.push(listener as (ev: MessageEvent) => void);
    if (listeners.length > 1) return;
    add('message', (ev: MessageEvent) => {
      // Text or Blob messages are not RDP as IronRDP reads it here (it asks for ArrayBuffers): pass them as they are.
      if (ev.data instanceof ArrayBuffer) path.fromServer(new Uint8Array(ev.data));
      else for (const l of listeners) l.call(ws, ev);
    });
  } as WebSocket['addEventListener'];
  return path;
}
