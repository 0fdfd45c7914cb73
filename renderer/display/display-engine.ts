import type { Credentials, SessionGrant } from '../../electron/common/contract.ts';

/**
 * What the tab panel needs from an RDP engine. The engine draws straight into the canvas it is given; the UI only
 * hears about state changes and calls toolbar actions. `createDisplayEngine()` (create-display-engine.ts) builds the
 * one this app uses: IronRDP's WASM client behind rdp-adapter.ts.
 */
export type ScaleMode = 'fit' | 'actual' | 'dynamic';

export interface DisplayCallbacks {
  onConnected(): void;
  onDisconnected(reason: string): void;
  /** The server wants credentials the grant did not carry (or rejected them). */
  onCredentialsNeeded?(reason: string): void;
  /**
   * Something failed without ending the session (a clipboard write the server refused, a failed input): a sentence
   * for the tab's status line. Every failure on the display path ends here or in onDisconnected, never nowhere.
   */
  onProblem(message: string): void;
}

export interface DisplaySession {
  ctrlAltDel(): void;
  typeText(text: string): void;
  setScaleMode(mode: ScaleMode): void;
  setInputMode(mode: InputMode): void;
  /** Gives keyboard focus to the remote display. */
  focus(): void;
  /** The current frame as PNG, where the engine can produce it (else the canvas is saved). */
  screenshot?(): Promise<Blob>;
  close(): void;
}

export interface DisplayEngine {
  readonly name: string;
  readonly inputModes: readonly { id: InputMode; label: string }[];
  /** Loads the engine ahead of the first click (off the critical path). */
  warmUp?(): Promise<void>;
  connect(canvas: HTMLCanvasElement, grant: SessionGrant, credentials: Credentials | undefined, callbacks: DisplayCallbacks): DisplaySession;
}

/**
 * How keys reach the remote machine. Physical keys (scancodes) follow the remote side's layout, as a local keyboard
 * would; characters send what the key produces here as Unicode, for text the remote layout cannot express.
 */
export type InputMode = 'scancode' | 'unicode';

export const INPUT_MODES: readonly { id: InputMode; label: string }[] = [
  { id: 'scancode', label: 'Physical keys (remote layout)' },
  { id: 'unicode', label: 'Characters (this layout)' },
];
