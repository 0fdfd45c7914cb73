/**
 * Console output waiting for the terminal. A browser WebSocket cannot be paused, so a console that prints faster
 * than xterm.js parses (a `cat` of a huge file, `yes`) would pile up text in the page without end. This holds at
 * most `maxChars`; past that the oldest output is dropped, and the next text taken starts with a one-line notice
 * saying how much was lost. The newest output is what the user wants to see anyway.
 */
export class OutputQueue {
  private chunks: string[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly maxChars: number) {}

  /** Characters waiting (the notice aside). */
  get pending(): number {
    return this.size;
  }

  push(text: string): void {
    if (!text) return;
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.maxChars) {
      const oldest = this.chunks[0];
      const excess = this.size - this.maxChars;
      if (oldest.length <= excess) {
        this.chunks.shift();
        this.size -= oldest.length;
        this.dropped += oldest.length;
      } else {
        const cut = cutAfterPair(oldest, excess); // drop one more rather than leave half a character
        this.chunks[0] = oldest.slice(cut);
        this.size -= cut;
        this.dropped += cut;
      }
    }
  }

  /** Up to `max` characters (a notice first if output was dropped since the last take), or undefined when empty. */
  take(max: number): string | undefined {
    if (this.size === 0 && this.dropped === 0) return undefined;
    const parts: string[] = [];
    if (this.dropped > 0) {
      parts.push(droppedNotice(this.dropped));
      this.dropped = 0;
    }
    let room = max;
    while (room > 0 && this.chunks.length > 0) {
      const next = this.chunks[0];
      if (next.length <= room) {
        parts.push(next);
        this.chunks.shift();
        room -= next.length;
        this.size -= next.length;
      } else {
        const before = cutBeforePair(next, room);
        const cut = before > 0 ? before : cutAfterPair(next, room); // a lone pair that does not fit goes whole
        parts.push(next.slice(0, cut));
        this.chunks[0] = next.slice(cut);
        this.size -= cut;
        room = 0;
      }
    }
    return parts.join('');
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
    this.dropped = 0;
  }
}

function splitsPair(text: string, at: number): boolean {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff;
}

/** `at`, or one less when cutting there would split a surrogate pair (may be 0). */
function cutBeforePair(text: string, at: number): number {
  return splitsPair(text, at) ? at - 1 : at;
}

/** `at`, or one more when cutting there would split a surrogate pair. */
function cutAfterPair(text: string, at: number): number {
  return splitsPair(text, at) ? at + 1 : at;
}

/**
 * CAN (0x18) first: it ends any escape sequence the cut left open, so the notice prints as text; then plain
 * attributes on a line of its own, in reverse video.
 */
export function droppedNotice(chars: number): string {
  const amount = chars >= 1 << 20 ? `${(chars / (1 << 20)).toFixed(1)} MB` : chars >= 1 << 10 ? `${Math.round(chars / (1 << 10))} kB` : `${chars} bytes`;
  return `\x18\x1b[0m\r\n\x1b[7m[about ${amount} of console output dropped: it came faster than this tab could show it]\x1b[0m\r\n`;
}
