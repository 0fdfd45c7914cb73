/** What every console backend does the same way with this machine's keyboard and clipboard. */

/** A key that produces one printable character (no shortcut modifiers held). */
export const isCharacter = (e: KeyboardEvent) => [...e.key].length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey;

/** The sentence of whatever a promise rejected with. */
export const reason = (err: unknown) => (err instanceof Error && err.message ? err.message : String(err));

/**
 * The clipboard both ways for one session. It remembers the last text exchanged either way, so entering the display
 * does not paste the remote machine's own copy back into it; failures go to the tab (onProblem), never nowhere.
 */
export class ClipboardSync {
  private inSync: string | undefined;

  constructor(private readonly onProblem: (message: string) => void) {}

  /**
   * Entering the display hands this clipboard's text to the remote machine, only where reading is already granted
   * (Electron grants it to the app), so a click never raises a permission prompt.
   */
  handOver(send: ((text: string) => void | Promise<void>) | undefined): void {
    if (!send) return; // no session yet: nothing to hand to
    const run = async () => {
      const permission = await navigator.permissions?.query({ name: 'clipboard-read' as PermissionName });
      if (permission?.state !== 'granted') return;
      const text = await navigator.clipboard.readText();
      if (!text || text === this.inSync) return;
      this.inSync = text;
      await send(text);
    };
    run().catch((err: unknown) => this.onProblem(`This clipboard was not handed to the remote machine: ${reason(err)}`));
  }

  /** Text the remote machine copied lands on this clipboard (where the page may write it). */
  received(text: string): void {
    this.inSync = text;
    navigator.clipboard?.writeText(text).catch((err: unknown) => this.onProblem(`Text copied on the remote machine did not reach this clipboard: ${reason(err)}`));
  }
}
