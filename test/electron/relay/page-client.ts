import WebSocket from 'ws';

/**
 * A Node stand-in for the page's side of the relay (noVNC's WebSocket), and a tiny RFB client written from RFC 6143
 * for the handshake up to ServerInit with security type None.
 */

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface PageSocket {
  ws: WebSocket;
  /** The subprotocol the relay selected. */
  protocol: string;
  /** Exactly `n` bytes (bounded wait); rejects with the close if the relay closes first. */
  read(n: number, timeoutMs?: number): Promise<Buffer>;
  send(bytes: Buffer | string): void;
  /** Resolves when the relay closes the socket. */
  closed: Promise<CloseInfo>;
  /** Bytes received so far (read or not). */
  received(): number;
  /** Whether every message so far was binary. */
  allBinary(): boolean;
  close(): Promise<void>;
}

export class RelayClosed extends Error {
  constructor(readonly close: CloseInfo) {
    super(`the relay closed the page's socket: ${close.code} ${close.reason}`);
  }
}

/** Opens a relay URL as the page does (subprotocol `binary` unless told otherwise). Rejects when the upgrade is refused. */
export function openPage(url: string, opts: { origin?: string; protocols?: string[] } = {}): Promise<PageSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? ['binary'], opts.origin ? { origin: opts.origin } : {});
    ws.binaryType = 'nodebuffer';
    let buffered = Buffer.alloc(0);
    let total = 0;
    let binary = true;
    let waiter: (() => void) | undefined;
    let closeInfo: CloseInfo | undefined;
    const closed = new Promise<CloseInfo>((r) =>
      ws.once('close', (code, reason) => {
        closeInfo = { code, reason: reason.toString() };
        waiter?.();
        r(closeInfo);
      }),
    );
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) binary = false;
      buffered = Buffer.concat([buffered, data]);
      total += data.length;
      waiter?.();
    });
    ws.once('error', (err) => reject(err));
    ws.once('open', () =>
      resolve({
        ws,
        protocol: ws.protocol,
        received: () => total,
        allBinary: () => binary,
        closed,
        send: (bytes) => ws.send(bytes, { binary: typeof bytes !== 'string' }),
        read: (n, timeoutMs = 20_000) =>
          new Promise<Buffer>((res, rej) => {
            const timer = setTimeout(() => {
              waiter = undefined;
              rej(new Error(`timed out waiting for ${n} bytes (have ${buffered.length})`));
            }, timeoutMs);
            const check = () => {
              if (buffered.length >= n) {
                clearTimeout(timer);
                waiter = undefined;
                const out = buffered.subarray(0, n);
                buffered = buffered.subarray(n);
                res(out);
              } else if (closeInfo) {
                clearTimeout(timer);
                waiter = undefined;
                rej(new RelayClosed(closeInfo));
              }
            };
            waiter = check;
            check();
          }),
        close: async () => {
          if (ws.readyState === ws.CLOSED) return;
          ws.close();
          await closed;
        },
      }),
    );
  });
}

export interface ServerInit {
  version: string;
  securityTypes: number[];
  width: number;
  height: number;
  bitsPerPixel: number;
  name: string;
}

/** RFB 3.8 handshake with security None, up to and including ServerInit (RFC 6143 §7.1-7.3). */
export async function rfbHandshake(page: PageSocket): Promise<ServerInit> {
  const version = (await page.read(12)).toString('latin1');
  page.send(Buffer.from('RFB 003.008\n', 'latin1'));
  const count = (await page.read(1))[0];
  if (count === 0) {
    const len = (await page.read(4)).readUInt32BE(0);
    throw new Error(`the server refused the connection: ${(await page.read(len)).toString()}`);
  }
  const securityTypes = [...(await page.read(count))];
  if (!securityTypes.includes(1)) throw new Error(`security type None is not offered (${securityTypes.join(',')})`);
  page.send(Buffer.from([1]));
  const result = (await page.read(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`SecurityResult ${result}`);
  page.send(Buffer.from([1])); // ClientInit: shared
  const init = await page.read(24);
  const nameLength = init.readUInt32BE(20);
  const name = (await page.read(nameLength)).toString('utf8');
  return { version, securityTypes, width: init.readUInt16BE(0), height: init.readUInt16BE(2), bitsPerPixel: init[4], name };
}

/** A FramebufferUpdateRequest for the whole screen, and the update's header (message type 0). */
export async function requestFrame(page: PageSocket, init: ServerInit): Promise<{ messageType: number; rectangles: number }> {
  const req = Buffer.alloc(10);
  req[0] = 3;
  req[1] = 0; // not incremental
  req.writeUInt16BE(init.width, 6);
  req.writeUInt16BE(init.height, 8);
  page.send(req);
  const head = await page.read(4);
  return { messageType: head[0], rectangles: head.readUInt16BE(2) };
}
