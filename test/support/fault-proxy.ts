// A TCP proxy on loopback that breaks connections the way networks break them, for tests of what the client does
// when its server is killed, stalls, vanishes or refuses. It forwards bytes and nothing else, so the same proxy
// carries plain TCP, TLS and WebSocket. Only node:net: no dependency between the tests and a real middlebox.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export type Side = 'client' | 'server';
export type Direction = 'to-server' | 'to-client';
/** What the proxy does with connections it accepts from now on (see FaultProxy.setNewConnections). */
export type NewConnections = 'forward' | 'refuse' | 'hang';
/** A reset drops the matching bytes; an end forwards them first, then closes both sides cleanly. */
export type BreakHow = 'reset' | 'end';

export interface FaultProxyOptions {
  /** The real server every forwarded connection goes to. */
  target: { host: string; port: number };
  /** Where the proxy listens; 127.0.0.1 unless told. */
  host?: string;
  /** 0 (the default) lets the system pick; a fixed port lets a test restart a proxy where clients expect it. */
  port?: number;
}

export interface FaultProxy {
  /** Where clients connect; still readable after close(), to start a new proxy on the same port. */
  readonly port: number;
  /** Connections accepted so far, refused and hung ones included. */
  readonly accepted: number;
  /** Connections with a socket still open (refused ones never count; blackholed and hung ones count until killed). */
  readonly live: number;
  /** Bytes forwarded so far, over all connections (a copy: read it again to see later traffic). */
  readonly bytes: { toServer: number; toClient: number };
  /** Every live connection is reset, both sides (RST, socket.resetAndDestroy()): a killed server or a crashed middlebox. */
  kill(): void;
  /** Every live connection is closed cleanly (FIN both ways); bytes the proxy has not read yet are dropped. */
  end(): void;
  /**
   * Nothing is forwarded either way for `ms`: the proxy stops reading, so the bytes wait in the kernel and are
   * delivered when it resumes (as after a network stall). Applies to connections accepted during the stall too.
   * Resolves when forwarding resumes, or at close() (after close(), at once). A peer's reset may still pass during
   * the stall: Node notices it while its small read buffer is not full.
   */
  stall(ms: number): Promise<void>;
  /**
   * The connections open now go silent for good, as if the far end vanished without FIN or RST: the proxy reads and
   * drops what either peer writes, and forwards no close or reset. They stay open until kill() or close(); for new
   * connections use setNewConnections('hang').
   */
  blackhole(): void;
  /**
   * The proxy stops reading from one side, on every connection and new ones too, so that side's writes back up in
   * its socket (a reader that stopped). Its bytes (and its FIN) are held, not lost: resume() delivers them.
   */
  stopReading(side: Side): void;
  resume(side: Side): void;
  /**
   * New connections are forwarded (the default), refused (accepted, then reset at once: the client sees its connect
   * succeed and then ECONNRESET), or hung (accepted, never connected upstream, never answered: a server whose
   * process is stuck; the proxy reads and drops what the client writes). Connections already open are not affected.
   */
  setNewConnections(mode: NewConnections): void;
  /**
   * Breaks a connection when a chunk passing in `direction` matches: `totalSoFar` is how many bytes went that way on
   * that connection before this chunk, so `(c, n) => n === 0 && c[0] === 0x16` is a TLS ClientHello. Applies to every
   * connection, open or new, until the returned function disarms it; `once` disarms it after the first break (so a
   * client's retry gets through). Chunks are what TCP delivered, not messages: match on a prefix.
   */
  breakWhen(direction: Direction, match: (chunk: Buffer, totalSoFar: number) => boolean, how: BreakHow, opts?: { once?: boolean }): () => void;
  /** Stops listening and resets every connection; resolves once all are closed, and leaves no timer behind. */
  close(): Promise<void>;
}

interface Rule {
  direction: Direction;
  match: (chunk: Buffer, totalSoFar: number) => boolean;
  how: BreakHow;
  once: boolean;
}

/** One accepted connection: the client's socket and, unless it hangs, the one to the target. */
interface Conn {
  sockets: { client: Socket; server?: Socket };
  /** Forward nothing, close nothing: read and drop (blackhole(), and hung connections from the start). */
  silent: boolean;
  /** The proxy ended or reset it: bytes still arriving are dropped rather than written after end. */
  closing: boolean;
  /** That side's socket buffers more than it should: stop reading the other side until it drains (backpressure). */
  full: Record<Side, boolean>;
  /** Bytes forwarded each way on this connection, for the breakWhen predicates. */
  sent: Record<Direction, number>;
}

const SIDES: Side[] = ['client', 'server'];
const opposite = (side: Side): Side => (side === 'client' ? 'server' : 'client');
const directionFrom = (side: Side): Direction => (side === 'client' ? 'to-server' : 'to-client');

