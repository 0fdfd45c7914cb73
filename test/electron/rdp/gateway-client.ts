import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { decodeRdCleanPath, encodeRdCleanPath, RDCLEANPATH_VERSION, type RdCleanPathPdu } from '../../../electron/rdp/rdcleanpath.ts';

/** A Node stand-in for the WASM client's gateway side: RDCleanPath request, then plaintext RDP bytes. */

/** An X.224 Connection Request like IronRDP's: cookie, then RDP_NEG_REQ asking for `protocols`. */
export function x224Request(protocols: number, user = 'x'): Buffer {
  const cookie = Buffer.from(`Cookie: mstshash=${user}\r\n`);
  const len = 4 + 7 + cookie.length + 8;
  return Buffer.concat([
    Buffer.from([0x03, 0, len >> 8, len & 0xff, len - 5, 0xe0, 0, 0, 0, 0, 0]),
    cookie,
    Buffer.from([0x01, 0, 8, 0, protocols & 0xff, 0, 0, 0]),
  ]);
}

export function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export interface Answer {
  pdu?: RdCleanPathPdu;
  closeCode?: number;
}

/** Sends raw bytes (optionally in pieces) and waits for the first answer or the close. */
export function sendRaw(ws: WebSocket, bytes: Buffer, pieces = 1): Promise<Answer> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      cleanup();
      let pdu: RdCleanPathPdu | undefined;
      try {
        pdu = decodeRdCleanPath(data);
      } catch {
        pdu = undefined;
      }
      resolve({ pdu });
    };
    const onClose = (code: number) => {
      cleanup();
      resolve({ closeCode: code });
    };
    const cleanup = () => {
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
    const step = Math.max(1, Math.ceil(bytes.length / pieces));
    for (let i = 0; i < bytes.length; i += step) ws.send(bytes.subarray(i, i + step), { binary: true });
  });
}

export function requestPdu(fields: Partial<RdCleanPathPdu>): Buffer {
  return encodeRdCleanPath({ version: RDCLEANPATH_VERSION, x224ConnectionPdu: x224Request(0x0b), ...fields });
}

/**
 * The relay after the response: plaintext RDP bytes as binary messages (the gateway holds the TLS session toward
 * the server). Returned as a Duplex so tests read and write it like a socket.
 */
export function streamOverWs(ws: WebSocket): Duplex {
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== ws.OPEN) return cb(new Error('gateway closed'));
      ws.send(chunk, { binary: true }, cb);
    },
    final(cb) {
      ws.close();
      cb();
    },
  });
  duplex.on('error', () => {});
  ws.on('message', (data: Buffer) => duplex.push(data));
  ws.on('close', () => duplex.push(null));
  return duplex;
}

/** Writes bytes and collects exactly `n` bytes back. */
export function roundTrip(tls: Duplex, bytes: Buffer, n = bytes.length): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let size = 0;
    const onData = (d: Buffer) => {
      got.push(d);
      size += d.length;
      if (size >= n) {
        tls.off('data', onData);
        tls.off('end', onClose);
        resolve(Buffer.concat(got));
      }
    };
    const onClose = () => reject(new Error(`closed after ${size} of ${n} bytes`));
    tls.on('data', onData);
    tls.once('end', onClose);
    tls.write(bytes);
  });
}
