// A serial console client for the tests: a `ws` WebSocket to the serial proxy that sends every keystroke as a
// binary frame (as Nova's proxy requires) and collects what comes back as text, with waits on it.
import { WebSocket } from 'ws';

export class SerialClient {
  readonly ws: WebSocket;
  text = '';
  readonly opened: Promise<boolean>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(address: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}) {
    this.ws = new WebSocket(address, opts.protocols ?? ['binary'], { headers: opts.headers });
    this.ws.on('message', (d: Buffer) => (this.text += d.toString('utf8')));
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('unexpected-response', (_req, res) => {
        resolve(false);
        res.resume();
      });
      this.ws.once('error', () => resolve(false));
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  send(bytes: string | Buffer): void {
    this.ws.send(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes, { binary: true });
  }

  /** Waits until the text received since `from` matches; returns that part. */
  async waitFor(pattern: RegExp | string, from = 0, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const part = this.text.slice(from);
      if (typeof pattern === 'string' ? part.includes(pattern) : pattern.test(part)) return part;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; got ${JSON.stringify(part)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Types a line and waits for the next prompt; returns what was printed in between (CRLF line ends). */
  async command(line: string, prompt = /[#$] $/): Promise<string> {
    const from = this.text.length;
    this.send(line + '\r');
    return (await this.waitFor(prompt, from)).replace(prompt, '');
  }

  close(): void {
    this.ws.close();
  }
}
