import type { Credentials, RdpGrant } from '../../../../electron/common/contract.ts';
import type { Region } from './frame-shipper.ts';
import type { CursorStyle } from './ironrdp.ts';
import type { CloseReason, EngineErrorKind, LockKeys } from './types.ts';

/**
 * The messages between the page and the RDP worker (ironrdp-worker.ts), which runs IronRDP's decoding and drawing
 * off the page's main thread. One worker serves every RDP tab of a page; sessions are told apart by `id`.
 *
 * Pictures travel as the regions IronRDP drew in one task of the worker (`frame`), their pixel buffers transferred.
 */

/** An EngineError as it crosses the thread boundary (errors lose their class in structured clone). */
export type WireError = { kind: EngineErrorKind; message: string };

/** The session calls that return nothing: sent and forgotten, in order. */
export type SessionCall =
  | { method: 'key'; args: [scancode: number, pressed: boolean] }
  | { method: 'unicode'; args: [text: string] }
  | { method: 'mouseMove'; args: [x: number, y: number] }
  | { method: 'mouseButton'; args: [button: number, pressed: boolean] }
  | { method: 'wheel'; args: [amount: number, opts: { horizontal?: boolean; lines?: boolean }] }
  | { method: 'releaseAllKeys'; args: [] }
  | { method: 'syncLockKeys'; args: [state: LockKeys] }
  | { method: 'resize'; args: [width: number, height: number, scale?: number] }
  | { method: 'typeText'; args: [text: string] }
  | { method: 'ctrlAltDel'; args: [] }
  | { method: 'shutdown'; args: [] };

/** The calls that answer: each carries a request number the reply names. */
export type SessionRequest = { method: 'setClipboardText'; args: [text: string] };

export type ToWorker =
  | { op: 'init'; logLevel: string }
  | {
      op: 'connect';
      id: number;
      grant: RdpGrant;
      width: number;
      height: number;
      credentials?: Credentials;
      dynamicResize?: boolean;
      credssp?: boolean;
    }
  | ({ op: 'call'; id: number } & SessionCall)
  | ({ op: 'request'; id: number; request: number } & SessionRequest);

export type SessionEventMessage =
  | { event: 'connected' }
  | { event: 'closed'; payload: CloseReason }
  | { event: 'error'; payload: WireError }
  | { event: 'resized'; payload: { width: number; height: number } }
  | { event: 'clipboard'; payload: string }
  | { event: 'cursor'; payload: CursorStyle };

export type FromWorker =
  | { op: 'ready' }
  | { op: 'init-failed'; error: WireError }
  | { op: 'connected'; id: number; width: number; height: number }
  | { op: 'connect-failed'; id: number; error: WireError }
  | ({ op: 'event'; id: number } & SessionEventMessage)
  /** What changed on the session's desktop (a desktop of width × height): each region's pixels at its place. */
  | { op: 'frame'; id: number; width: number; height: number; regions: Region[] }
  | { op: 'reply'; request: number; ok: true }
  | { op: 'reply'; request: number; ok: false; error: WireError };
