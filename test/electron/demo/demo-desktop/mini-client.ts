// A deliberately small RDP client for tests of the demo servers: it writes its own PDUs (sharing no code with the
// server under test) and records what comes back. Only what the tests need: TLS security, no channels.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';

function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
function tpkt(body: Buffer): Buffer {
  const h = Buffer.from([3, 0, 0, 0]);
  h.writeUInt16BE(body.length + 4, 2);
  return Buffer.concat([h, body]);
}
function dataTpdu(mcs: Buffer): Buffer {
  return tpkt(Buffer.concat([Buffer.from([2, 0xf0, 0x80]), mcs]));
}
function berLen(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
}
function tlv(tag: number[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(tag), berLen(body.length), body]);
}
function perLen(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x80 | (n >> 8), n & 0xff]);
}

export function connectionRequest(protocols: number): Buffer {
  const cookie = Buffer.from('Cookie: mstshash=test\r\n', 'latin1');
  const neg = Buffer.concat([Buffer.from([1, 0]), u16le(8), u32le(protocols)]);
  const body = Buffer.concat([Buffer.from([0xe0, 0, 0, 0, 0, 0]), cookie, neg]);
  return tpkt(Buffer.concat([Buffer.from([body.length]), body]));
}

/** Pre-connection PDU v2; like FreeRDP, the character count includes two terminating NULs. */
export function preconnectionPdu(id: string): Buffer {
  const str = Buffer.from(id + '\0\0', 'utf16le');
  const head = Buffer.alloc(18);
  head.writeUInt32LE(18 + str.length, 0);
  head.writeUInt32LE(0, 4);
  head.writeUInt32LE(2, 8);
  head.writeUInt32LE(0, 12);
  head.writeUInt16LE(id.length + 2, 16);
  return Buffer.concat([head, str]);
}

/** Client core data's early capability flags: error info PDUs, and with `skipJoins` the offer to skip channel joins. */
export function connectInitial(width: number, height: number, skipJoins = false): Buffer {
  const core = Buffer.alloc(216);
  core.writeUInt16LE(0xc001, 0);
  core.writeUInt16LE(216, 2);
  core.writeUInt32LE(0x00080004, 4);
  core.writeUInt16LE(width, 8);
  core.writeUInt16LE(height, 10);
  core.writeUInt16LE(0xca01, 12);
  core.writeUInt16LE(0xaa03, 14);
  core.writeUInt32LE(0x409, 16);
  Buffer.from('tester', 'utf16le').copy(core, 24);
  core.writeUInt32LE(4, 56);
  core.writeUInt16LE(0xca01, 132);
  core.writeUInt16LE(32, 140);
  core.writeUInt16LE(0x000f, 142);
  core.writeUInt16LE(0x0001 | (skipJoins ? 0x0800 : 0), 144);
  core.writeUInt32LE(1, 212);
  const blocks = core;
  const ccr = Buffer.concat([Buffer.from([0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00]), Buffer.from('Duca'), perLen(blocks.length), blocks]);
  const gcc = Buffer.concat([Buffer.from([0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01]), perLen(ccr.length), ccr]);
  const params = (vals: number[]) =>
    tlv([0x30], Buffer.concat(vals.map((v) => (v < 0x80 ? tlv([0x02], Buffer.from([v])) : tlv([0x02], Buffer.from([v >> 8, v & 0xff]))))));
  const body = Buffer.concat([
    tlv([0x04], Buffer.from([1])),
    tlv([0x04], Buffer.from([1])),
    tlv([0x01], Buffer.from([0xff])),
    params([34, 2, 0, 1, 0, 1, 0xffff, 2]),
    params([1, 1, 1, 1, 0, 1, 0x420, 2]),
    params([0xffff, 0xfc17, 0xffff, 1, 0, 1, 0xffff, 2]),
    tlv([0x04], gcc),
  ]);
  return dataTpdu(tlv([0x7f, 0x65], body));
}

export function sendData(channel: number, data: Buffer, userId = 1004): Buffer {
  const h = Buffer.from([25 << 2, 0, 0, 0, 0, 0x70]);
  h.writeUInt16BE(userId - 1001, 1);
  h.writeUInt16BE(channel, 3);
  return dataTpdu(Buffer.concat([h, perLen(data.length), data]));
}

function shareControl(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16le(body.length + 6), u16le(type | 0x10), u16le(1004), body]);
}
/**
 * Confirm Active (MS-RDPBCGR 2.2.1.13.2.1). With `frameAcks`, it offers frame markers (surface commands capability set,
 * 2.2.7.2.9) and acknowledgements of up to that many frames (frame acknowledge capability set, MS-RDPRFX 2.2.1.3);
 * without, no capability set at all.
 */
export function confirmActive(frameAcks?: number): Buffer {
  const caps =
    frameAcks === undefined
      ? []
      : [
          Buffer.concat([u16le(0x1c), u16le(12), u32le(0x10), u32le(0)]), // SURFCMDS_FRAMEMARKER
          Buffer.concat([u16le(0x1e), u16le(8), u32le(frameAcks)]),
        ];
  const combined = Buffer.concat(caps);
  const source = Buffer.from('TEST');
  return shareControl(3, Buffer.concat([u32le(0x103ea), u16le(1002), u16le(source.length), u16le(combined.length + 4), source, u16le(caps.length), u16le(0), combined]));
}

