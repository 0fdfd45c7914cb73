import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { ProtocolError } from '../demo-desktop/bytes.ts';
import { tsRequestLength } from './tsrequest.ts';
import {
  PROTOCOL_HYBRID,
  PROTOCOL_SSL,
  connectionConfirmSelecting,
  isConnectionRequest,
  tpkt,
} from '../demo-desktop/x224.ts';
import { connectionErrorText } from '../demo-desktop/connection-error.ts';

// Relaying a Hyper-V style console connection to an ordinary RDP server (for example FreeRDP's shadow server):
// the backend expects X.224 before TLS, so the host negotiates with it itself and then pipes the TLS plaintext.

export interface RelayBackend {
  host: string;
  port: number;
  /** The backend's certificate and key: with them the host presents the backend's identity and relays CredSSP. */
  tls?: { cert: string; key: string };
}

function connectionRequest(protocols: number): Buffer {
  const neg = Buffer.alloc(8);
  neg[0] = 1;
  neg.writeUInt16LE(8, 2);
  neg.writeUInt32LE(protocols, 4);
  const body = Buffer.concat([Buffer.from([0xe0, 0, 0, 0, 0, 0]), neg]);
  return tpkt(Buffer.concat([Buffer.from([body.length]), body]));
}

/** Opens the backend connection: X.224 asking for `protocols`, then TLS. Resolves with the selected protocol. */
export async function connectBackend(backend: RelayBackend, protocols: number): Promise<{ socket: TLSSocket; selected: number }> {
  const raw = netConnect(backend.port, backend.host);
  raw.setNoDelay(true);
  try {
    await new Promise<void>((res, rej) => raw.once('connect', res).once('error', rej));
    raw.write(connectionRequest(protocols));
    const cc = await new Promise<Buffer>((res, rej) => {
      let buf = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 4 && buf.length >= buf.readUInt16BE(2)) {
          raw.off('data', onData);
          res(buf);
        }
      };
      raw.on('data', onData);
      raw.once('error', rej);
      raw.once('close', () => rej(new Error('backend closed the connection during negotiation')));
    });
    if (cc.length < 19 || cc[11] !== 0x02) throw new Error('backend refused the requested security protocol');
    const selected = cc.readUInt32LE(15);
    raw.removeAllListeners('close');
    raw.on('error', () => {}); // from here on failures surface on the TLS socket
    const socket = tlsConnect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((res, rej) => socket.once('secureConnect', res).once('error', rej));
    return { socket, selected };
  } catch (err) {
    raw.destroy();
    throw new ProtocolError(`backend ${backend.host}:${backend.port}: ${connectionErrorText(err as Error)}`);
  }
}

/**
 * The client's MCS Connect-Initial names, in its core data, the protocol it believes was selected; the backend
 * checks it against its own negotiation, which the host did separately. Rewrite it to what the backend chose.
 */
export function patchSelectedProtocol(frame: Buffer, selected: number): Buffer {
  if (frame.length < 9 || frame[5] !== 0xf0 || frame[7] !== 0x7f || frame[8] !== 0x65) return frame;
  const out = Buffer.from(frame);
  const duca = out.indexOf('Duca');
  if (duca < 0) return out;
  let p = duca + 4;
  p += out[p] & 0x80 ? 2 : 1;
  while (p + 4 <= out.length) {
    const type = out.readUInt16LE(p);
    const len = out.readUInt16LE(p + 2);
    if (len < 4) break;
    if (type === 0xc001 && len >= 216 && p + 216 <= out.length) out.writeUInt32LE(selected, p + 212);
    p += len;
  }
  return out;
}

/**
 * Pipes client and backend. Until the client's MCS Connect-Initial has passed, client bytes are read message by
 * message: CredSSP (DER) passes through, an X.224 request is answered here (the backend negotiated at connect
 * time), and the Connect-Initial is patched with the backend's selected protocol. Then bytes flow unchanged.
 */
export function pipeSession(
  client: Duplex,
  backend: Duplex,
  initial: Buffer,
  opts: { confirmProtocol: number; backendSelected: number; onEnd: (reason: string | null) => void },
): void {
  let pending: Buffer = Buffer.alloc(0);
  let inspecting = true;
  let ended = false;
  const end = (reason: string | null) => {
    if (ended) return;
    ended = true;
    client.destroy();
    backend.destroy();
    opts.onEnd(reason);
  };
  const fromClient = (d: Buffer) => {
    if (!inspecting) {
      if (!backend.write(d)) client.pause();
      return;
    }
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    try {
      while (inspecting && pending.length) {
        let n: number | null;
        if (pending[0] === 0x30) n = tsRequestLength(pending);
        else if (pending[0] === 0x03) n = pending.length >= 4 ? pending.readUInt16BE(2) : null;
        else throw new ProtocolError(`unexpected client byte 0x${pending[0].toString(16)} before the MCS connection`);
        if (n === null || pending.length < n) return;
        const msg = pending.subarray(0, n);
        pending = pending.subarray(n);
        if (msg[0] === 0x30) backend.write(msg);
        else if (isConnectionRequest(msg)) client.write(connectionConfirmSelecting(opts.confirmProtocol));
        else {
          backend.write(patchSelectedProtocol(msg, opts.backendSelected));
          inspecting = false;
          if (pending.length) backend.write(pending);
          pending = Buffer.alloc(0);
        }
      }
    } catch (err) {
      end((err as Error).message);
    }
  };
  client.on('data', fromClient);
  backend.on('data', (d: Buffer) => {
    if (!client.write(d)) backend.pause();
  });
  client.on('drain', () => backend.resume());
  backend.on('drain', () => client.resume());
  client.on('error', (e) => end(`client: ${connectionErrorText(e)}`));
  backend.on('error', (e) => end(`backend: ${connectionErrorText(e)}`));
  client.on('close', () => end(null));
  backend.on('close', () => end(null));
  if (initial.length) fromClient(initial);
  client.resume();
  backend.resume();
}

export { PROTOCOL_HYBRID, PROTOCOL_SSL };