/** Resets a socket; one still connecting has nothing to reset (resetAndDestroy would wait for the connect) and is just dropped. */
function reset(socket: Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/** Half-closes a socket (FIN), unless it is already ended or gone: no write-after-end error on a closing link. */
function endSocket(socket: Socket | undefined): void {
  if (socket && !socket.destroyed && !socket.writableEnded) socket.end();
}

export function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const conns = new Set<Conn>();
  const rules = new Set<Rule>();
  /** Ends of the stalls under way, so close() can end them early and leave no timer behind. */
  const stallEnds = new Set<() => void>();
  const stopped: Record<Side, boolean> = { client: false, server: false };
  const bytes = { toServer: 0, toClient: 0 };
  let stalls = 0;
  let mode: NewConnections = 'forward';
  let accepted = 0;
  let closed: Promise<void> | undefined;
  let port = 0;

  /** Whether the proxy reads from this side of the connection now: each fault only ever adds a reason not to. */
  function reading(conn: Conn, side: Side): boolean {
    return stalls === 0 && !stopped[side] && !conn.full[opposite(side)];
  }

  function applyReading(conn: Conn): void {
    for (const side of SIDES) {
      const socket = conn.sockets[side];
      if (!socket) continue;
      if (reading(conn, side)) socket.resume();
      else socket.pause();
    }
  }

  const applyReadingAll = () => conns.forEach(applyReading);

  function resetConn(conn: Conn): void {
    conn.closing = true;
    reset(conn.sockets.client);
    reset(conn.sockets.server);
  }

  function endConn(conn: Conn): void {
    conn.closing = true;
    endSocket(conn.sockets.client);
    endSocket(conn.sockets.server);
  }

  /** The rule a chunk trips, if any; a `once` rule is disarmed as it fires. */
  function trippedRule(direction: Direction, chunk: Buffer, totalSoFar: number): Rule | undefined {
    for (const rule of rules) {
      if (rule.direction !== direction || !rule.match(chunk, totalSoFar)) continue;
      if (rule.once) rules.delete(rule);
      return rule;
    }
    return undefined;
  }

  function deliver(conn: Conn, to: Side, chunk: Buffer): void {
    const socket = conn.sockets[to];
    if (!socket || socket.destroyed || socket.writableEnded) return;
    const direction = directionFrom(opposite(to));
    conn.sent[direction] += chunk.length;
    if (direction === 'to-server') bytes.toServer += chunk.length;
    else bytes.toClient += chunk.length;
    if (!socket.write(chunk)) {
      conn.full[to] = true;
      applyReading(conn);
    }
  }

  function onData(conn: Conn, from: Side, chunk: Buffer): void {
    if (conn.silent || conn.closing) return;
    const direction = directionFrom(from);
    const rule = trippedRule(direction, chunk, conn.sent[direction]);
    if (rule?.how === 'reset') return resetConn(conn);
    deliver(conn, opposite(from), chunk);
    if (rule?.how === 'end') endConn(conn);
  }

  /** Wires one socket of a connection: data, end and errors go to the other side, unless the connection is silent. */
  function wire(conn: Conn, side: Side, socket: Socket, onClosed: () => void): void {
    // A proxy should add no delay of its own: small writes (keystrokes, acks) pass at once.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => onData(conn, side, chunk));
    socket.on('drain', () => {
      conn.full[side] = false;
      applyReading(conn);
    });
    // allowHalfOpen is on, so a FIN from one peer is passed on as a FIN and the other peer may still answer.
    socket.on('end', () => {
      if (!conn.silent) endSocket(conn.sockets[opposite(side)]);
    });
    // A reset (or any failure, such as the target refusing) is passed on as a reset. Node has already destroyed
    // this socket; the listener also keeps the error from crashing the test process.
    socket.on('error', () => {
      if (!conn.silent) resetConn(conn);
    });
    socket.on('close', onClosed);
  }

  function track(conn: Conn): void {
    conns.add(conn);
    let open = conn.sockets.server ? 2 : 1;
    const onClosed = () => {
      if (--open === 0) conns.delete(conn);
    };
    wire(conn, 'client', conn.sockets.client, onClosed);
    if (conn.sockets.server) wire(conn, 'server', conn.sockets.server, onClosed);
    applyReading(conn);
  }

  function onConnection(client: Socket): void {
    accepted++;
    // An error before the socket is wired, or on a refused one, must not crash the test process.
    client.on('error', () => {});
    const base = { closing: false, full: { client: false, server: false }, sent: { 'to-server': 0, 'to-client': 0 } };
    switch (mode) {
      case 'refuse':
        client.resetAndDestroy();
        return;
      case 'hang':
        return track({ ...base, sockets: { client }, silent: true });
      case 'forward': {
        const server = connect({ host: opts.target.host, port: opts.target.port, allowHalfOpen: true });
        return track({ ...base, sockets: { client, server }, silent: false });
      }
    }
  }

  const server: Server = createServer({ allowHalfOpen: true }, onConnection);

  const proxy: FaultProxy = {
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    get live() {
      return conns.size;
    },
    get bytes() {
      return { ...bytes };
    },
    kill: () => conns.forEach(resetConn),
    end: () => conns.forEach(endConn),
    stall(ms) {
      if (closed) return Promise.resolve(); // a timer now would only keep the process alive
      stalls++;
      applyReadingAll();
      return new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          stallEnds.delete(finish);
          stalls--;
          applyReadingAll();
          resolve();
        };
        const timer = setTimeout(finish, ms);
        stallEnds.add(finish);
      });
    },
    blackhole() {
      for (const conn of conns) conn.silent = true;
    },
    stopReading(side) {
      stopped[side] = true;
      applyReadingAll();
    },
    resume(side) {
      stopped[side] = false;
      applyReadingAll();
    },
    setNewConnections(next) {
      mode = next;
    },
    breakWhen(direction, match, how, { once = false } = {}) {
      const rule: Rule = { direction, match, how, once };
      rules.add(rule);
      return () => void rules.delete(rule);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        // server.close() calls back only once every connection is gone, which the resets below see to.
        server.close(() => resolve());
        stallEnds.forEach((finish) => finish());
        conns.forEach(resetConn);
      });
      return closed;
    },
  };

  return new Promise((resolve, reject) => {
    // Before listening an error (the port is taken) fails the start; later ones (a failed accept) are not the
    // test's business and must not crash it.
    let listening = false;
    server.on('error', (err) => {
      if (!listening) reject(err);
    });
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      listening = true;
      port = (server.address() as AddressInfo).port;
      resolve(proxy);
    });
  });
}
