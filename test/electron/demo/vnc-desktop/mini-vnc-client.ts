// A deliberately small RFB client for tests of the demo VNC servers and the noVNC proxy: written from RFC 6143 and
// rfbproto, sharing no code with the server under test. It decodes Raw, CopyRect and ZRLE into a picture of its
// own, records every rectangle and cut text, and can send input, cut text and SetDesktopSize.
import type { Duplex } from 'node:stream';
import { constants, inflateSync } from 'node:zlib';

export const ENC = { raw: 0, copyRect: 1, zrle: 16, desktopSize: -223, extendedDesktopSize: -308, qemuKey: -258 } as const;

export interface PixelFormat {
  bpp: number;
  depth: number;
  bigEndian: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** The format noVNC asks for: 32 bpp, red in the low byte. */
export const NOVNC_FORMAT: PixelFormat = { bpp: 32, depth: 24, bigEndian: false, redMax: 255, greenMax: 255, blueMax: 255, redShift: 0, greenShift: 8, blueShift: 16 };
/** A 16-bit RGB565 format, as a client on a slow link might ask. */
export const RGB565_FORMAT: PixelFormat = { bpp: 16, depth: 16, bigEndian: false, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
  /** For ExtendedDesktopSize: screens. */
  screens?: number;
}

/** Reads exact lengths from a stream. */
export class Reader {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  ended = false;
  constructor(stream: Duplex) {
    stream.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    const end = () => {
      this.ended = true;
      this.waiter?.();
    };
    stream.on('close', end);
    stream.on('end', end);
    stream.on('error', end);
  }
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`connection ended (wanted ${n} bytes, had ${this.buf.length})`);
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export interface Handshake {
  serverVersion: string;
  securityTypes: number[];
  securityResult: number | null;
  width: number;
  height: number;
  serverFormat: Buffer;
  name: string;
}

/** Version, security None, ClientInit, ServerInit. Throws when the server refuses (with its reason). */
export async function handshake(stream: Duplex, reader: Reader, clientVersion = 'RFB 003.008\n'): Promise<Handshake> {
  const serverVersion = (await reader.read(12)).toString('latin1');
  stream.write(clientVersion);
  let securityTypes: number[];
  let securityResult: number | null = null;
  if (clientVersion === 'RFB 003.003\n') {
    securityTypes = [(await reader.read(4)).readUInt32BE()];
  } else {
    const n = (await reader.read(1))[0];
    if (n === 0) throw new Error(`refused: ${(await reader.read((await reader.read(4)).readUInt32BE())).toString()}`);
    securityTypes = [...(await reader.read(n))];
    stream.write(Buffer.from([1]));
    if (clientVersion === 'RFB 003.008\n') {
      securityResult = (await reader.read(4)).readUInt32BE();
      if (securityResult !== 0) throw new Error(`security failed: ${(await reader.read((await reader.read(4)).readUInt32BE())).toString()}`);
    }
  }
  stream.write(Buffer.from([1]));
  const init = await reader.read(24);
  const name = (await reader.read(init.readUInt32BE(20))).toString('utf8');
  return { serverVersion, securityTypes, securityResult, width: init.readUInt16BE(0), height: init.readUInt16BE(2), serverFormat: init.subarray(4, 20), name };
}

export class MiniVncClient {
  width = 0;
  height = 0;
  name = '';
  /** The picture as 0xRRGGBB per pixel. */
  picture = new Uint32Array(0);
  rects: Rect[] = [];
  updates = 0;
  cutTexts: string[] = [];
  info!: Handshake;
  private pf: PixelFormat;
  private zlibInput: Buffer[] = [];
  private zlibOutputUsed = 0;
  private listeners = new Set<() => void>();
  readonly reader: Reader;
  error: Error | null = null;

  private constructor(
    readonly stream: Duplex,
    pf: PixelFormat,
  ) {
    this.reader = new Reader(stream);
    this.pf = pf;
  }

