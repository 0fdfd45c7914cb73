import type { Credentials, RdpGrant } from '../../../../electron/common/contract.ts';

/**
 * What a console tab needs from an RDP implementation. The tab owns the canvas; the engine draws into it directly
 * (frames never pass through React state or IPC) and turns DOM input into RDP input.
 */

export interface ConnectOptions {
  grant: RdpGrant;
  canvas: HTMLCanvasElement;
  /** Desktop size to ask for, in pixels. */
  width: number;
  height: number;
  /** Overrides grant.credentials (the user typed them in the login prompt). */
  credentials?: Credentials;
  /** Ask the server to follow window resizes (dynamic resolution), where it supports it. */
  dynamicResize?: boolean;
  /** Offer CredSSP (NLA). Default true; false asks for TLS security only (servers with NLA disabled). */
  credssp?: boolean;
}

export type CloseReason = {
  /** True when the user (or the app) ended the session. */
  byUser: boolean;
  /** A sentence for the user. */
  reason: string;
};

export interface SessionEvents {
  /** The first exchange succeeded and frames flow. */
  connected: void;
  /** The session ended; emitted once. */
  closed: CloseReason;
  /** Something failed without ending the session (a clipboard write, an input). */
  error: EngineError;
  /** The server changed the desktop size. */
  resized: { width: number; height: number };
  /** Text the server put on its clipboard. */
  clipboard: string;
}

export type LockKeys = { scrollLock: boolean; numLock: boolean; capsLock: boolean; kanaLock?: boolean };

export interface RdpEngineSession {
  readonly sessionId: string;
  on<E extends keyof SessionEvents>(event: E, listener: (payload: SessionEvents[E]) => void): () => void;
  /** Resolves with the close reason once the session has ended. */
  readonly closed: Promise<CloseReason>;

  /** A physical key by PC/XT set-1 scancode; extended keys carry 0xE000 (see scancodes.ts). */
  key(scancode: number, pressed: boolean): void;
  /** A DOM key event: scancode when the key is known, Unicode otherwise. Returns whether it was sent. */
  keyEvent(event: KeyboardEvent): boolean;
  /** The remote desktop's size in pixels (what the canvas shows), for mapping pointer positions. */
  desktopSize(): { width: number; height: number };
  /** Characters the client's keyboard layout cannot express. */
  unicode(text: string): void;
  mouseMove(x: number, y: number): void;
  /** DOM button numbers: 0 left, 1 middle, 2 right, 3 back, 4 forward. */
  mouseButton(button: number, pressed: boolean): void;
  /** Positive scrolls up (RDP's sign); `lines` when false means pixels. */
  wheel(amount: number, opts?: { horizontal?: boolean; lines?: boolean }): void;
  /** Releases every key and button the server thinks is down (call on blur). */
  releaseAllKeys(): void;
  syncLockKeys(state: LockKeys): void;
  /** Asks the server for a new desktop size (dynamic resolution). */
  resize(width: number, height: number, scale?: number): void;
  /** Puts text on the server's clipboard (where it has a clipboard channel). */
  setClipboardText(text: string): Promise<void>;
  /** Types text as key strokes, for servers without a clipboard channel (Hyper-V's basic console). */
  typeText(text: string): void;
  ctrlAltDel(): void;
  /** The current frame as a PNG. */
  screenshot(): Promise<Blob>;
  /** Ends the session; `closed` resolves with byUser true. */
  shutdown(): void;
}

export interface RdpEngine {
  /** Loads the RDP module; safe to call many times, the first call does the work. */
  init(): Promise<void>;
  connect(options: ConnectOptions): Promise<RdpEngineSession>;
}

export type EngineErrorKind =
  | 'credentials' // wrong user name or password, logon refused
  | 'gateway' // the local gateway refused or could not reach the server
  | 'negotiation' // security negotiation failed (e.g. NLA required)
  | 'network'
  | 'protocol'
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
