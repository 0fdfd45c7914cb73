// Reads single pixels of an X display's root window over the X11 protocol (GetImage, 1×1), so a benchmark can poll
// the screen every few milliseconds without spawning `xwd`/`import` (each of which dumps the whole screen and costs
// tens of milliseconds of CPU on the cores the measured client needs). Only what that takes: no authentication
// (our Xvfb runs without -auth), little-endian requests, the first screen, 24/32-bit TrueColor pixels.
import { connect } from 'node:net';

export interface X11Pixels {
  /** 0xRRGGBB of the root window's pixel at (x, y). */
  pixel(x: number, y: number): Promise<number>;
  close(): void;
}

const GET_IMAGE = 73;
const Z_PIXMAP = 2;

export async function openX11Pixels(display: string, timeoutMs = 5000): Promise<X11Pixels> {
  const n = /^:(\d+)$/.exec(display)?.[1];
  if (n === undefined) throw new Error(`not a local display: ${display}`);
  const sock = connect(`/tmp/.X11-unix/X${n}`);
  let buf = Buffer.alloc(0);
  let want: { bytes: (b: Buffer) => number | undefined; resolve: (b: Buffer) => void } | undefined;
  let failed: Error | undefined;
  const pump = () => {
    if (!want) return;
    const size = want.bytes(buf);
    if (size === undefined || buf.length < size) return;
    const msg = buf.subarray(0, size);
    buf = buf.subarray(size);
    const w = want;
    want = undefined;
    w.resolve(msg);
  };
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    pump();
  });
  const errored = new Promise<never>((_, reject) => {
    sock.once('error', (e) => reject((failed = e)));
    sock.once('close', () => reject((failed ??= new Error('the X server closed the connection'))));
  });
  errored.catch(() => {});
  /** Waits (bounded) for one message whose full size `bytes` tells from its first bytes. */
  const read = (bytes: (b: Buffer) => number | undefined): Promise<Buffer> => {
    if (failed) return Promise.reject(failed);
    let timer: NodeJS.Timeout | undefined;
    const got = new Promise<Buffer>((resolve) => {
      want = { bytes, resolve };
      pump();
    });
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from X display ${display}`)), timeoutMs)));
    return Promise.race([got, errored, timeout]).finally(() => clearTimeout(timer));
  };

  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  // Connection setup: byte order 'l', protocol 11.0, no authorisation.
  const setup = Buffer.alloc(12);
  setup[0] = 0x6c;
  setup.writeUInt16LE(11, 2);
  sock.write(setup);
  const reply = await read((b) => (b.length < 8 ? undefined : 8 + b.readUInt16LE(6) * 4));
  if (reply[0] !== 1) {
    sock.destroy();
    throw new Error(`X display ${display} refused the connection: ${reply.subarray(8, 8 + reply[1]).toString('latin1')}`);
  }
  const vendorLen = reply.readUInt16LE(24);
  const formats = reply[29];
  const screenAt = 40 + Math.ceil(vendorLen / 4) * 4 + formats * 8;
  const root = reply.readUInt32LE(screenAt);

  let queue = Promise.resolve(0);
  const pixel = (x: number, y: number): Promise<number> => {
    // One request at a time: replies are matched to requests by order.
    const p = queue.then(async () => {
      const req = Buffer.alloc(20);
      req[0] = GET_IMAGE;
      req[1] = Z_PIXMAP;
      req.writeUInt16LE(5, 2);
      req.writeUInt32LE(root, 4);
      req.writeInt16LE(x, 8);
      req.writeInt16LE(y, 10);
      req.writeUInt16LE(1, 12);
      req.writeUInt16LE(1, 14);
      req.writeUInt32LE(0xffffffff, 16);
      sock.write(req);
      const r = await read((b) => (b.length < 8 ? undefined : b[0] === 1 ? 32 + b.readUInt32LE(4) * 4 : 32));
      if (r[0] !== 1) throw new Error(`X error ${r[1]} reading pixel ${x},${y} of ${display}`);
      // ZPixmap, 32 bits per pixel, little-endian: B, G, R, unused.
      return (r[34] << 16) | (r[33] << 8) | r[32];
    });
    queue = p.catch(() => 0);
    return p;
  };
  return { pixel, close: () => sock.destroy() };
}
