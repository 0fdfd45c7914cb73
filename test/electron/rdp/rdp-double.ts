import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small RDP-server stand-in for gateway tests: it speaks just enough of the connection sequence (optional
 * pre-connection PDU, X.224, TLS) and then echoes what it receives inside TLS, recording every step. Written from
 * the specification independently of the gateway's own encoders, so one bug cannot hide on both sides.
 */

export interface TestCert {
  key: string;
  cert: string;
  der: Buffer;
}

/** A fresh self-signed RSA certificate made with the openssl command line (Debian's openssl). */
export function makeCert(cn = 'rdp-double'): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'rdp-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${cn}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert, der: Buffer.from(new X509Certificate(cert).raw) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface DoubleOptions {
  order: 'standard' | 'vmconnect';
  cert: TestCert;
  /** Standard order: answer the X.224 request with this RDP_NEG_FAILURE code instead of selecting TLS. */
  failureCode?: number;
  /** Close the connection right after reading the X.224 request. */
  closeAfterRequest?: boolean;
  /** Read the X.224 request and then never answer it. */
  silentAfterRequest?: boolean;
  /** Answer the X.224 request, then send these bytes instead of starting TLS. */
  garbageInsteadOfTls?: Buffer;
  /** Standard order: the protocol the confirm selects (default 1, TLS; 2 HYBRID, 8 HYBRID_EX). */
  selectProtocol?: number;
  /** Standard order: replaces the echo once TLS is up (for flow-control tests). */
  onSecure?: (tls: TLSSocket) => void;
}

export interface Conversation {
  pcb?: Buffer;
  /** The X.224 request, before TLS (standard) or inside TLS (VMConnect). */
  x224?: Buffer;
  /** What happened, in order: 'pcb', 'x224', 'tls', 'credssp', 'x224-in-tls', 'tpkt'. */
  steps: string[];
  /** Bytes received inside TLS after the handshake phase. */
  data: Buffer[];
}

export interface RdpDouble {
  port: number;
  conversations: Conversation[];
  close(): Promise<void>;
}

const u32 = (b: Buffer, o: number) => b.readUInt32LE(o);

function confirmBytes(selected: number | undefined, failure?: number): Buffer {
  // TPKT(4) + X.224 CC (7) + negotiation structure (8)
  const neg = failure !== undefined ? [0x03, 0, 8, 0, failure, 0, 0, 0] : [0x02, 0, 8, 0, selected ?? 1, 0, 0, 0];
  return Buffer.from([0x03, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, ...neg]);
}

export async function startRdpDouble(opts: DoubleOptions): Promise<RdpDouble> {
  const conversations: Conversation[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const conv: Conversation = { steps: [], data: [] };
    conversations.push(conv);
    let buf = Buffer.alloc(0);
    let stage: 'start' | 'x224' = 'start';
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (stage === 'start') {
          if (buf.length < 12) return;
          // A pre-connection PDU starts with its own little-endian size and has version 1 or 2 at offset 8.
          if (buf[0] !== 0x03 && buf[0] !== 0x16 && (u32(buf, 8) === 2 || u32(buf, 8) === 1)) {
            const size = u32(buf, 0);
            if (buf.length < size) return;
            conv.pcb = buf.subarray(0, size);
            conv.steps.push('pcb');
            buf = buf.subarray(size);
          }
          stage = 'x224';
          continue;
        }
        if (opts.order === 'vmconnect') {
          if (buf.length === 0) return;
          if (buf[0] !== 0x16) {
            conv.steps.push(`unexpected-0x${buf[0].toString(16)}`);
            socket.destroy();
            return;
          }
          socket.off('data', onData);
          socket.pause();
          socket.unshift(buf); // the ClientHello may have come in the same read as the PCB
          startTls(socket, conv);
          return;
        }
        if (buf.length < 4) return;
        const len = buf.readUInt16BE(2);
        if (buf.length < len) return;
        conv.x224 = buf.subarray(0, len);
        conv.steps.push('x224');
        buf = buf.subarray(len);
        socket.off('data', onData);
        if (opts.closeAfterRequest) {
          socket.destroy();
          return;
        }
        if (opts.silentAfterRequest) return;
        if (opts.garbageInsteadOfTls) {
          socket.write(confirmBytes(1));
          socket.write(opts.garbageInsteadOfTls);
          return;
        }
        socket.write(confirmBytes(opts.selectProtocol ?? 1, opts.failureCode));
        if (opts.failureCode !== undefined) {
          socket.end();
          return;
        }
        socket.pause();
        if (buf.length) socket.unshift(buf);
        startTls(socket, conv);
        return;
      }
    };
    socket.on('data', onData);
  });

  function startTls(socket: Socket, conv: Conversation) {
    const tls = new TLSSocket(socket, { isServer: true, key: opts.cert.key, cert: opts.cert.cert });
    tls.on('error', () => {});
    tls.once('secure', () => conv.steps.push('tls'));
    if (opts.onSecure && opts.order === 'standard') {
      opts.onSecure(tls);
      return;
    }
    let phase: 'first' | 'credssp' | 'await-x224' | 'rdp' = 'first';
    let buf = Buffer.alloc(0);
    tls.on('data', (chunk: Buffer) => {
      if (opts.order === 'standard' || phase === 'rdp') {
        conv.data.push(chunk);
        tls.write(chunk); // echo
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      while (buf.length > 0) {
        if (buf[0] === 0x30) {
          // CredSSP TSRequest: answer each with a DER message of our own.
          if (buf.length < 2) return;
          const len = 2 + buf[1];
          if (buf.length < len) return;
          conv.steps.push('credssp');
          buf = buf.subarray(len);
          tls.write(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x06]));
          phase = 'credssp';
          continue;
        }
        if (buf[0] === 0x03) {
          if (buf.length < 4 || buf.length < buf.readUInt16BE(2)) return;
          const len = buf.readUInt16BE(2);
          const pdu = buf.subarray(0, len);
          buf = buf.subarray(len);
          if (phase === 'credssp' && (pdu[5] & 0xf0) === 0xe0) {
            conv.x224 = pdu;
            conv.steps.push('x224-in-tls');
            tls.write(confirmBytes(2));
            phase = 'await-x224';
            continue;
          }
          // MCS without X.224 (TLS-only VMConnect) or after it: RDP proper from here on, echoed.
          conv.steps.push('tpkt');
          phase = 'rdp';
          conv.data.push(pdu);
          tls.write(pdu);
          if (buf.length) {
            conv.data.push(buf);
            tls.write(buf);
          }
          return;
        }
        conv.steps.push(`unexpected-0x${buf[0].toString(16)}`);
        tls.destroy();
        return;
      }
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    conversations,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