function shareData(type2: number, payload: Buffer): Buffer {
  const h = Buffer.concat([u32le(0x103ea), Buffer.from([0, 1]), u16le(payload.length + 4), Buffer.from([type2, 0]), u16le(0)]);
  return shareControl(7, Buffer.concat([h, payload]));
}

export interface Received {
  frames: Buffer[];
  bytes: number;
}

/** Cuts TPKT and fast-path frames from the server's stream. */
export function splitFrames(buf: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 4) break;
    let len: number;
    if (buf[off] === 3) len = buf.readUInt16BE(off + 2);
    else {
      len = buf[off + 1];
      if (len & 0x80) len = ((len & 0x7f) << 8) | buf[off + 2];
    }
    if (buf.length - off < len) break;
    frames.push(buf.subarray(off, off + len));
    off += len;
  }
  return { frames, rest: buf.subarray(off) };
}

export interface MiniClient {
  socket: TLSSocket;
  raw: Socket;
  /** Every whole frame received after TLS. */
  frames: Buffer[];
  /** The early capability flags of the server's core data (in its Connect-Response). */
  serverEarlyFlags: number;
  /** How many Channel Join requests the client sent (none when the server agreed to skip them). */
  joinsSent: number;
  waitFor(pred: (f: Buffer) => boolean, timeoutMs?: number): Promise<Buffer>;
  /** Sends a slow-path share data PDU (pduType2 and its payload) on the I/O channel. */
  sendShareData(type2: number, payload: Buffer): void;
  close(): void;
}

/** Connects with X.224 + TLS and runs the handshake up to the Font List; returns with the session active. */
export async function connectMiniClient(
  port: number,
  size = { width: 640, height: 480 },
  /** Connect like a Hyper-V console client: pre-connection PDU with this VM id, TLS, then straight MCS. */
  vmconnect?: string,
  /**
   * skipJoins: offer to skip channel joins, and skip them if the server agrees. frameAcks: offer frame markers and
   * acknowledgements of up to this many frames (the client still acknowledges only when a test says so).
   */
  opts: { skipJoins?: boolean; frameAcks?: number } = {},
): Promise<MiniClient> {
  const raw = netConnect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => raw.once('connect', res).once('error', rej));
  if (vmconnect !== undefined) {
    raw.write(preconnectionPdu(vmconnect));
  } else {
    raw.write(connectionRequest(1));
    const cc = await new Promise<Buffer>((res, rej) => {
      raw.once('data', res);
      raw.once('error', rej);
    });
    if (cc[11] !== 2) throw new Error(`server refused TLS: ${cc.toString('hex')}`);
  }
  const socket = tlsConnect({ socket: raw, rejectUnauthorized: false });
  await new Promise<void>((res, rej) => socket.once('secureConnect', res).once('error', rej));
  const frames: Buffer[] = [];
  let pending = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on('data', (d: Buffer) => {
    const { frames: fs, rest } = splitFrames(Buffer.concat([pending, d]));
    pending = Buffer.from(rest);
    frames.push(...fs);
    waiters.splice(0).forEach((w) => w());
  });
  socket.on('error', () => {});
  const waitFor = async (pred: (f: Buffer) => boolean, timeoutMs = 10000): Promise<Buffer> => {
    let seen = 0;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; seen < frames.length; seen++) if (pred(frames[seen])) return frames[seen];
      if (Date.now() > deadline || socket.destroyed) throw new Error('expected frame did not arrive');
      await new Promise<void>((res) => {
        waiters.push(res);
        setTimeout(res, 200);
      });
    }
  };
  socket.write(connectInitial(size.width, size.height, opts.skipJoins));
  const response = await waitFor((f) => f[7] === 0x7f && f[8] === 0x66);
  // TS_UD_SC_CORE: type 0x0c01, length 16; its early capability flags are its last four bytes.
  const core = response.indexOf(Buffer.from([0x01, 0x0c, 0x10, 0x00]));
  if (core < 0) throw new Error('no server core data in the Connect-Response');
  const serverEarlyFlags = response.readUInt32LE(core + 12);
  const skip = Boolean(opts.skipJoins) && (serverEarlyFlags & 0x0008) !== 0;
  let joinsSent = 0;
  socket.write(dataTpdu(Buffer.from([1 << 2, 1, 0, 1, 0])));
  socket.write(dataTpdu(Buffer.from([10 << 2])));
  const auc = await waitFor((f) => f[0] === 3 && f[7] >> 2 === 11);
  const userId = auc.readUInt16BE(9) + 1001;
  for (const ch of skip ? [] : [userId, 1003]) {
    joinsSent++;
    const j = Buffer.from([14 << 2, 0, 0, 0, 0]);
    j.writeUInt16BE(userId - 1001, 1);
    j.writeUInt16BE(ch, 3);
    socket.write(dataTpdu(j));
    await waitFor((f) => f[0] === 3 && f[7] >> 2 === 15 && f.readUInt16BE(f.length - 2) === ch);
  }
  // Client Info: only the security header flag matters to the server; the packet body is a minimal one.
  socket.write(sendData(1003, Buffer.concat([u16le(0x0040), u16le(0), Buffer.alloc(18 + 10)]), userId));
  await waitFor((f) => f.includes(Buffer.from([0xff, 0x03, 0x10, 0x00, 0x07, 0, 0, 0])));
  await waitFor((f) => f.includes(Buffer.from('RDP\0', 'latin1')));
  socket.write(sendData(1003, confirmActive(opts.frameAcks), userId));
  socket.write(sendData(1003, shareData(31, Buffer.concat([u16le(1), u16le(1002)])), userId));
  socket.write(sendData(1003, shareData(20, Buffer.concat([u16le(4), u16le(0), u32le(0)])), userId));
  socket.write(sendData(1003, shareData(20, Buffer.concat([u16le(1), u16le(0), u32le(0)])), userId));
  socket.write(sendData(1003, shareData(39, Buffer.concat([u16le(0), u16le(0), u16le(3), u16le(0x32)])), userId));
  await waitFor((f) => f[0] === 3 && f.includes(Buffer.from([40, 0])));
  const sendShareData = (type2: number, payload: Buffer) => socket.write(sendData(1003, shareData(type2, payload), userId));
  return { socket, raw, frames, serverEarlyFlags, joinsSent, waitFor, sendShareData, close: () => socket.destroy() };
}

