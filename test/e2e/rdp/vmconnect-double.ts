import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';

/**
 * A stand-in for Hyper-V's console service (VMMS, port 2179) in front of FreeRDP's shadow server, until the
 * emulated console host exists. It accepts only the VMConnect order: pre-connection PDU, then TLS at once (no
 * X.224 first), CredSSP inside TLS, and the X.224 request last (or never, with TLS only). It answers that request
 * itself and relays everything else to the shadow server, which it reaches in the standard order.
 *
 * To relay CredSSP unchanged it presents the shadow server's own certificate and key: CredSSP binds the TLS
 * public key, so the client must see the key the shadow server checks against.
 */

export interface VmconnectRecord {
  /** The VM id as received (trailing NULs stripped). */
  pcb?: string;
  /** The raw pre-connection PDU. */
  pcbBytes?: Buffer;
  /** Steps seen: 'pcb', 'tls', 'credssp', 'x224-in-tls', 'mcs', or 'bad-order: …'. */
  steps: string[];
  /** Requested protocols of the X.224 request inside TLS. */
  x224Protocols?: number;
}

export interface VmconnectDouble {
  port: number;
  records: VmconnectRecord[];
  close(): Promise<void>;
}

export interface VmconnectDoubleOptions {
  backendPort: number;
  /** What to ask the shadow server for: 1 (TLS) or 3 (TLS|CredSSP). */
  backendProtocols: number;
  certPem: string;
  keyPem: string;
}

export async function startVmconnectDouble(opts: VmconnectDoubleOptions): Promise<VmconnectDouble> {
  const records: VmconnectRecord[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const rec: VmconnectRecord = { steps: [] };
    records.push(rec);
    void handle(socket, rec).catch((err) => {
      rec.steps.push(`error: ${(err as Error).message}`);
      socket.destroy();
    });
  });

  async function handle(socket: Socket, rec: VmconnectRecord) {
    // 1. The pre-connection PDU V2, read by its own size field.
    let buf = await readAtLeast(socket, Buffer.alloc(0), 18);
    const size = buf.readUInt32LE(0);
    if (buf.readUInt32LE(8) !== 2 || size < 18 || size > 4096) {
      rec.steps.push(`bad-order: first bytes are not a pre-connection PDU V2 (0x${buf.subarray(0, 4).toString('hex')})`);
      socket.destroy();
      return;
    }
    buf = await readAtLeast(socket, buf, size);
    const cch = buf.readUInt16LE(16);
    rec.pcbBytes = Buffer.from(buf.subarray(0, size));
    rec.pcb = buf.subarray(18, 18 + cch * 2).toString('utf16le').replace(/\0+$/, '');
    rec.steps.push('pcb');
    buf = buf.subarray(size);
    // 2. TLS must follow at once (a ClientHello: record type 0x16), possibly in the same read as the PCB.
    buf = await readAtLeast(socket, buf, 1);
    if (buf[0] !== 0x16) {
      rec.steps.push(`bad-order: expected TLS after the PCB, got 0x${buf[0].toString(16)}`);
      socket.destroy();
      return;
    }
    socket.pause();
    socket.unshift(buf);
    const backend = await connectBackend();
    const client = new TLSSocket(socket, { isServer: true, cert: opts.certPem, key: opts.keyPem });
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
    client.on('close', () => backend.destroy());
    backend.on('close', () => client.destroy());
    client.once('secure', () => rec.steps.push('tls'));
    // Server → client: always relayed unchanged.
    backend.on('data', (d: Buffer) => client.write(d));
    // Client → server: CredSSP relayed, the X.224 request answered here, then everything relayed.
    let pending = Buffer.alloc(0);
    let relay = false;
    client.on('data', (d: Buffer) => {
      if (relay) {
        backend.write(d);
        return;
      }
      pending = Buffer.concat([pending, d]);
      while (pending.length > 0 && !relay) {
        if (pending[0] === 0x30) {
          const total = derLength(pending);
          if (total === undefined || pending.length < total) return;
          if (!rec.steps.includes('credssp')) rec.steps.push('credssp');
          backend.write(pending.subarray(0, total));
          pending = pending.subarray(total);
        } else if (pending[0] === 0x03) {
          if (pending.length < 4 || pending.length < pending.readUInt16BE(2)) return;
          const len = pending.readUInt16BE(2);
          if ((pending[5] & 0xf0) === 0xe0) {
            rec.x224Protocols = pending.readUInt32LE(len - 4);
            rec.steps.push('x224-in-tls');
            client.write(confirm(rec.x224Protocols & 2 ? 2 : 1));
            pending = pending.subarray(len);
          } else {
            rec.steps.push('mcs');
            relay = true;
            backend.write(pending);
            pending = Buffer.alloc(0);
          }
        } else {
          rec.steps.push(`bad-order: unexpected 0x${pending[0].toString(16)} inside TLS`);
          client.destroy();
          return;
        }
      }
    });
  }

  /** The shadow server in the standard order: X.224 request, confirm, TLS. */
  async function connectBackend(): Promise<TLSSocket> {
    const raw = connect({ host: '127.0.0.1', port: opts.backendPort });
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', resolve);
      raw.once('error', reject);
    });
    raw.write(request(opts.backendProtocols));
    let buf = await readAtLeast(raw, Buffer.alloc(0), 4);
    buf = await readAtLeast(raw, buf, buf.readUInt16BE(2));
    if (buf[11] !== 0x02) throw new Error('the shadow server refused the negotiation');
    raw.pause();
    return new Promise((resolve, reject) => {
      const tls = tlsConnect({ socket: raw, rejectUnauthorized: false });
      tls.once('secureConnect', () => resolve(tls));
      tls.once('error', reject);
    });
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    records,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function readAtLeast(socket: Socket, have: Buffer, n: number): Promise<Buffer> {
  if (have.length >= n) return Promise.resolve(have);
  return new Promise((resolve, reject) => {
    let buf = have;
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) {
        done();
        resolve(buf);
      }
    };
    const onEnd = () => {
      done();
      reject(new Error(`connection ended after ${buf.length} of ${n} bytes`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('timed out reading'));
    }, 15_000);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

function derLength(b: Buffer): number | undefined {
  if (b.length < 2) return undefined;
  if (b[1] < 0x80) return 2 + b[1];
  const n = b[1] & 0x7f;
  if (b.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i];
  return 2 + n + len;
}

/** X.224 Connection Request with RDP_NEG_REQ, no cookie. */
function request(protocols: number): Buffer {
  return Buffer.from([0x03, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 0x01, 0, 8, 0, protocols, 0, 0, 0]);
}

/** X.224 Connection Confirm with RDP_NEG_RSP selecting `protocol`. */
function confirm(protocol: number): Buffer {
  return Buffer.from([0x03, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 0x02, 0, 8, 0, protocol, 0, 0, 0]);
}