  /** Connects with the given encodings (in preference order) and pixel format (default: the server's). */
  static async start(stream: Duplex, opts: { encodings?: number[]; pixelFormat?: PixelFormat; version?: string } = {}): Promise<MiniVncClient> {
    const c = new MiniVncClient(stream, opts.pixelFormat ?? NOVNC_FORMAT);
    c.info = await handshake(stream, c.reader, opts.version);
    c.width = c.info.width;
    c.height = c.info.height;
    c.name = c.info.name;
    c.picture = new Uint32Array(c.width * c.height);
    if (opts.pixelFormat) c.setPixelFormat(opts.pixelFormat);
    else c.pf = readFormat(c.info.serverFormat);
    c.setEncodings(opts.encodings ?? [ENC.zrle, ENC.copyRect, ENC.raw, ENC.extendedDesktopSize, ENC.desktopSize, ENC.qemuKey]);
    void c.loop();
    return c;
  }

  setPixelFormat(pf: PixelFormat): void {
    this.pf = pf;
    const m = Buffer.alloc(20);
    m[4] = pf.bpp;
    m[5] = pf.depth;
    m[6] = pf.bigEndian ? 1 : 0;
    m[7] = 1;
    m.writeUInt16BE(pf.redMax, 8);
    m.writeUInt16BE(pf.greenMax, 10);
    m.writeUInt16BE(pf.blueMax, 12);
    m[14] = pf.redShift;
    m[15] = pf.greenShift;
    m[16] = pf.blueShift;
    this.stream.write(m);
  }

  setEncodings(list: number[]): void {
    const m = Buffer.alloc(4 + 4 * list.length);
    m[0] = 2;
    m.writeUInt16BE(list.length, 2);
    list.forEach((e, i) => m.writeInt32BE(e, 4 + 4 * i));
    this.stream.write(m);
  }

  requestUpdate(incremental: boolean, x = 0, y = 0, w = this.width, h = this.height): void {
    const m = Buffer.alloc(10);
    m[0] = 3;
    m[1] = incremental ? 1 : 0;
    m.writeUInt16BE(x, 2);
    m.writeUInt16BE(y, 4);
    m.writeUInt16BE(w, 6);
    m.writeUInt16BE(h, 8);
    this.stream.write(m);
  }

  key(keysym: number, down: boolean): void {
    const m = Buffer.alloc(8);
    m[0] = 4;
    m[1] = down ? 1 : 0;
    m.writeUInt32BE(keysym, 4);
    this.stream.write(m);
  }

  /** Types text with keysym KeyEvents (press and release each character). */
  typeKeysyms(text: string): void {
    for (const ch of text) {
      this.key(ch.codePointAt(0)!, true);
      this.key(ch.codePointAt(0)!, false);
    }
  }

  qemuKey(keycode: number, keysym: number, down: boolean): void {
    const m = Buffer.alloc(12);
    m[0] = 255;
    m[1] = 0;
    m.writeUInt16BE(down ? 1 : 0, 2);
    m.writeUInt32BE(keysym, 4);
    m.writeUInt32BE(keycode, 8);
    this.stream.write(m);
  }

  pointer(x: number, y: number, buttons = 0): void {
    const m = Buffer.alloc(6);
    m[0] = 5;
    m[1] = buttons;
    m.writeUInt16BE(x, 2);
    m.writeUInt16BE(y, 4);
    this.stream.write(m);
  }

  cutText(text: string): void {
    const body = Buffer.from(text, 'latin1');
    const m = Buffer.alloc(8);
    m[0] = 6;
    m.writeUInt32BE(body.length, 4);
    this.stream.write(Buffer.concat([m, body]));
  }

  setDesktopSize(width: number, height: number, screens = [{ id: 0, x: 0, y: 0, w: width, h: height }]): void {
    const m = Buffer.alloc(8 + 16 * screens.length);
    m[0] = 251;
    m.writeUInt16BE(width, 2);
    m.writeUInt16BE(height, 4);
    m[6] = screens.length;
    screens.forEach((s, i) => {
      const o = 8 + 16 * i;
      m.writeUInt32BE(s.id, o);
      m.writeUInt16BE(s.x, o + 4);
      m.writeUInt16BE(s.y, o + 6);
      m.writeUInt16BE(s.w, o + 8);
      m.writeUInt16BE(s.h, o + 10);
    });
    this.stream.write(m);
  }

