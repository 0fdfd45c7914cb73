// Nova's RFB security proxy (nova/console/securityproxy/rfb.py), which nova-novncproxy always runs: it needs RFB
// 3.8 from the VM's VNC server and from the client, takes the server's security types, offers the client exactly
// one, None (1), and answers the server with None itself (the demo's VNC servers offer it, as libvirt's QEMU does
// without TLS). Everything after that, the server's SecurityResult included, is relayed unchanged.
import type { ByteQueue } from './byte-queue.ts';

/** One side of the handshake: what it has sent, and how to send to it. */
export interface HandshakeSide {
  queue: ByteQueue;
  send(data: Buffer): void;
}

export class SecurityProxyFailure extends Error {
  override name = 'SecurityProxyFailure';
}

const RFB_3_8 = 'RFB 003.008\n';
const SECURITY_NONE = 1;
/** The one-byte statuses Nova writes (nova/console/rfb/auth.py): a security-type count of 0 or 1. */
const AUTH_STATUS_FAIL = Buffer.from([0]);

/** RFB's length-prefixed failure reason. */
function reasonString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** SecurityResult "failed" with a reason to the client; the "Invalid" security type (0) to the server, if reached. */
function fail(client: HandshakeSide, server: HandshakeSide | null, message: string): void {
  const failed = Buffer.alloc(4);
  failed.writeUInt32BE(1);
  client.send(Buffer.concat([failed, reasonString(message)]));
  server?.send(AUTH_STATUS_FAIL);
}

function versionText(v: Buffer): string {
  return v.toString('latin1').replace(/\n$/, '');
}

/** Runs the handshake; resolves when both sides are past security, or throws SecurityProxyFailure. */
export async function proxySecurity(client: HandshakeSide, server: HandshakeSide): Promise<void> {
  const serverVersion = await server.queue.read(12);
  if (serverVersion.toString('latin1') !== RFB_3_8) {
    throw new SecurityProxyFailure(`Security proxying requires RFB protocol version 3.8, but server sent ${versionText(serverVersion)}`);
  }
  server.send(serverVersion);
  client.send(serverVersion);
  const clientVersion = await client.queue.read(12);
  if (clientVersion.toString('latin1') !== RFB_3_8) {
    throw new SecurityProxyFailure(`Security proxying requires RFB protocol version 3.8, but tenant asked for ${versionText(clientVersion)}`);
  }

  const count = (await server.queue.read(1))[0];
  if (count === 0) {
    // The server refused outright: its reason goes to the client (a long one is replaced, as Nova does).
    const lengthBytes = await server.queue.read(4);
    const length = lengthBytes.readUInt32BE();
    const reason = length <= 256 ? (await server.queue.read(length)).toString('utf8') : 'Unable to negotiate security with server';
    client.send(Buffer.concat([AUTH_STATUS_FAIL, reasonString(reason)]));
    throw new SecurityProxyFailure(reason);
  }
  const offered = [...(await server.queue.read(count))];

  // The client is offered None only; it must take it before the server is answered.
  client.send(Buffer.from([1, SECURITY_NONE]));
  const chosen = (await client.queue.read(1))[0];
  if (chosen !== SECURITY_NONE) {
    fail(client, server, 'Only the security type 1 (NONE) is supported');
    throw new SecurityProxyFailure(`Client requested a security type other than 1 (NONE): ${chosen}`);
  }
  if (!offered.includes(SECURITY_NONE)) {
    // Nova would also speak VeNCrypt to the server; the demo's servers never need it.
    fail(client, server, 'Unable to negotiate security with server');
    throw new SecurityProxyFailure(`No compute auth available: server offered ${offered.join(', ')}`);
  }
  server.send(Buffer.from([SECURITY_NONE]));
}
