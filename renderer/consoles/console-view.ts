import type { Credentials, SessionGrant } from '../../electron/common/contract.ts';

/**
 * What a console tab needs from a protocol backend (RDP, VNC, serial; SPICE would be one more folder beside them).
 * The backend draws straight into the element it is given (frames never pass through React state or IPC), turns
 * DOM input into its protocol's input, and reports state changes; the tab builds its toolbar from `capabilities`
 * and keeps host key, focus and status handling in one place for every protocol.
 */
export type ScaleMode = 'fit' | 'actual' | 'dynamic';

/**
 * How keys reach the remote machine. Physical keys (scancodes) follow the remote side's layout, as a local keyboard
 * would; characters send what the key produces here, for text the remote layout cannot express.
 */
export type InputMode = 'scancode' | 'unicode';

export const INPUT_MODES: readonly { id: InputMode; label: string }[] = [
  { id: 'scancode', label: 'Physical keys (remote layout)' },
  { id: 'unicode', label: 'Characters (this layout)' },
];

/** What the toolbar offers for a backend. */
export interface ConsoleCapabilities {
  scaleModes: readonly ScaleMode[];
  inputModes: readonly { id: InputMode; label: string }[];
  ctrlAltDel: boolean;
  /** Type the local clipboard as keystrokes. */
  typeText: boolean;
  screenshot: boolean;
  /** The session may ask for a user name and password (RDP logon; VNC password). */
  credentials: boolean;
  /** Copy the selected text and paste this clipboard's text (a text console: the page holds the text). Absent: no. */
  copyPaste?: boolean;
  /** Search what the console printed (its scrollback). Absent: no. */
  search?: boolean;
}

export interface ConsoleCallbacks {
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

export interface ConsoleSession {
  ctrlAltDel(): void;
  typeText(text: string): void;
  setScaleMode(mode: ScaleMode): void;
  setInputMode(mode: InputMode): void;
  /** Gives keyboard focus to the remote display. */
  focus(): void;
  /** The current frame as PNG. */
  screenshot(): Promise<Blob>;
  /** With `copyPaste`: the selection to this clipboard (failures go to onProblem). */
  copy?(): void;
  /** With `copyPaste`: this clipboard's text into the console, as a paste (failures go to onProblem). */
  paste?(): void;
  /** With `search`: shows the search box (or focuses it). */
  openSearch?(): void;
  close(): void;
}

/** Where a backend draws: an empty element it fills, and the label its focusable display element carries. */
export interface ConsoleMount {
  container: HTMLElement;
  label: string;
}

export interface ConsoleBackend<G extends SessionGrant = SessionGrant> {
  readonly protocol: G['protocol'];
  readonly capabilities: ConsoleCapabilities;
  /** Loads the backend's code ahead of the first click (off the critical path). */
  warmUp?(): Promise<void>;
  connect(mount: ConsoleMount, grant: G, credentials: Credentials | undefined, callbacks: ConsoleCallbacks): ConsoleSession;
}
