// Reads a fixed set of pixels of an X display's root window, all in one go: the GetImage requests (1×1, ZPixmap) for
// every point leave in a single write and their replies come back together. bench/x11-pixels.ts asks for one pixel
// per round trip; for a counter polling several points hundreds of times a second that is a wake-up of this process
// and of the X server per point, CPU taken from the very client being measured on a two-core machine, and the points
// would be read further apart in time. Same limits as there: no authentication, little-endian, the first screen,
// 24/32-bit TrueColor.
import { connect } from 'node:net';

export interface X11Points {
  /** The points' pixels now, as [r, g, b, r, g, b, …] in the order given. */
  read(): Promise<Uint8Array>;
  close(): void;
}

const GET_IMAGE = 73;
const Z_PIXMAP = 2;

export async function openX11Points(display: string, points: Array<[number, number]>, timeoutMs = 5000): Promise<X11Points> {
  const n = /^:(\d+)$/.exec(display)?.[1];
  if (n === undefined) throw new Error(`not a local display: ${display}`);
  const sock = connect(`/tmp/.X11-unix/X${n}`);
  let buf: Buffer = Buffer.alloc(0);
  /** Called whenever bytes arrive; the one waiting reader decides whether it has what it needs. */
  let onData: (() => void) | undefined;
  let failed: Error | undefined;
  sock.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    onData?.();
  });
  sock.on('error', (e) => {
    failed ??= e;
    onData?.();
  });
  sock.on('close', () => {
    failed ??= new Error(`the X server of ${display} closed the connection`);
    onData?.();
  });
  /** Waits (bounded) until `size(buf)` says a complete message is there, then takes it. */
  const take = (size: (b: Buffer) => number | undefined): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no answer from X display ${display}`)), timeoutMs);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        onData = undefined;
        if (err) return reject(err);
        const want = size(buf)!;
        const msg = buf.subarray(0, want);
        buf = buf.subarray(want);
        resolve(msg);
      };
      onData = () => {
        if (failed) return finish(failed);
        const want = size(buf);
        if (want !== undefined && buf.length >= want) finish();
      };
      onData();
    });

  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const setup = Buffer.alloc(12);
  setup[0] = 0x6c; // little-endian, protocol 11.0, no authorisation
  setup.writeUInt16LE(11, 2);
  sock.write(setup);
  const reply = await take((b) => (b.length < 8 ? undefined : 8 + b.readUInt16LE(6) * 4));
  if (reply[0] !== 1) {
    sock.destroy();
    throw new Error(`X display ${display} refused the connection`);
  }
  const vendorLen = reply.readUInt16LE(24);
  const formats = reply[29];
  const root = reply.readUInt32LE(40 + Math.ceil(vendorLen / 4) * 4 + formats * 8);

  // The requests never change: built once.
  const requests = Buffer.alloc(points.length * 20);
  points.forEach(([x, y], i) => {
    const o = i * 20;
    requests[o] = GET_IMAGE;
    requests[o + 1] = Z_PIXMAP;
    requests.writeUInt16LE(5, o + 2);
    requests.writeUInt32LE(root, o + 4);
    requests.writeInt16LE(x, o + 8);
    requests.writeInt16LE(y, o + 10);
    requests.writeUInt16LE(1, o + 12);
    requests.writeUInt16LE(1, o + 14);
    requests.writeUInt32LE(0xffffffff, o + 16);
  });
  const rgb = new Uint8Array(points.length * 3);
  /** Size of the message at `at`: a reply is 32 bytes and 4 × its length field more (4 for one pixel), an error 32. */
  const sizeAt = (b: Buffer, at: number) => (b[at] === 1 ? 32 + b.readUInt32LE(at + 4) * 4 : 32);
  /** The whole answer is there once every point's reply (or error) has arrived. */
  const answerSize = (b: Buffer): number | undefined => {
    let at = 0;
    for (let i = 0; i < points.length; i++) {
      if (b.length < at + 32) return undefined;
      at += sizeAt(b, at);
    }
    return at;
  };
  let busy = false;
  return {
    async read() {
      if (busy) throw new Error('one read at a time');
      if (failed) throw failed;
      busy = true;
      try {
        sock.write(requests);
        const answer = await take(answerSize);
        let at = 0;
        for (let i = 0; i < points.length; i++) {
          if (answer[at] !== 1) throw new Error(`X error ${answer[at + 1]} reading pixel ${points[i].join(',')} of ${display}`);
          // 32 bits per pixel, little-endian: B, G, R, unused.
          rgb[3 * i] = answer[at + 34];
          rgb[3 * i + 1] = answer[at + 33];
          rgb[3 * i + 2] = answer[at + 32];
          at += sizeAt(answer, at);
        }
        return rgb;
      } finally {
        busy = false;
      }
    },
    close: () => sock.destroy(),
  };
}
