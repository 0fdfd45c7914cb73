import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ProtocolError } from '../demo-desktop/bytes.ts';
import { loadOrCreateCertificate } from '../demo-desktop/certificate.ts';
import type { DemoDesktop } from '../demo-desktop/desktop.ts';
import { handleRdpConnection, type DesktopSession, type TileEncoding } from '../demo-desktop/session.ts';
import { HYBRID_REQUIRED_BY_SERVER, connectionConfirmFailure, isConnectionRequest } from '../demo-desktop/x224.ts';
import { acceptCredssp, subjectPublicKey } from './credssp-server.ts';
import { LogonFailure } from './ntlm-server.ts';
import { parsePcb, pcbLength } from './pcb.ts';
import { PROTOCOL_HYBRID, PROTOCOL_SSL, connectBackend, pipeSession, type RelayBackend } from './relay.ts';
import { StreamReader } from './stream-reader.ts';

/** What answers for one VM: its embedded demo desktop, or an RDP server the host relays to. */
export type ConsoleBackend = { kind: 'demo'; desktop: DemoDesktop } | ({ kind: 'relay' } & RelayBackend);

export interface ConsoleHostOptions {
  /** Port to listen on: default 2179 (Hyper-V's) when free, else any free port. */
  port?: number;
  host?: string;
  vms: Map<string, ConsoleBackend>;
  /** Accept only CredSSP clients, as Hyper-V does. By default TLS-only clients are accepted too. */
  requireNla?: boolean;
  credentials: { username: string; password: string };
  /** Folder for the host's TLS certificate and key. */
  dataDir: string;
  /** How the desktops' tiles are sent (DesktopSessionOptions.encoding). */
  encoding?: TileEncoding;
  log?: (line: string) => void;
}

export interface ConsoleHost {
  host: string;
  port: number;
  /** The demo-desktop sessions running now (relayed ones are byte pipes, not sessions). */
  sessions: Set<DesktopSession>;
  /** Open client connections, in any phase: the way to see that bad clients leave nothing behind. */
  connectionCount(): number;
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * An emulated Hyper-V console service: pre-connection PDU with the VM id, then TLS, then CredSSP (checked against
 * the console credentials), an X.224 request, or straight MCS, as real clients send them.
 */
export async function startConsoleHost(opts: ConsoleHostOptions): Promise<ConsoleHost> {
  const identity = await loadOrCreateCertificate(opts.dataDir);
  const hostKey = subjectPublicKey(identity.cert);
  const log = opts.log ?? ((line: string) => console.error(line));
  const sockets = new Set<Socket>();
  const sessions = new Set<DesktopSession>();

  const serve = async (socket: Socket): Promise<void> => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    let label = peer;
    socket.setNoDelay(true);
    socket.on('error', () => {}); // reported through the reader or the session
    // Once TLS wraps the socket it owns the connection: closing only the raw socket would leave it open.
    let tls: TLSSocket | undefined;
    try {
      const rawReader = new StreamReader(socket);
      const pcb = parsePcb(await rawReader.readMessage(pcbLength));
      const vmId = pcb.blob ?? '';
      const backend = vmId ? opts.vms.get(vmId) : undefined;
      if (!backend) throw new ProtocolError(vmId ? `unknown VM id ${JSON.stringify(vmId.slice(0, 64))}` : 'no VM id in the pre-connection PDU');
      label = `${peer} vm ${vmId}`;
      const rest = rawReader.release();
      socket.pause();
      if (rest.length) socket.unshift(rest);
      const tlsIdentity = backend.kind === 'relay' && backend.tls ? backend.tls : identity;
      tls = new TLSSocket(socket, { isServer: true, key: tlsIdentity.key, cert: tlsIdentity.cert });
      tls.on('error', () => {});
      const reader = new StreamReader(tls);
      const first = (await reader.peek())[0];
      let credssp = false;
      if (first === 0x30) {
        credssp = true;
        if (backend.kind === 'relay' && backend.tls) {
          // The backend checks the credentials; CredSSP passes through because both sides see its key.
          const { socket: b, selected } = await connectBackend(backend, PROTOCOL_SSL | PROTOCOL_HYBRID);
          if (selected !== PROTOCOL_HYBRID) throw new ProtocolError('backend did not select CredSSP');
          pipeSession(tls, b, reader.release(), {
            confirmProtocol: PROTOCOL_HYBRID,
            backendSelected: selected,
            onEnd: (r) => r && log(`console host: ${label}: ${r}`),
          });
          return;
        }
        await acceptCredssp(tls, reader, opts.credentials, backend.kind === 'relay' ? subjectPublicKey(tlsIdentity.cert) : hostKey);
      } else if (first === 0x03) {
        if (opts.requireNla) {
          const head = await reader.readMessage((b) => (b.length >= 4 ? b.readUInt16BE(2) : null));
          reader.release();
          log(`console host: ${label}: connection closed: client did not use CredSSP, which this host requires`);
          // Tell an X.224 client why (as Hyper-V does), close gracefully, and drop the connection soon regardless.
          if (isConnectionRequest(head)) tls.end(connectionConfirmFailure(HYBRID_REQUIRED_BY_SERVER));
          else tls.end();
          const wrapped = tls;
          setTimeout(() => (wrapped.destroy(), socket.destroy()), 2000).unref();
          return;
        }
      } else {
        throw new ProtocolError(`unexpected first byte 0x${first.toString(16)} after TLS`);
      }
      const initial = reader.release();
      if (backend.kind === 'demo') {
        const session = handleRdpConnection(tls, backend.desktop, {
          tls: identity,
          insideTls: true,
          credsspDone: credssp,
          initialBytes: initial,
          encoding: opts.encoding,
          label,
          log,
        });
        sessions.add(session);
        socket.once('close', () => sessions.delete(session));
      } else {
        const { socket: b, selected } = await connectBackend(backend, PROTOCOL_SSL);
        pipeSession(tls, b, initial, {
          confirmProtocol: credssp ? PROTOCOL_HYBRID : PROTOCOL_SSL,
          backendSelected: selected,
          onEnd: (r) => r && log(`console host: ${label}: ${r}`),
        });
      }
    } catch (err) {
      const reason =
        err instanceof LogonFailure
          ? `logon failed (${err.message})`
          : err instanceof ProtocolError
            ? err.message
            : `internal error: ${(err as Error).message}`;
      log(`console host: ${label}: connection closed: ${reason}`);
      tls?.destroy();
      socket.destroy();
    }
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    void serve(socket);
  });
  const host = opts.host ?? '127.0.0.1';
  if (opts.port !== undefined) await listen(server, opts.port, host);
  else {
    try {
      await listen(server, 2179, host);
    } catch {
      await listen(server, 0, host);
    }
  }
  // Only after listening: a busy 2179 is not worth a log line, it just means another port.
  server.on('error', (err) => log(`console host server error: ${err.message}`));
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    sessions,
    connectionCount: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