/** Fast-path input PDU with one Unicode key press per character. */
export function unicodeInput(text: string): Buffer {
  const events = Buffer.concat([...text].map((c) => Buffer.concat([Buffer.from([4 << 5]), u16le(c.charCodeAt(0))])));
  const len = events.length + 3;
  if (text.length > 15) throw new Error('at most 15 events fit in the header count');
  return Buffer.concat([Buffer.from([text.length << 2, 0x80 | (len >> 8), len & 0xff]), events]);
}

/** Slow-path input payload with one key press and release per Unicode character. */
export function slowPathUnicode(text: string): Buffer {
  const events = [...text].flatMap((c) =>
    [0, 0x8000].map((flags) => Buffer.concat([u32le(0), u16le(0x0005), u16le(flags), u16le(c.charCodeAt(0)), u16le(0)])),
  );
  return Buffer.concat([u16le(events.length), u16le(0), ...events]);
}

export function u16(v: number): Buffer {
  return u16le(v);
}

export interface DecodedRect {
  x: number;
  y: number;
  w: number;
  h: number;
  bpp: number;
  flags: number;
  data: Buffer;
}

/** The updates of a fast-path output frame (unfragmented, uncompressed): update code and body. */
function* fastPathUpdates(frame: Buffer): Generator<{ code: number; body: Buffer }> {
  if (frame[0] === 3) return;
  let off = frame[1] & 0x80 ? 3 : 2;
  while (off < frame.length) {
    const code = frame[off] & 0x0f;
    const size = frame.readUInt16LE(off + 1);
    yield { code, body: frame.subarray(off + 3, off + 3 + size) };
    off += 3 + size;
  }
}

/** Frame markers (TS_FRAME_MARKER surface commands) in a fast-path output frame, in order. */
export function frameMarkers(frame: Buffer): Array<{ action: 'begin' | 'end'; id: number }> {
  const markers: Array<{ action: 'begin' | 'end'; id: number }> = [];
  for (const { code, body } of fastPathUpdates(frame)) {
    if (code !== 4) continue;
    for (let p = 0; p + 2 <= body.length; p += 8) {
      const cmdType = body.readUInt16LE(p);
      if (cmdType !== 0x0004) throw new Error(`surface command 0x${cmdType.toString(16)} is not a frame marker`);
      markers.push({ action: body.readUInt16LE(p + 2) === 0 ? 'begin' : 'end', id: body.readUInt32LE(p + 4) });
    }
  }
  return markers;
}

/** Frame Acknowledge PDU payload (MS-RDPRFX 2.2.2.3), for sendShareData(56, …). */
export function frameAcknowledge(id: number): Buffer {
  return u32le(id);
}

/** Bitmap rectangles in a fast-path output frame (unfragmented bitmap updates only). */
export function bitmapRects(frame: Buffer): DecodedRect[] {
  const rects: DecodedRect[] = [];
  for (const { code, body } of fastPathUpdates(frame)) {
    if (code !== 1) continue;
    const n = body.readUInt16LE(2);
    let p = 4;
    for (let i = 0; i < n; i++) {
      const [left, top, right, bottom, w, h, bpp, flags, len] = Array.from({ length: 9 }, (_, k) => body.readUInt16LE(p + k * 2));
      p += 18;
      rects.push({ x: left, y: top, w: right - left + 1, h: bottom - top + 1, bpp, flags, data: body.subarray(p, p + len) });
      if (w !== right - left + 1 || h !== bottom - top + 1) throw new Error('bitmap size differs from destination');
      p += len;
    }
  }
  return rects;
}