  /** Resolves once `check()` holds after some message (or now); rejects after `timeoutMs` or when the link ends. */
  waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what} (${this.rects.length} rects, ${this.updates} updates${this.error ? `, error ${this.error.message}` : ''})`));
      }, timeoutMs);
      const listener = () => {
        if (check()) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve();
        } else if (this.error) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          reject(this.error);
        }
      };
      this.listeners.add(listener);
    });
  }

  /** Keeps the picture current: an incremental request after every update. */
  follow(): void {
    this.requestUpdate(false);
    this.listeners.add(() => {
      if (this.followPending) {
        this.followPending = false;
        this.requestUpdate(true);
      }
    });
  }
  private followPending = false;

  close(): void {
    this.stream.destroy();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const type = (await this.reader.read(1))[0];
        if (type === 0) await this.readUpdate();
        else if (type === 3) {
          const head = await this.reader.read(7);
          this.cutTexts.push((await this.reader.read(head.readUInt32BE(3))).toString('latin1'));
        } else if (type === 2) {
          // Bell: nothing to read.
        } else throw new Error(`unexpected server message ${type}`);
        this.notify();
      }
    } catch (err) {
      this.error = err as Error;
      this.notify();
    }
  }

  private async readUpdate(): Promise<void> {
    const head = await this.reader.read(3);
    const count = head.readUInt16BE(1);
    for (let i = 0; i < count; i++) {
      const r = await this.reader.read(12);
      const rect: Rect = { x: r.readUInt16BE(0), y: r.readUInt16BE(2), w: r.readUInt16BE(4), h: r.readUInt16BE(6), encoding: r.readInt32BE(8) };
      this.rects.push(rect);
      await this.readRect(rect);
    }
    this.updates++;
    this.followPending = true;
  }

  private async readRect(r: Rect): Promise<void> {
    const bpp = this.pf.bpp / 8;
    switch (r.encoding) {
      case ENC.raw: {
        const data = await this.reader.read(r.w * r.h * bpp);
        for (let i = 0; i < r.w * r.h; i++) this.put(r.x + (i % r.w), r.y + Math.floor(i / r.w), this.pixel(data, i * bpp, bpp));
        return;
      }
      case ENC.copyRect: {
        const s = await this.reader.read(4);
        const sx = s.readUInt16BE(0);
        const sy = s.readUInt16BE(2);
        const copy = new Uint32Array(r.w * r.h);
        for (let y = 0; y < r.h; y++) for (let x = 0; x < r.w; x++) copy[y * r.w + x] = this.picture[(sy + y) * this.width + sx + x];
        for (let y = 0; y < r.h; y++) for (let x = 0; x < r.w; x++) this.put(r.x + x, r.y + y, copy[y * r.w + x]);
        return;
      }
      case ENC.zrle:
        return this.readZrle(r);
      case ENC.desktopSize:
        this.resize(r.w, r.h);
        return;
      case ENC.extendedDesktopSize: {
        const n = (await this.reader.read(4))[0];
        await this.reader.read(16 * n);
        r.screens = n;
        // A failed request (status in y) leaves the size as it is.
        if (r.y === 0) this.resize(r.w, r.h);
        return;
      }
      case ENC.qemuKey:
        return;
      default:
        throw new Error(`unexpected encoding ${r.encoding}`);
    }
  }

  private resize(w: number, h: number): void {
    if (w === this.width && h === this.height) return;
    this.width = w;
    this.height = h;
    this.picture = new Uint32Array(w * h);
  }

  /** ZRLE: the zlib stream is one per connection; inflating everything so far and taking the new tail keeps it simple. */
  private async readZrle(r: Rect): Promise<void> {
    const length = (await this.reader.read(4)).readUInt32BE();
    this.zlibInput.push(await this.reader.read(length));
    const all = inflateSync(Buffer.concat(this.zlibInput), { finishFlush: constants.Z_SYNC_FLUSH });
    const data = all.subarray(this.zlibOutputUsed);
    this.zlibOutputUsed = all.length;
    const fitsLow = ((this.pf.redMax << this.pf.redShift) | (this.pf.greenMax << this.pf.greenShift) | (this.pf.blueMax << this.pf.blueShift)) >>> 0 <= 0xffffff;
    const cp = this.pf.bpp === 32 && this.pf.depth <= 24 && fitsLow && !this.pf.bigEndian ? 3 : this.pf.bpp / 8;
    const cpixel = (o: number) => (cp === 3 ? data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) : this.value(data, o, cp));
    let o = 0;
    for (let ty = r.y; ty < r.y + r.h; ty += 64) {
      for (let tx = r.x; tx < r.x + r.w; tx += 64) {
        const tw = Math.min(64, r.x + r.w - tx);
        const th = Math.min(64, r.y + r.h - ty);
        const n = tw * th;
        const pixels: number[] = [];
        const sub = data[o++];
        if (sub === 0) {
          for (let i = 0; i < n; i++, o += cp) pixels.push(cpixel(o));
        } else if (sub === 1) {
          const v = cpixel(o);
          o += cp;
          for (let i = 0; i < n; i++) pixels.push(v);
        } else if (sub >= 2 && sub <= 16) {
          const palette: number[] = [];
          for (let i = 0; i < sub; i++, o += cp) palette.push(cpixel(o));
          const bits = sub === 2 ? 1 : sub <= 4 ? 2 : 4;
          for (let y = 0; y < th; y++) {
            let used = 8;
            let byte = 0;
            for (let x = 0; x < tw; x++) {
              if (used === 8) {
                byte = data[o++];
                used = 0;
              }
              pixels.push(palette[(byte >> (8 - bits - used)) & ((1 << bits) - 1)]);
              used += bits;
            }
          }
        } else if (sub === 128 || sub >= 130) {
          const palette: number[] = [];
          if (sub >= 130) for (let i = 0; i < sub - 128; i++, o += cp) palette.push(cpixel(o));
          while (pixels.length < n) {
            let v: number;
            if (sub === 128) {
              v = cpixel(o);
              o += cp;
            } else {
              const idx = data[o++];
              v = palette[idx & 127];
              if (idx < 128) {
                pixels.push(v);
                continue;
              }
            }
            // The run length: (length - 1) as bytes summed until one is below 255.
            let run = 0;
            let b: number;
            do {
              b = data[o++];
              run += b;
            } while (b === 255);
            for (let i = 0; i <= run; i++) pixels.push(v);
          }
        } else throw new Error(`bad ZRLE subencoding ${sub}`);
        if (pixels.length !== n) throw new Error(`ZRLE tile decoded ${pixels.length} pixels, wanted ${n}`);
        for (let i = 0; i < n; i++) this.put(tx + (i % tw), ty + Math.floor(i / tw), this.toRgb(pixels[i]));
      }
    }
    if (o !== data.length) throw new Error(`ZRLE rectangle had ${data.length - o} bytes left over`);
  }

  private value(data: Buffer, o: number, bytes: number): number {
    if (bytes === 1) return data[o];
    if (bytes === 2) return this.pf.bigEndian ? data.readUInt16BE(o) : data.readUInt16LE(o);
    return this.pf.bigEndian ? data.readUInt32BE(o) : data.readUInt32LE(o);
  }

  private pixel(data: Buffer, o: number, bytes: number): number {
    return this.toRgb(this.value(data, o, bytes));
  }

  /** A pixel value of the client's format as 0xRRGGBB (channels scaled back to 8 bits). */
  private toRgb(v: number): number {
    const { redMax, greenMax, blueMax, redShift, greenShift, blueShift } = this.pf;
    const c = (shift: number, max: number) => Math.round((((v >>> shift) & max) * 255) / max);
    return (c(redShift, redMax) << 16) | (c(greenShift, greenMax) << 8) | c(blueShift, blueMax);
  }

  private put(x: number, y: number, rgb: number): void {
    if (x < this.width && y < this.height) this.picture[y * this.width + x] = rgb;
  }
}

function readFormat(b: Buffer): PixelFormat {
  return {
    bpp: b[0],
    depth: b[1],
    bigEndian: b[2] !== 0,
    redMax: b.readUInt16BE(4),
    greenMax: b.readUInt16BE(6),
    blueMax: b.readUInt16BE(8),
    redShift: b[10],
    greenShift: b[11],
    blueShift: b[12],
  };
}

/** A B,G,R,X framebuffer's pixels as 0xRRGGBB, reduced to what the given format keeps (to compare pictures). */
export function expectedPicture(fb: Buffer, width: number, height: number, pf: PixelFormat = NOVNC_FORMAT): Uint32Array {
  const out = new Uint32Array(width * height);
  const q = (v: number, max: number) => Math.round((Math.round((v * max) / 255) * 255) / max);
  for (let i = 0; i < width * height; i++) {
    out[i] = (q(fb[i * 4 + 2], pf.redMax) << 16) | (q(fb[i * 4 + 1], pf.greenMax) << 8) | q(fb[i * 4], pf.blueMax);
  }
  return out;
}
