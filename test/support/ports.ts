// Free loopback ports for the servers the suites start. Each suite has its own range, so a server left over from
// another suite (or a crashed run) is never mistaken for this one's.
import { createServer } from 'node:net';

export interface PortRange {
  first: number;
  last: number;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export interface PortPicker {
  /** A free port of the range not handed out before, from a random offset so consecutive runs do not reuse one. */
  pick(): Promise<number>;
  /** The server on `port` stopped: the port may be handed out again. */
  release(port: number): void;
}

export function portPicker(range: PortRange): PortPicker {
  const used = new Set<number>();
  const pick = async () => {
    const span = range.last - range.first + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = range.first + ((start + i) % span);
      if (used.has(port)) continue;
      if (await portFree(port)) {
        used.add(port);
        return port;
      }
    }
    throw new Error(`no free port in ${range.first}-${range.last}`);
  };
  return { pick, release: (port) => used.delete(port) };
}
